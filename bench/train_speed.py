"""Training throughput of the engine: ms/step and images/s, fp32 vs bf16, side by side.

    python bench/train_speed.py [--model dcgan] [--batch-size 64] [--steps 200] [--repeats 2]

Runs the real engine (``gankit.train``) on Fashion-MNIST in memory and reads the timings it logs
to metrics.jsonl, skipping the first window (warm-up). Precisions are interleaved and repeated so
that drift of the machine hits both alike; the ratio is what to quote.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
from pathlib import Path

import torch

import gankit
from gankit.data import get_dataset


def measure(model: str, precision: str, batch_size: int, steps: int, data, tmp: Path) -> float:
    """Median ms per step over the logged windows after the first."""
    run = gankit.train(model=model, dataset="fashion-mnist", steps=steps, batch_size=batch_size,
                       precision=precision, log_every=50, sample_every=10**9, checkpoint_every=10**9,
                       out=tmp / f"{model}-{precision}", overwrite=True, quiet=True, data=data)
    windows = [r["ms_per_step"] for r in run.metrics()[1:]]
    return statistics.median(windows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="dcgan")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=2)
    args = p.parse_args()

    data = get_dataset("fashion-mnist")
    print(f"# {args.model}, batch {args.batch_size}, Fashion-MNIST 28x28; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    results: dict[str, list[float]] = {"fp32": [], "bf16": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for precision in results:
                results[precision].append(measure(args.model, precision, args.batch_size, args.steps, data, Path(tmp)))
    print(f"{'precision':10s} {'ms/step':>9s} {'images/s':>9s}")
    best = {}
    for precision, values in results.items():
        ms = min(values)
        best[precision] = ms
        # one step = n_critic D updates on a real batch + one G update; dcgan/gan have n_critic 1
        print(f"{precision:10s} {ms:9.2f} {1000 * args.batch_size / ms:9.0f}")
    print(f"bf16 speed-up over fp32: {best['fp32'] / best['bf16']:.2f}x")


if __name__ == "__main__":
    main()
