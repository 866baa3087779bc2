"""How long does a full evaluation take? And the sanity values quoted in docs/metrics.md.

    .venv/bin/python bench/eval_speed.py                  # 10k samples, every metric, cold then warm cache
    .venv/bin/python bench/eval_speed.py --run runs/fm    # the same on a trained run (includes sampling)
    .venv/bin/python bench/eval_speed.py --sanity         # FID/KID/PR of reference sets against the test split

Without --run, the "samples" are 10k Fashion-MNIST training images, so the figure is the cost of
the evaluation itself (features + metrics), not of any generator. "cold" extracts the real
features (test split, and the 60k train split for the memorization check) and caches them;
"warm" is every later evaluation. Timings are wall-clock on whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch
import torch.nn.functional as F


def full_eval(samples, spec, n_threads):
    from gankit.metrics.evaluate import METRICS, evaluate_samples

    return evaluate_samples(samples, spec, list(METRICS), explicit=False)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", help="evaluate this run folder instead of training images")
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sanity", action="store_true", help="print the sanity table of docs/metrics.md")
    p.add_argument("--keep-cache", action="store_true", help="use ~/.cache/gankit instead of a fresh temporary cache")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if not args.keep_cache:
        os.environ["GANKIT_HOME"] = tempfile.mkdtemp(prefix="gankit-bench-")
    from gankit.data import get_dataset

    if args.sanity:
        return sanity(args.n)
    if args.run:
        from gankit.metrics import evaluate

        for label in ("cold", "warm"):
            t = time.perf_counter()
            r = evaluate(args.run, None, n=args.n, write=False)
            print(f"{label}: {time.perf_counter() - t:.1f} s  {r['seconds']}")
        return
    train = get_dataset("fashion-mnist", "train")
    samples = train.subset(args.n, seed=123).data
    print(f"full evaluation of {len(samples)} samples, all metrics, {args.threads} threads")
    for label in ("cold", "warm"):
        t = time.perf_counter()
        r = full_eval(samples, train.spec, args.threads)
        total = time.perf_counter() - t
        print(f"{label}: {total:.1f} s")
        print("   " + ", ".join(f"{k} {v:.1f}" for k, v in r["seconds"].items()))
    print("metrics:", {k: round(v, 4) for k, v in r["metrics"].items() if isinstance(v, float)})


def sanity(n: int) -> None:
    from gankit.data import get_dataset
    from gankit.metrics.evaluate import evaluate_samples

    train = get_dataset("fashion-mnist", "train")
    ref = train.subset(n, seed=123).data
    g = torch.Generator().manual_seed(0)
    sets = {
        "train images (10k)": ref,
        "train, 3x3 box blur": F.avg_pool2d(ref.float(), 3, 1, 1).round().to(torch.uint8),
        "train, 5x5 box blur": F.avg_pool2d(ref.float(), 5, 1, 2).round().to(torch.uint8),
        "one train image repeated": ref[:1].repeat(len(ref), 1, 1, 1),
        "uniform noise": torch.randint(0, 256, ref.shape, generator=g, dtype=torch.uint8),
    }
    names = ["fid", "kid", "is", "pr", "dc", "swd", "coverage"]
    print("| set (vs. the 10k test split) | FID | KID | IS(clf) | precision | recall | density | coverage | SWD x1e3 | classes |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, x in sets.items():
        m = evaluate_samples(x, train.spec, names)["metrics"]
        print(f"| {label} | {m['fid']:.2f} | {m['kid']:.4f} | {m['is']:.2f} | {m['precision']:.3f} | {m['recall']:.3f} "
              f"| {m['density']:.3f} | {m['coverage']:.3f} | {m['swd']:.1f} | {m['classes_covered']:.1f} |")


if __name__ == "__main__":
    main()
