"""Which engine options help here: the default step vs --channels-last, --compile and fp32, side by side.

    python bench/engine_options.py [--archs dcgan,zoo] [--batch-size 64] [--steps 40] [--repeats 2]

Runs ``gankit.perf.bench_model`` (the Trainer step as ``gankit train`` runs it) for each option,
interleaved and repeated (best kept), and prints ms/step, images/s and the speed-up over the
default (``--precision auto``, eager, contiguous NCHW). ``--compile`` also reports the compile
time its first step paid. These figures decide the defaults: an option that does not beat the
default here stays off by default.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gankit.data import get_dataset  # noqa: E402
from gankit.perf import bench_model  # noqa: E402
from gankit.perf.machine import describe  # noqa: E402

OPTIONS = {
    "default (auto precision)": {},
    "fp32": {"precision": "fp32"},
    "channels_last": {"channels_last": True},
    "compile": {"compile": True},
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archs", default="dcgan,zoo")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--options", default=",".join(OPTIONS), help="subset of: " + ", ".join(OPTIONS))
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice; 1 is far faster on a machine oversubscribed by other work)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    chosen = [o for o in OPTIONS if o in args.options.split(",")]

    start = time.perf_counter()
    data = get_dataset("fashion-mnist")
    print(f"> bench/engine_options.py: {describe()}")
    print(f"> batch {args.batch_size}, {args.steps} timed steps after {args.warmup} warm-up, best of {args.repeats}")
    print()
    print("| nets | option | precision | ms/step | images/s | speed-up vs default | compile s |")
    print("|---|---|---|---:|---:|---:|---:|")
    for arch in args.archs.split(","):
        best: dict[str, float] = {}
        info: dict[str, tuple[str, float | None]] = {}
        for _ in range(args.repeats):
            for name in chosen:
                r = bench_model("dcgan", arch=arch, batch_size=args.batch_size, steps=args.steps,
                                warmup=args.warmup, data=data, peak=False, device="cpu",
                                **{"precision": "auto", **OPTIONS[name]})
                best[name] = min(best.get(name, float("inf")), r.ms_per_step)
                info[name] = (r.precision, r.compile_s if name not in info else info[name][1])
        base = best.get("default (auto precision)")
        for name in chosen:
            ms = best[name]
            speed = f"{base / ms:.2f}x" if base else "-"
            comp = f"{info[name][1]:.1f}" if info[name][1] is not None else ""
            print(f"| {arch} | {name} | {info[name][0]} | {ms:.2f} | {1000 * args.batch_size / ms:.0f} | {speed} "
                  f"| {comp} |", flush=True)
    print()
    print(f"> total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
