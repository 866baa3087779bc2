"""Wall-clock until a fixed quality threshold on Fashion-MNIST: gankit vs the usual loop.

    python bench/time_to_quality.py [--arch dcgan] [--threshold T] [--eval-every 100] [--max-seconds 240]

Both loops train the same nets (gankit.nets), same seed, batch 64, Adam(2e-4, 0.5/0.999), the
non-saturating GAN game: the reference loop of bench/_reference.py (torchvision + DataLoader,
fp32, .item() every step) and ``gankit.train`` with its defaults (``--precision auto``). Every
``--eval-every`` steps, 2000 samples (fixed noise, drawn with a generator of their own so the
training RNG is untouched) are compared with 2000 test images; the clock counts training only
(evaluation is paused out, the same for both). A loop that does not reach the threshold within
``--max-seconds`` of training is reported as such, with the best score it reached.

The metric is FID on gankit's domain classifier when gankit.metrics can provide it here, else a
pixel Fréchet distance (see _quality.py); the output names it, and the threshold is in its units.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _quality  # noqa: E402
import _reference as ref  # noqa: E402

import gankit  # noqa: E402
from gankit.data import get_dataset, to_uint8  # noqa: E402
from gankit.engine import Callback  # noqa: E402
from gankit.perf.machine import describe  # noqa: E402

N_EVAL = 2000
#: default thresholds per metric, reachable by both loops in a few minutes on a 2-core CPU. Calibrated
#: on gankit's dcgan (batch 64, bf16): classifier FID 252/230/215/222/203/181 and pixel-FD
#: 1.21/0.64/0.55/0.50/0.45/0.46 at steps 100..600 (train-vs-test floor: FID 1.4, pixel-FD 0.01).
THRESHOLDS = {"pixel": 0.5, "fid": 200.0}


@torch.no_grad()
def samples(G: torch.nn.Module, z: torch.Tensor) -> torch.Tensor:
    was = G.training
    G.eval()
    out = torch.cat([to_uint8(G(chunk).float()) for chunk in z.split(500)])
    G.train(was)
    return out


class Reached(Exception):
    pass


class Tracker:
    """Clock (training time only) + history of (step, seconds, score); raises Reached at the threshold."""

    def __init__(self, metric, z, threshold: float, max_seconds: float):
        self.metric, self.z, self.threshold, self.max_seconds = metric, z, threshold, max_seconds
        self.history: list[tuple[int, float, float]] = []

    def check(self, G, step: int, seconds: float) -> None:
        score = self.metric(samples(G, self.z))
        self.history.append((step, seconds, score))
        if score <= self.threshold or seconds >= self.max_seconds:
            raise Reached

    def result(self) -> dict:
        hit = [h for h in self.history if h[2] <= self.threshold]
        best = min(self.history, key=lambda h: h[2]) if self.history else (0, 0.0, float("inf"))
        if hit:
            return {"reached": True, "step": hit[0][0], "seconds": hit[0][1], "score": hit[0][2]}
        return {"reached": False, "step": best[0], "seconds": self.history[-1][1] if self.history else 0.0,
                "score": best[2]}


def run_reference(arch: str, seed: int, batch_size: int, every: int, tracker: Tracker, workers: int) -> dict:
    loop = ref.ReferenceLoop(arch, batch_size, seed=seed, workers=workers)
    trained, step = 0.0, 0
    try:
        while True:
            t0 = time.perf_counter()
            for _ in range(every):
                loop.step()
            trained += time.perf_counter() - t0
            step += every
            tracker.check(loop.G, step, trained)
    except Reached:
        pass
    finally:
        loop.close()
    return tracker.result()


class _Eval(Callback):
    def __init__(self, tracker: Tracker):
        self.tracker = tracker

    def on_log(self, trainer, record):
        # record["wall_time"] is the engine's own training clock (file output and callbacks excluded)
        self.tracker.check(trainer.sampler().G, trainer.step, record["wall_time"])


def run_gankit(arch: str, seed: int, batch_size: int, every: int, tracker: Tracker, data, out: Path) -> dict:
    try:
        gankit.train(model="dcgan", arch=arch, dataset="fashion-mnist", steps=10**7, batch_size=batch_size,
                     seed=seed, log_every=every, sample_every=10**9, checkpoint_every=10**9, diagnostics=False,
                     out=out, overwrite=True, quiet=True, data=data, callbacks=[_Eval(tracker)])
    except Reached:
        pass
    return tracker.result()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="dcgan", help="dcgan or zoo")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threshold", type=float, default=None, help="distance to reach (default per metric)")
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--max-seconds", type=float, default=240, help="training time cap per loop")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--metric", default="auto", choices=("auto", "fid", "pixel"))
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice; 1 is far faster on a machine oversubscribed by other work)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    test = get_dataset("fashion-mnist", "test").subset(N_EVAL, seed=0)
    name, metric = _quality.make_metric(test.data, args.metric)
    threshold = args.threshold if args.threshold is not None else THRESHOLDS["fid" if name.startswith("FID") else "pixel"]
    z = torch.randn(N_EVAL, ref.Z_DIM, generator=torch.Generator().manual_seed(4321))
    data = get_dataset("fashion-mnist", "train")
    ref.torchvision_root()
    print(f"> bench/time_to_quality.py: {describe()}")
    print(f"> nets {args.arch}, seed {args.seed}, batch {args.batch_size}; metric {name} <= {threshold}, "
          f"checked every {args.eval_every} steps on {N_EVAL} samples; cap {args.max_seconds:.0f} s of training per loop")
    results = {}
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results["reference"] = run_reference(args.arch, args.seed, args.batch_size, args.eval_every,
                                             Tracker(metric, z, threshold, args.max_seconds), args.workers)
        results["gankit"] = run_gankit(args.arch, args.seed, args.batch_size, args.eval_every,
                                       Tracker(metric, z, threshold, args.max_seconds), data, Path(tmp) / "run")
    print()
    print("| loop | reached | steps | training s | score |")
    print("|---|---|---:|---:|---:|")
    for k, r in results.items():
        print(f"| {k} | {'yes' if r['reached'] else 'no (best shown)'} | {r['step']} | {r['seconds']:.1f} "
              f"| {r['score']:.4f} |")
    if all(r["reached"] for r in results.values()):
        print(f"**time-to-quality ratio reference / gankit: "
              f"{results['reference']['seconds'] / results['gankit']['seconds']:.2f}x**")
    else:
        print("time-to-quality ratio: n/a (a loop did not reach the threshold within the cap)")


if __name__ == "__main__":
    main()
