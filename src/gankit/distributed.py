"""Multi-process training on ``torch.distributed``: one process per device, launched by torchrun.

Why gradients are all-reduced by hand rather than by DDP: a GAN step is several optimizer updates,
each training some nets with the others frozen, some with a double backward (gradient penalties),
some only every k-th step (lazy R1), and a D loss runs D twice (real, fake). DDP's autograd hooks
assume one forward and one backward over a fixed set of parameters: frozen nets and lazy phases
trip its unused-parameter check, higher-order gradients are outside what its reducer supports
(pytorch/pytorch#63929), and its buffer broadcast at every forward rewrites batchnorm buffers in place between D's two
forwards (the "modified by an inplace operation" failure GAN users hit on current PyTorch). So,
like stylegan2-ada and stylegan3, the nets stay plain modules and the Trainer makes one flat
all-reduce of a phase's gradients after its backward, before its optimizer step
(:func:`all_reduce_gradients`). Every rank then steps the same optimizer state with the same
gradients and keeps the same weights, whatever the phase computed.

What stays per rank, on purpose: the noise and dropout RNG (seeded per rank: :func:`rank_seed`),
the slice of each global batch (the data order is one shared permutation), and state a module
lists in ``rank_local_buffers`` (CycleGAN's pool of past fakes, ADA's running sums between its
reductions). Every other floating-point buffer (batchnorm running statistics, StyleGAN's w_avg,
BEGAN's k_t) is averaged after every update (:func:`average_buffers`), so it too is the same on
every rank. Decisions (divergence, alarms, stops) are taken once and shared (:func:`agree`), so
no rank waits forever for one that stopped. The measurements are in docs/distributed.md.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta

import torch
import torch.distributed as dist

from .errors import GankitError

TIMEOUT_ENV = "GANKIT_DIST_TIMEOUT"  # seconds a collective may wait for the other processes
DEFAULT_TIMEOUT_S = 1800.0           # torch's own default for gloo; tests set 60
DEBUG_ENV = "GANKIT_DIST_DEBUG"      # 1: check that every rank holds the same weights before each checkpoint


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main_process() -> bool:
    return rank() == 0


def launched() -> bool:
    """True in a process torchrun (or any env:// launcher) started as one of several."""
    return "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1


def timeout_s() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise GankitError(f"{TIMEOUT_ENV}={raw!r} must be a positive number of seconds (e.g. 60)")
    return value


def debug() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def backend_for(device: torch.device) -> str:
    """NCCL between GPUs, gloo between CPU processes (the only backends torch ships for each)."""
    return "nccl" if device.type == "cuda" else "gloo"


def setup(device: torch.device) -> tuple[torch.device, bool]:
    """Join the process group when launched as one of several processes; returns the device this
    rank trains on (its own GPU, ``cuda:LOCAL_RANK``) and whether this call created the group (so
    :func:`teardown` ends only what it began: a caller that set up torch.distributed keeps it)."""
    if not launched() or not dist.is_available():
        return device, False
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", "0"))
        if local >= torch.cuda.device_count():
            raise GankitError(f"process {os.environ.get('RANK')} is local rank {local}, but this machine has "
                              f"{torch.cuda.device_count()} GPU(s) (lower --nproc_per_node)")
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    if dist.is_initialized():
        return device, False
    try:
        dist.init_process_group(backend_for(device), timeout=timedelta(seconds=timeout_s()),
                                device_id=device if device.type == "cuda" else None)
    except (RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0][:160] if str(e).strip() else type(e).__name__
        raise GankitError(f"could not join the other training processes: {first} (check --rdzv_endpoint "
                          "and that every node started)") from None
    return device, True


@contextmanager
def process_group(device: torch.device):
    """``with process_group(device) as device:`` the body runs as one rank of the group (when launched as
    one of several), on this rank's device; the group is left however the body ends."""
    device, created = setup(device)
    try:
        yield device
    except BaseException as e:
        teardown(created, clean=getattr(e, "collective", False))
        raise
    teardown(created)


def teardown(created: bool, clean: bool = True) -> None:
    """Leave the group this process created. After a clean end the ranks first meet at a barrier, so no
    rank tears down the store (rank 0 hosts it) while another still talks to it."""
    if created and dist.is_initialized():
        if clean:
            dist.barrier()
        dist.destroy_process_group()


def rank_seed(seed: int, rank_: int) -> int:
    """The seed of rank ``rank_``'s noise RNG: distinct per rank, the same on every restart."""
    return (seed * 1_000_003 + 7919 * (rank_ + 1)) % (2**63)


def per_rank_batch(global_batch: int, world: int, what: str = "--batch-size") -> int:
    """``global_batch`` split over ``world`` processes; a one-line error when it does not divide."""
    if global_batch % world:
        lower, upper = (global_batch // world) * world, (global_batch // world + 1) * world
        hint = f"{lower} or {upper}" if lower > 0 else f"{upper}"
        error = GankitError(f"{what} {global_batch} is the global batch and does not divide over {world} processes "
                            f"(use a multiple of {world}, e.g. {hint})")
        error.collective = True  # every rank computes the same
        raise error
    return global_batch // world


# -- collectives ---------------------------------------------------------------------------------
def _flat_all_reduce_mean(tensors: list[torch.Tensor]) -> None:
    """Average ``tensors`` in place over the ranks: one all-reduce per dtype (flat, stylegan3's way)."""
    if world_size() == 1 or not tensors:
        return
    by_dtype: dict[torch.dtype, list[torch.Tensor]] = {}
    for t in tensors:
        by_dtype.setdefault(t.dtype, []).append(t)
    world = world_size()
    for group in by_dtype.values():
        flat = torch.cat([t.reshape(-1) for t in group])
        dist.all_reduce(flat)
        flat.div_(world)
        for t, part in zip(group, flat.split([t.numel() for t in group])):
            t.copy_(part.view(t.shape))


def all_reduce_gradients(params: list[torch.nn.Parameter]) -> None:
    """Every rank's gradients replaced by their mean over the ranks (the gradient of the global
    batch's mean loss). A parameter without a gradient has none on every rank (the same code ran),
    so it is skipped everywhere, as one process would skip it."""
    _flat_all_reduce_mean([p.grad for p in params if p.grad is not None])


def rank_local(module: torch.nn.Module) -> set[int]:
    """The ids of the buffers ``module``'s submodules keep per rank (their ``rank_local_buffers``)."""
    out = set()
    for m in module.modules():
        for name in getattr(m, "rank_local_buffers", ()):
            out.add(id(getattr(m, name)))
    return out


def shared_state(module: torch.nn.Module, buffers_only: bool = False) -> dict[str, torch.Tensor]:
    """``module``'s parameters and buffers that every rank must hold identically (all but the rank-local)."""
    local = rank_local(module)
    out = {} if buffers_only else {f"param:{n}": p for n, p in module.named_parameters()}
    out.update({f"buffer:{n}": b for n, b in module.named_buffers() if id(b) not in local})
    return out


def average_buffers(module: torch.nn.Module) -> None:
    """Floating-point buffers (batchnorm statistics, w_avg, k_t) averaged over the ranks; integer ones
    (counters, ProGAN's stage) advance identically everywhere and are left alone."""
    buffers = [b for b in shared_state(module, buffers_only=True).values() if b.is_floating_point()]
    with torch.no_grad():
        _flat_all_reduce_mean(buffers)


def all_reduce_mean(values: torch.Tensor) -> torch.Tensor:
    """A new tensor: ``values`` averaged over the ranks (logged statistics)."""
    if world_size() == 1:
        return values
    out = values.clone()
    _flat_all_reduce_mean([out])
    return out


def all_reduce_sum_(tensors: list[torch.Tensor]) -> None:
    """Sum ``tensors`` over the ranks, in place (ADA's running sums at each update of p)."""
    if world_size() == 1:
        return
    flat = torch.cat([t.reshape(-1).float() for t in tensors])
    dist.all_reduce(flat)
    for t, part in zip(tensors, flat.split([t.numel() for t in tensors])):
        t.copy_(part.view(t.shape).to(t.dtype))


@torch.no_grad()
def batch_std(x: torch.Tensor) -> torch.Tensor:
    """The std of every element of the global batch (DRAGAN's perturbation scale): ``x.std()`` in one
    process, the same number from all-reduced sums over several, so each rank perturbs by the global
    batch's spread rather than its own slice's."""
    if world_size() == 1:
        return x.std()
    xf = x.detach().double()
    sums = torch.stack([xf.sum(), (xf * xf).sum(), torch.tensor(float(xf.numel()), dtype=torch.float64,
                                                                 device=x.device)])
    dist.all_reduce(sums)
    total, squares, n = sums
    var = (squares - total * total / n) / (n - 1)
    return var.clamp_min(0).sqrt().to(x.dtype)


def gather(obj) -> list:
    """Every rank's ``obj`` (picklable; tensors on the CPU), on every rank, in rank order."""
    if world_size() == 1:
        return [obj]
    out = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


def agree(record: dict, error: Exception | None) -> tuple[dict, Exception | None]:
    """One collective decision at a log step: rank 0's record (with what its watchers added) and the
    error of the lowest rank that has one, on every rank, so all stop together or none does."""
    if world_size() == 1:
        return record, error
    mine = (record if is_main_process() else None,
            None if error is None else (type(error).__name__, str(error), getattr(error, "exit_code", 1)))
    views = gather(mine)
    record = views[0][0]
    first = next((v[1] for v in views if v[1] is not None), None)
    if error is None and first is not None:
        from .errors import TrainingDiverged

        cls = TrainingDiverged if first[0] == "TrainingDiverged" else GankitError
        error = cls(first[1])
    if error is not None:
        error.collective = True  # every rank raises it now: they can still meet to tear down cleanly
    return record, error


def mismatches(named: dict[str, torch.Tensor]) -> list[str]:
    """The names whose tensor on some rank differs from rank 0's (broadcast and compare, one
    broadcast per dtype), known to every rank."""
    if world_size() == 1:
        return []
    by_dtype: dict[torch.dtype, list[tuple[str, torch.Tensor]]] = {}
    for name, t in named.items():
        by_dtype.setdefault(t.dtype, []).append((name, t.detach()))
    bad = []
    for group in by_dtype.values():
        mine = torch.cat([t.reshape(-1) for _, t in group])
        ref = mine.clone()
        dist.broadcast(ref, 0)
        for (name, t), a, b in zip(group, mine.split([t.numel() for _, t in group]),
                                   ref.split([t.numel() for _, t in group])):
            if not torch.equal(a, b):
                bad.append(name)
    return sorted(set(n for names in gather(bad) for n in names))


def broadcast_state(module: torch.nn.Module) -> None:
    """Rank 0's parameters and shared buffers on every rank (the start of a run: one init everywhere)."""
    if world_size() == 1:
        return
    with torch.no_grad():
        for t in shared_state(module).values():
            buf = t.detach().contiguous()
            dist.broadcast(buf, 0)
            if buf.data_ptr() != t.data_ptr():
                t.detach().copy_(buf)


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()
