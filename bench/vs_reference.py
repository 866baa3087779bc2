"""gankit's engine vs the usual way to train a GAN, same nets, batch and optimizer, side by side.

    python bench/vs_reference.py [--archs dcgan,zoo] [--batch-sizes 64,256] [--steps 40] [--repeats 2]

The usual way (bench/_reference.py): torchvision FashionMNIST + ToTensor/Normalize per image
through PIL + DataLoader (2 workers, as in the PyTorch DCGAN example), fp32, plain Adam, both
losses read with .item() every step. gankit: the Trainer step as ``gankit train`` runs it, with
its defaults (dataset in memory as uint8, batches by index, ``--precision auto``, fused Adam), and
also forced to fp32 to show how much of the gain is the loop and how much the precision.
Both train the minimax game (non-saturating G loss) with Adam(2e-4, betas 0.5/0.999). The usual
loop is timed in a fresh Python process each time, with the same thread count, so that nothing
gankit sets for its own process (its allocator thresholds: gankit.allocator) reaches it.

Each configuration is timed ``--repeats`` times, interleaved, and the best (lowest) median-of-
chunks ms/step is kept, so that load from other processes hurts every loop alike. Prints a
markdown table to paste into docs/performance.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _reference as ref  # noqa: E402

from gankit.data import get_dataset  # noqa: E402
from gankit.perf import bench_model  # noqa: E402
from gankit.perf.machine import describe  # noqa: E402

LABELS = {"dcgan": "dcgan (DCGAN nets, Radford et al.)", "zoo": "zoo backbone (Lucic et al. 2018)"}


def reference_ms(arch: str, batch_size: int, steps: int, warmup: int, workers: int) -> float:
    """The usual loop's ms/step, timed in a fresh Python process: gankit's Trainer changes this process's
    allocator (gankit.allocator), and the usual loop is measured as its users run it."""
    argv = [sys.executable, __file__, "--reference-only", arch, str(batch_size), str(steps), str(warmup),
            str(workers), str(torch.get_num_threads())]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"the reference loop failed:\n{done.stderr}")
    return float(done.stdout.split()[-1])


def _reference_only(arch: str, batch_size: str, steps: str, warmup: str, workers: str, threads: str) -> None:
    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    loop = ref.ReferenceLoop(arch, int(batch_size), seed=0, workers=int(workers))
    try:
        print(1000 * ref.time_steps(loop.step, int(steps), int(warmup)))
    finally:
        loop.close()


def gankit_ms(arch: str, batch_size: int, steps: int, warmup: int, precision: str, data) -> tuple[float, str]:
    r = bench_model("dcgan", arch=arch, batch_size=batch_size, steps=steps, warmup=warmup, precision=precision,
                    data=data, peak=False, device="cpu")
    return r.ms_per_step, r.precision


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--archs", default="dcgan,zoo")
    p.add_argument("--batch-sizes", default="64,256")
    p.add_argument("--steps", type=int, default=40, help="timed steps per measurement")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers of the reference (default 2)")
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice; 1 is far faster on a machine oversubscribed by other work)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    start = time.perf_counter()
    ref.torchvision_root()
    data = get_dataset("fashion-mnist")
    print(f"> bench/vs_reference.py: {describe()}")
    print(f"> {args.steps} timed steps after {args.warmup} warm-up, best of {args.repeats} interleaved repeats; "
          f"reference DataLoader workers: {args.workers}")
    print()
    print("| nets | batch | reference img/s | gankit fp32 img/s | gankit auto img/s | auto precision "
          "| gankit fp32 / reference | **gankit auto / reference** |")
    print("|---|---:|---:|---:|---:|---|---:|---:|")
    for arch in args.archs.split(","):
        for bs in (int(b) for b in args.batch_sizes.split(",")):
            best = {"ref": float("inf"), "fp32": float("inf"), "auto": float("inf")}
            chosen = "?"
            for _ in range(args.repeats):
                best["ref"] = min(best["ref"], reference_ms(arch, bs, args.steps, args.warmup, args.workers))
                best["fp32"] = min(best["fp32"], gankit_ms(arch, bs, args.steps, args.warmup, "fp32", data)[0])
                ms, chosen = gankit_ms(arch, bs, args.steps, args.warmup, "auto", data)
                best["auto"] = min(best["auto"], ms)
            ips = {k: 1000 * bs / v for k, v in best.items()}
            print(f"| {LABELS.get(arch, arch)} | {bs} | {ips['ref']:.0f} | {ips['fp32']:.0f} | {ips['auto']:.0f} "
                  f"| {chosen} | {ips['fp32'] / ips['ref']:.2f}x | **{ips['auto'] / ips['ref']:.2f}x** |", flush=True)
    print()
    print(f"> total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--reference-only"]:
        _reference_only(*sys.argv[2:])
    else:
        torch.manual_seed(0)
        main()
