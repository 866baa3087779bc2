"""One training process of tests/test_distributed.py, started N times with the env:// variables
torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), or once alone.

    python tests/distributed_worker.py train OUT '{"model": "gan", ...}' [--fault KIND:RANK:STEP]
    python tests/distributed_worker.py equivalence OUT SCENARIO[,SCENARIO...]

``train`` runs :func:`gankit.train` like ``gankit train`` does (a GankitError becomes its one line
and exit code), with an optional injected fault on one rank; every rank writes what it saw to
``OUT.rank<r>.json``. ``equivalence`` trains SCENARIO with *index noise*: every draw of
torch.randn/rand without a generator is made for the whole global batch from a seed that depends
only on the call count, and each rank keeps its slice, so sample i sees the same noise whether it is
row i of one process's batch of 2b or row i - b of rank 1's batch of b (the issue's "fixed noise
per sample index"); the runs then differ only by float rounding.
"""

from __future__ import annotations

import json
import os
import sys
import time

import torch

torch.set_num_threads(1)

import gankit  # noqa: E402
from gankit.engine import Callback  # noqa: E402
from gankit.errors import GankitError, TrainingDiverged  # noqa: E402

#: the equivalence runs: a name -> train() keywords (global batch 16, ring8's tiny MLPs unless said)
SCENARIOS = {
    "gan": dict(model="gan"),                              # the non-saturating game
    "wgan-gp": dict(model="wgan-gp"),                      # gradient penalty (double backward), n_critic 5
    "dragan": dict(model="dragan"),                        # penalty around perturbed reals
    "r1-lazy": dict(model="gan", r1=1.0, r1_every=2),      # a lazy penalty phase sharing D's optimizer
    "infogan": dict(model="infogan"),                      # an auxiliary head (Q) trained in both phases
    # reuse_fakes False: one process would reuse D's fakes on images, which multi-process runs do not
    "dcgan-sync-bn": dict(model="dcgan", dataset="fashion-mnist", width=8, sync_bn=True, reuse_fakes=False),
    "dcgan-local-bn": dict(model="dcgan", dataset="fashion-mnist", width=8, reuse_fakes=False),
}
EQUIVALENCE_STEPS = 6
GLOBAL_BATCH = 16


def world() -> tuple[int, int]:
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def install_index_noise(per_rank: int) -> list[int]:
    rank, size = world()
    calls = [0]

    def wrap(original):
        def draw(*size_args, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
                 pin_memory=False):
            if generator is not None:  # seeded draws (fixed grids, data) are left as they are
                return original(*size_args, generator=generator, dtype=dtype, device=device)
            shape = tuple(size_args[0]) if len(size_args) == 1 and not isinstance(size_args[0], int) else size_args
            g = torch.Generator().manual_seed(10_000 + calls[0])
            calls[0] += 1
            if shape and shape[0] == per_rank:
                full = original((per_rank * size, *shape[1:]), generator=g, dtype=dtype)
                value = full[rank * per_rank:(rank + 1) * per_rank]
            else:
                value = original(shape, generator=g, dtype=dtype)
            return value.to(device) if device is not None else value

        return draw

    original_randint = torch.randint

    def randint(*args, generator=None, device=None, dtype=None, **kw):
        if generator is not None:
            return original_randint(*args, generator=generator, device=device, dtype=dtype or torch.long)
        low, high, shape = (0, *args) if len(args) == 2 else args
        g = torch.Generator().manual_seed(10_000 + calls[0])
        calls[0] += 1
        shape = tuple(shape)
        if shape and shape[0] == per_rank:
            value = original_randint(low, high, (per_rank * size, *shape[1:]), generator=g)[rank * per_rank:
                                                                                         (rank + 1) * per_rank]
        else:
            value = original_randint(low, high, shape, generator=g)
        return value.to(device=device, dtype=dtype or torch.long)

    torch.randn = wrap(torch.randn)
    torch.rand = wrap(torch.rand)
    torch.randint = randint
    return calls


def small_fashion():
    from gankit.data import get_dataset

    return get_dataset("fashion-mnist", "train").subset(256, seed=1)


class Fault(Callback):
    """Something going wrong on one rank at one step: ``nan`` (a D weight becomes NaN), ``diverge``
    (a watcher on that rank alone raises TrainingDiverged), ``hang`` (the rank stops answering),
    ``kill`` (the process dies), ``drift`` (one weight changes on that rank only)."""

    def __init__(self, spec: str):
        kind, rank, step = spec.split(":")
        self.kind, self.rank, self.step = kind, int(rank), int(step)

    def _here(self, view) -> bool:
        return world()[0] == self.rank and view.step == self.step

    def on_step(self, view) -> None:
        if not self._here(view):
            return
        D = view._trainer.game.nets["D"]
        weight = next(D.parameters())
        if self.kind == "nan":
            with torch.no_grad():
                weight.fill_(float("nan"))
        elif self.kind == "drift":
            with torch.no_grad():
                weight.add_(1e-3)
        elif self.kind == "hang":
            time.sleep(600)
        elif self.kind == "kill":
            os._exit(9)

    def on_log(self, view, record) -> None:
        if self.kind == "diverge" and self._here(view):
            raise TrainingDiverged(f"injected divergence on rank {self.rank} at step {self.step}")


class Witness(Callback):
    """What this rank saw, written next to the run: the fixed grid's inputs, its last record, its first noise."""

    def __init__(self, path: str):
        self.path = path
        self.first_noise = None

    def on_step(self, view) -> None:
        if self.first_noise is None:
            with torch.random.fork_rng(devices=[]):
                self.first_noise = torch.randn(4).tolist()

    def on_end(self, view) -> None:
        rank, size = world()
        fixed = view.fixed_inputs()
        tensors = fixed if isinstance(fixed, (tuple, list)) else list(fixed.values()) if isinstance(fixed, dict) else [fixed]
        digest = [float(t.double().sum()) for t in tensors if isinstance(t, torch.Tensor)]
        with open(f"{self.path}.rank{rank}.json", "w") as f:
            json.dump({"rank": rank, "world": size, "fixed": digest, "first_noise": self.first_noise,
                       "records": view.records, "per_rank_batch": view._trainer.per_rank_batch}, f)


def main(argv: list[str]) -> int:
    mode, out = argv[0], argv[1]
    try:
        if mode == "train":
            kwargs = json.loads(argv[2])
            callbacks = [Witness(out)]
            if len(argv) > 3 and argv[3] == "--fault":
                callbacks.append(Fault(argv[4]))
            if kwargs.pop("small_fashion", False):
                kwargs["data"] = small_fashion()
            gankit.train(out=None if "resume" in kwargs else out, quiet=True, callbacks=callbacks, **kwargs)
        elif mode == "equivalence":  # several scenarios in one process group (started once, as a caller may)
            if world()[1] > 1:
                torch.distributed.init_process_group("gloo")
            calls = install_index_noise(GLOBAL_BATCH // world()[1])
            for name in argv[2].split(","):
                calls[0] = 0
                kwargs = dict(dict(dataset="ring8", steps=EQUIVALENCE_STEPS, batch_size=GLOBAL_BATCH, seed=1,
                                   log_every=1, diagnostics=False, sample_every=10_000, precision="fp32"),
                              **SCENARIOS[name])
                if kwargs["dataset"] == "fashion-mnist":
                    kwargs["data"] = small_fashion()
                gankit.train(out=f"{out}/{name}", quiet=True, **kwargs)
            if torch.distributed.is_initialized():  # the caller that made the group ends it (gloo aborts at
                torch.distributed.barrier()         # exit otherwise: exit -6, "terminate called ...")
                torch.distributed.destroy_process_group()
        else:
            raise SystemExit(f"unknown mode {mode}")
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
