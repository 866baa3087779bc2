"""Where does a CPU training step's time go, by oneDNN's own clock? Each matmul, convolution and reorder.

    .venv/bin/python bench/onednn_profile.py                       # zoo nets, batch 64, auto precision
    .venv/bin/python bench/onednn_profile.py --side reference      # the usual loop (bench/_reference.py)
    .venv/bin/python bench/onednn_profile.py --arch dcgan --batch-size 256 --precision fp32

torch.profiler changes what it measures here: it allocates per event, so glibc hands the step fresh,
unfaulted memory and casts look several times slower than they are (docs/performance.md, "Page
faults"). oneDNN's verbose mode times each primitive inside the library and allocates nothing, so this
script switches it on (``torch.backends.mkldnn.verbose``) for ``--steps`` steps after an untimed
warm-up, reads the lines oneDNN writes to the process's standard output, and prints per primitive: ms
per step, calls per step, multiply-adds and the rate they ran at (GMAC/s), beside the best rate of a
square matmul in the same precision measured just before (``gankit.perf.peak.matmul_peak``). What is
not in oneDNN (the optimizer, casts, batchnorm, activations, autograd; and fp32 matmuls, which torch
sends to MKL, so the usual loop's linear layers are missing from its table) is the step's wall time
minus the primitives' sum. Verbose mode itself adds a few per cent to the step. Markdown, to paste
into docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _reference as ref  # noqa: E402

_CONV_FIELD = re.compile(r"(mb|ic|oc|ih|oh|kh|iw|ow|kw|g)(\d+)")


def multiply_adds(kind: str, problem: str) -> int:
    """Multiply-adds of one oneDNN primitive from its verbose problem descriptor (0 for memory ops).

    >>> multiply_adds("matmul", "64x1024:1024x6272")
    411041792
    >>> multiply_adds("convolution", "mb2_ic3oc4_ih8oh4kh4sh2dh0ph1_iw8ow4kw4sw2dw0pw1")  # 2*4*3*4*4*16
    6144
    """
    if kind == "matmul":
        a, b = (side.split("x") for side in problem.split(":"))
        batch = 1
        for d in a[:-2]:
            batch *= int(d)
        return batch * int(a[-2]) * int(a[-1]) * int(b[-1])
    if kind in ("convolution", "deconvolution"):
        f = {k: int(v) for k, v in _CONV_FIELD.findall(problem)}
        g = f.get("g", 1)
        iw, ow, kw = f.get("iw", f["ih"]), f.get("ow", f["oh"]), f.get("kw", f["kh"])
        if kind == "convolution":  # every output position of every output channel: ic/g * kh * kw
            return f["mb"] * f["oc"] * (f["ic"] // g) * f["oh"] * ow * f["kh"] * kw
        return f["mb"] * f["ic"] * (f["oc"] // g) * f["ih"] * iw * f["kh"] * kw  # deconvolution: per input
    return 0


@contextmanager
def captured_stdout(path: Path):
    """Send file descriptor 1 (where oneDNN's C code prints) to ``path`` for the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "wb") as f:
        os.dup2(f.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def primitive_lines(step, steps: int, warmup: int, log: Path) -> tuple[list[list[str]], float]:
    for _ in range(warmup):
        step()
    with captured_stdout(log), torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        wall = time.perf_counter() - start
    rows = [line.strip().split(",") for line in log.read_text(errors="replace").splitlines()
            if line.startswith("onednn_verbose") and ",primitive,exec," in line]
    return rows, wall


def report(label: str, rows: list[list[str]], wall: float, steps: int, top: int, peak: float) -> None:
    # fields: onednn_verbose, v1, primitive, exec, engine, kind, implementation, prop_kind, memory
    # descriptors, attributes, auxiliary, problem, time (ms); read from both ends
    table: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for r in rows:
        key = (r[5], r[7], r[-2])
        table[key][0] += 1
        table[key][1] += float(r[-1])
    step_ms = 1000 * wall / steps
    in_onednn = sum(ms for _, ms in table.values()) / steps
    macs = sum(n * multiply_adds(k[0], k[2]) for k, (n, _) in table.items()) / steps
    print(f"#### {label}: {step_ms:.1f} ms per step, {in_onednn:.1f} ms of it in oneDNN "
          f"({in_onednn / step_ms:.0%}), {macs / 1e9:.2f} G multiply-adds at {macs / in_onednn / 1e6:.0f} GMAC/s "
          f"(a square matmul: {peak:.0f})\n")
    print("| primitive | pass | problem | ms / step | calls / step | GMAC/s |")
    print("|---|---|---|---:|---:|---:|")
    for (kind, prop, problem), (n, ms) in sorted(table.items(), key=lambda kv: -kv[1][1])[:top]:
        m = multiply_adds(kind, problem)
        rate = f"{n * m / ms / 1e6:.0f}" if m else "-"
        print(f"| {kind} | {prop} | `{problem}` | {ms / steps:.2f} | {n / steps:.1f} | {rate} |")
    print()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--side", choices=("gankit", "reference", "both"), default="gankit")
    p.add_argument("--arch", default="zoo")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--precision", default="auto", help="gankit's precision (the usual loop is fp32)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--top", type=int, default=16)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from gankit.perf.bench import bench_trainer, prepare_bench
    from gankit.perf.machine import describe
    from gankit.perf.peak import matmul_peak

    def peak_gmacs(precision: str) -> float:
        return matmul_peak(precision) / 2  # GFLOP/s -> multiply-adds

    print(f"> bench/onednn_profile.py: {describe()}")
    print(f"> {args.arch} nets, batch {args.batch_size}, {args.steps} steps timed by oneDNN after {args.warmup}\n")
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "onednn.log"
        if args.side in ("reference", "both"):
            ref.torchvision_root()
            loop = ref.ReferenceLoop(args.arch, args.batch_size, seed=0, workers=2)
            try:
                rows, wall = primitive_lines(loop.step, args.steps, args.warmup, log)
            finally:
                loop.close()
            report("usual loop (bench/_reference.py, fp32)", rows, wall, args.steps, args.top, peak_gmacs("fp32"))
        if args.side in ("gankit", "both"):
            cfg, data, device, precision = prepare_bench("dcgan", args.batch_size, args.precision, "cpu",
                                                         arch=args.arch)
            trainer = bench_trainer(cfg, data, device, precision, Path(tmp) / "run")
            rows, wall = primitive_lines(trainer.step, args.steps, args.warmup, log)
            report(f"gankit step ({precision.name})", rows, wall, args.steps, args.top, peak_gmacs(precision.name))


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
