"""Does bf16 autocast hurt GAN training? fp32 vs bf16, same model, seeds and steps, side by side.

    python bench/precision_quality.py [--model dcgan] [--arch zoo] [--steps 1000] [--seeds 0,1,2]
    python bench/precision_quality.py --vary fakes ...   # fresh fakes for G's step vs D's reused

For each seed, trains the model twice through ``gankit.train`` (identical config but the
precision, or with ``--vary fakes`` but ``reuse_fakes``), samples 2000 images with a fixed seed and
measures their distance to 2000 test images (FID on gankit's classifier when available, else a pixel
Fréchet distance; see _quality.py).
Prints per-seed figures, the mean and spread per precision, and whether the bf16 mean is within
the seed-to-seed noise of fp32 (|difference of means| <= 2 x the larger standard deviation),
which is the criterion for making bf16 the ``auto`` choice. Also prints the wall-clock of both.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _quality  # noqa: E402

import gankit  # noqa: E402
from gankit.data import get_dataset  # noqa: E402
from gankit.perf.machine import describe  # noqa: E402

#: what --vary compares: (arm name, train() keys), the baseline first
ARMS = {
    "precision": [("fp32", {"precision": "fp32"}), ("bf16", {"precision": "bf16"})],
    "fakes": [("fresh", {"reuse_fakes": False}), ("reused", {"reuse_fakes": True})],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="dcgan")
    p.add_argument("--arch", default=None, help="network (model default otherwise), e.g. zoo")
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--metric", default="auto", choices=("auto", "fid", "pixel"))
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice; 1 is far faster on a machine oversubscribed by other work)")
    p.add_argument("--vary", choices=sorted(ARMS), default="precision",
                   help="what the two arms differ in (default precision: fp32 vs bf16; fakes: G's step on fresh "
                        "fakes vs the D step's, at the default precision)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    train = get_dataset("fashion-mnist", "train")
    test = get_dataset("fashion-mnist", "test").subset(2000, seed=0)
    name, metric = _quality.make_metric(test.data, args.metric)
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"# bench/precision_quality.py: {describe()}")
    print(f"# {args.model} (arch {args.arch or 'default'}, width {args.width or 'default'}), batch {args.batch_size}, "
          f"{args.steps} steps, seeds {seeds}; metric: {name}, 2000 samples vs 2000 test images (lower is better)")
    print()
    (base, base_keys), (other, other_keys) = ARMS[args.vary]
    print(f"| seed | {base} | {other} | {base} s | {other} s |")
    print("|---:|---:|---:|---:|---:|")
    scores: dict[str, list[float]] = {base: [], other: []}
    times: dict[str, float] = {base: 0.0, other: 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            row = {}
            for arm, keys in ((base, base_keys), (other, other_keys)):
                t0 = time.perf_counter()
                run = gankit.train(model=args.model, arch=args.arch, width=args.width, dataset="fashion-mnist",
                                   steps=args.steps, batch_size=args.batch_size, seed=seed, **keys,
                                   sample_every=10**9, checkpoint_every=10**9, log_every=100, diagnostics=False,
                                   out=Path(tmp) / f"{arm}-{seed}", quiet=True, data=train)
                elapsed = time.perf_counter() - t0
                times[arm] += elapsed
                score = metric(run.sample(2000, seed=1234))
                scores[arm].append(score)
                row[arm] = (score, elapsed)
            print(f"| {seed} | {row[base][0]:.4f} | {row[other][0]:.4f} | {row[base][1]:.0f} | "
                  f"{row[other][1]:.0f} |", flush=True)
    mean = {k: statistics.mean(v) for k, v in scores.items()}
    std = {k: statistics.stdev(v) if len(v) > 1 else 0.0 for k, v in scores.items()}
    print()
    for k in scores:
        print(f"{k}: {name} mean {mean[k]:.4f} +- {std[k]:.4f} (std over seeds); wall-clock {times[k]:.0f} s")
    noise = 2 * max(std.values())
    diff = mean[other] - mean[base]
    verdict = "within noise" if abs(diff) <= noise else (f"{other} WORSE" if diff > 0 else f"{other} better")
    print(f"{other} - {base} = {diff:+.4f} (noise band +-{noise:.4f}): {verdict}; "
          f"wall-clock ratio {base}/{other} {times[base] / max(times[other], 1e-9):.2f}x")

if __name__ == "__main__":
    main()
