"""Where does a training step's time go? torch.profiler tables for gankit's step and the usual loop.

    .venv/bin/python bench/step_profile.py                          # zoo nets, batch 64, fp32, 20 steps each
    .venv/bin/python bench/step_profile.py --arch dcgan --batch-size 256 --precision auto

Both sides train the same nets (``--arch``) on Fashion-MNIST with the minimax game, as in
bench/vs_reference.py. Each is warmed up, then ``--steps`` steps run under ``torch.profiler``
(CPU activities). Printed, per side: the step's wall time, the top operators by self CPU time, and
the same time grouped by what it is for (convolutions forward and backward, matmuls, batchnorm,
optimizer, data, the rest), so that the two loops can be compared line by line. Markdown, to paste
into docs/performance.md ("Where the step's time goes").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _reference as ref  # noqa: E402

#: operator name fragments -> the group a table row is counted in (first match wins)
GROUPS = [
    ("convolution backward", ("convolution_backward", "mkldnn_convolution_backward")),
    ("convolution forward", ("conv2d", "convolution", "conv_transpose", "mkldnn_convolution")),
    ("matmul (linear)", ("addmm", "mm", "matmul", "linear")),
    ("batchnorm", ("batch_norm",)),
    # plain Adam's elementwise ops (div, sqrt...) run in the main process; the usual loop's image transforms
    # run in its DataLoader workers, which the profiler does not see
    ("optimizer (Adam)", ("_fused_adam", "_foreach_", "adam", "lerp", "addcdiv", "addcmul", "sqrt", "div")),
    ("data (copy, index, convert)", ("index", "copy_", "to", "_to_copy", "gather")),
]


def group_of(name: str) -> str:
    low = name.lower()
    for group, fragments in GROUPS:
        if any(f in low for f in fragments):
            return group
    return "other"


def profile_steps(step, steps: int, warmup: int):
    for _ in range(warmup):
        step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        start = time.perf_counter()
        for _ in range(steps):
            step()
        wall = time.perf_counter() - start
    return prof, wall


def report(label: str, prof, wall: float, steps: int, top: int) -> None:
    events = [e for e in prof.key_averages() if e.self_cpu_time_total > 0]
    total_self = sum(e.self_cpu_time_total for e in events)  # microseconds, all threads
    print(f"#### {label}: {1000 * wall / steps:.1f} ms per step (profiled)\n")
    print("| operator | self CPU ms / step | share | calls / step |")
    print("|---|---:|---:|---:|")
    for e in sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]:
        print(f"| `{e.key}` | {e.self_cpu_time_total / 1000 / steps:.2f} | {e.self_cpu_time_total / total_self:.1%} "
              f"| {e.count / steps:.0f} |")
    groups: dict[str, float] = defaultdict(float)
    for e in events:
        groups[group_of(e.key)] += e.self_cpu_time_total
    print("\n| group | self CPU ms / step | share |")
    print("|---|---:|---:|")
    for g, us in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"| {g} | {us / 1000 / steps:.2f} | {us / total_self:.1%} |")
    print()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="zoo")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--precision", default="fp32")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--top", type=int, default=12)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from gankit.perf.bench import bench_trainer, prepare_bench
    from gankit.perf.machine import describe

    print(f"> bench/step_profile.py: {describe()}")
    print(f"> {args.arch} nets, batch {args.batch_size}, {args.steps} profiled steps after {args.warmup}\n")
    ref.torchvision_root()
    loop = ref.ReferenceLoop(args.arch, args.batch_size, seed=0, workers=2)
    try:
        prof, wall = profile_steps(loop.step, args.steps, args.warmup)
    finally:
        loop.close()
    report("usual loop (bench/_reference.py, fp32)", prof, wall, args.steps, args.top)

    cfg, data, device, precision = prepare_bench("dcgan", args.batch_size, args.precision, "cpu", arch=args.arch)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = bench_trainer(cfg, data, device, precision, Path(tmp))
        prof, wall = profile_steps(trainer.step, args.steps, args.warmup)
    report(f"gankit step ({precision.name})", prof, wall, args.steps, args.top)


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
