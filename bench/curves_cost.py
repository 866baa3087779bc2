"""What does the end-of-run ``curves.png`` cost? Every training run pays it once, so the test suite's
hundreds of short runs pay it hundreds of times (docs/performance.md, "The end of a run").

    .venv/bin/python bench/curves_cost.py                     # this tree's plot_curves
    .venv/bin/python bench/curves_cost.py --baseline 6827b00  # and the one at a git revision, interleaved

The records imitate a WGAN-GP run on ring8 (the nine panels a 2D run logs, four log points). The
figure is CPU seconds per drawing (process time, so another job on the machine changes it less than
wall-clock), the median of ``--repeats`` drawings of each version, taken in turns.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

KEYS = ["d_loss", "g_loss", "d_real", "d_fake", "grad_norm_d", "grad_norm_g", "images_per_s", "gp",
        "modes_covered", "modes_reached", "high_quality", "diversity"]


def records(n: int = 4) -> list[dict]:
    import random

    rng = random.Random(0)
    return [{"step": 50 * (i + 1), "wall_time": 4.7 * (i + 1), **{k: rng.uniform(0.01, 2.0) for k in KEYS}}
            for i in range(n)]


def load_plot_curves(source: str, name: str):
    """``plot_curves`` from a copy of curves.py, imported inside the gankit.viz package (relative imports)."""
    spec = importlib.util.spec_from_file_location(f"gankit.viz.{name}", source)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "gankit.viz"
    spec.loader.exec_module(module)
    return module.plot_curves


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline", help="a git revision whose src/gankit/viz/curves.py is timed beside this tree's")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    root = Path(__file__).resolve().parent.parent
    versions = {"this tree": load_plot_curves(str(root / "src/gankit/viz/curves.py"), "_curves_now")}
    tmp = Path(tempfile.mkdtemp(prefix="gankit-curves-"))
    if args.baseline:
        old = subprocess.run(["git", "-C", str(root), "show", f"{args.baseline}:src/gankit/viz/curves.py"],
                             check=True, capture_output=True, text=True).stdout
        (tmp / "curves_baseline.py").write_text(old)
        versions[args.baseline] = load_plot_curves(str(tmp / "curves_baseline.py"), "_curves_baseline")
    recs = records()
    for name, plot in versions.items():  # warm up: fonts, matplotlib's caches
        plot(recs, tmp / "warm.png", title="warm-up")
    seconds: dict[str, list[float]] = {name: [] for name in versions}
    for i in range(args.repeats):
        for name, plot in versions.items():
            start = time.process_time()
            plot(recs, tmp / f"{i}.png", title="bench")
            seconds[name].append(time.process_time() - start)
    for name, values in seconds.items():
        print(f"{name:>12}: {statistics.median(values):.3f} CPU s per curves.png (median of {len(values)})")
    if args.baseline:
        print(f"ratio baseline / this tree: {statistics.median(seconds[args.baseline]) / statistics.median(seconds['this tree']):.2f}")


if __name__ == "__main__":
    main()
