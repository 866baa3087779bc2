"""ssgan vs the supervised-only baseline: test accuracy of the same D from the same few labels.

    python bench/semi_supervised.py [--labels 10,100] [--seeds 0,1,2] [--steps 3000] [--dataset fashion-mnist]

For every labels-per-class count and seed (the seed picks the labelled images, ``--label-seed``, and
the run's own ``--seed``), it trains in-process, one thread:

- ``ssgan``: D on CE(labelled) + the unsupervised real/fake terms, G by feature matching;
- ``supervised``: the same recipe with ``--param unsupervised=0`` (same D net, same labelled
  images, no fakes, no unlabelled images, no G updates), the same number of D updates;

and scores D on the whole test split (10,000 images for Fashion-MNIST). Prints a markdown table of
mean +- standard deviation over the seeds, and every run's number. Written up in docs/semi-supervised.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import torch  # noqa: E402

from gankit import api  # noqa: E402
from gankit.data import get_dataset  # noqa: E402


def accuracy(run, test) -> float:
    return (run.classify(test.data) == test.labels).float().mean().item()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", default="10,100")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--dataset", default="fashion-mnist")
    ap.add_argument("--precision", default="auto")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    test = get_dataset(args.dataset, "test")
    results: dict[tuple[int, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for per_class in map(int, args.labels.split(",")):
            for seed in map(int, args.seeds.split(",")):
                for name, weight in (("ssgan", 1.0), ("supervised", 0.0)):
                    start = time.perf_counter()
                    run = api.train(model="ssgan", dataset=args.dataset, labels_per_class=per_class, label_seed=seed,
                                    seed=seed, steps=args.steps, batch_size=args.batch_size, precision=args.precision,
                                    params={"unsupervised": weight}, sample_every=10**9, checkpoint_every=10**9,
                                    out=Path(tmp) / f"{name}-{per_class}-{seed}", quiet=True)
                    acc = accuracy(run, test)
                    results.setdefault((per_class, name), []).append(acc)
                    print(f"{name:10s} labels/class {per_class:4d} seed {seed}: test accuracy {acc:.4f} "
                          f"({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\n{args.dataset}, {args.steps} steps of batch {args.batch_size} (+ {args.batch_size} labelled), "
          f"test accuracy on {len(test)} images, mean +- sd over seeds {args.seeds}\n")
    print("| labels per class | supervised only | ssgan | gain |\n|---|---|---|---|")
    for per_class in map(int, args.labels.split(",")):
        sup, gan = results[(per_class, "supervised")], results[(per_class, "ssgan")]
        sd = (lambda v: statistics.stdev(v) if len(v) > 1 else 0.0)
        print(f"| {per_class} | {statistics.mean(sup):.4f} +- {sd(sup):.4f} | {statistics.mean(gan):.4f} +- "
              f"{sd(gan):.4f} | {statistics.mean(gan) - statistics.mean(sup):+.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
