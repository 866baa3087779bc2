"""One process vs N processes of ``gankit train`` on this machine, the same global batch, side by side.

    python bench/distributed_speed.py [--models dcgan,wgan-gp] [--batch-size 64] [--steps 60] [--nproc 2]
                                      [--repeats 2]

For each model it runs, interleaved and repeated (best kept):

- ``1 x 1``: one process, one thread (OMP_NUM_THREADS=1): the per-process unit of the scaling ratio;
- ``1 x N``: one process, N threads: what a user of this machine would otherwise run;
- ``N x 1``: ``gankit train --nproc N``, one thread each (torchrun, gloo, gradients all-reduced).

Images/s come from the run's own metrics.jsonl (global images per second of training, the first
log window dropped: it holds start-up and the first steps' allocations). Scaling efficiency is
``N x 1 img/s / (N * 1 x 1 img/s)``. Benchmark on a quiet machine: N processes need N free cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from gankit.perf.machine import describe  # noqa: E402


def images_per_s(run: Path) -> float:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steady = records[1:] or records
    images = sum(r["images_per_s"] * r["ms_per_step"] for r in steady)  # weighted by window time
    return images / sum(r["ms_per_step"] for r in steady)


def train(model: str, procs: int, threads: int, args, out: Path) -> float:
    cmd = [sys.executable, "-m", "gankit", "train", "--model", model, "--dataset", "fashion-mnist",
           "--steps", str(args.steps), "--batch-size", str(args.batch_size), "--log-every", str(args.log_every),
           "--precision", args.precision, "--sample-every", "100000", "--checkpoint-every", "100000",
           "--no-diagnostics", "--quiet", "--overwrite", "--out", str(out)]
    if procs > 1:
        cmd += ["--nproc", str(procs)]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return images_per_s(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="dcgan,wgan-gp")
    p.add_argument("--batch-size", type=int, default=64, help="the global batch (split over the processes)")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--precision", default="fp32")
    args = p.parse_args()
    n = args.nproc
    configs = {"1 x 1": (1, 1), f"1 x {n}": (1, n), f"{n} x 1": (n, 1)}
    print(f"> bench/distributed_speed.py: {describe()}")
    print(f"> global batch {args.batch_size}, {args.steps} steps, {args.precision}, best of {args.repeats}; "
          "processes x threads")
    print()
    print(f"| model | 1 x 1 img/s | 1 x {n} img/s | {n} x 1 img/s | {n} x 1 / 1 x 1 | scaling efficiency | "
          f"{n} x 1 / 1 x {n} |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models.split(","):
            best = {name: 0.0 for name in configs}
            for _ in range(args.repeats):
                for name, (procs, threads) in configs.items():
                    best[name] = max(best[name], train(model, procs, threads, args, Path(tmp) / "run"))
            one, threads_n, procs_n = best["1 x 1"], best[f"1 x {n}"], best[f"{n} x 1"]
            print(f"| {model} | {one:.0f} | {threads_n:.0f} | {procs_n:.0f} | {procs_n / one:.2f} | "
                  f"{procs_n / (n * one):.0%} | {procs_n / threads_n:.2f} |", flush=True)


if __name__ == "__main__":
    main()
