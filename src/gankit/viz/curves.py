"""Training curves from ``metrics.jsonl``, as matplotlib PNGs.

Why one panel per family of numbers: D and G losses share a scale, D(x) and D(G(z)) are
probabilities, gradient norms span decades (log scale), throughput is its own unit. Any other
numeric key a callback logged (``--eval-every`` metrics, diagnostics signals such as
``diversity``) gets a panel of its own, so new metrics appear without touching this file.
Steps where a pitfall alarm was active are shaded in every panel. The end of every run draws
``curves.png`` against steps only, with a fixed layout, fixed title places and at most five ticks
per axis (matplotlib's automatic layout, title placement and tick count, or a second axis, would
multiply the cost that every training run pays: docs/performance.md, "The end of a run");
``gankit report`` adds ``curves_time.png`` against training time.

``gankit compare --html`` draws the other way round (:func:`compare_figures`): one small figure per
metric with a line per run, since what a comparison asks is "which run is lower here", and that
reads across lines in one axes, not across panels of separate pictures.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

from .runfiles import is_number, read_metrics
from ..safe_write import atomic_output, check_no_symlink

#: panels with a fixed meaning: title, keys, log scale
PANELS = [
    ("losses", ("d_loss", "g_loss", "dreg_loss"), False),
    ("mean D(x) and D(G(z))", ("d_real", "d_fake"), False),
    ("gradient norms", ("grad_norm_d", "grad_norm_g", "grad_norm_dreg"), True),
    ("images / s", ("images_per_s",), False),
]
#: numeric keys that are axes or bookkeeping, never plotted as a curve
NOT_CURVES = {"step", "images", "wall_time", "ms_per_step"}
X_AXES = {"step": "generator step", "wall_time": "training time (s)"}
#: tick values are 1, 2, 2.5 or 5 times a power of ten (matplotlib's default choice, with at most 5 ticks)
TICK_STEPS = [1, 2, 2.5, 5, 10]


def numeric_keys(records: list[dict]) -> list[str]:
    """Every key holding a finite number in at least one record, in first-seen order."""
    seen: dict[str, None] = {}
    for r in records:
        for k, v in r.items():
            if is_number(v):
                seen.setdefault(k, None)
    return list(seen)


def panels_for(records: list[dict]) -> list[tuple[str, tuple[str, ...], bool]]:
    """The fixed panels that have data, then one panel per extra numeric key."""
    keys = numeric_keys(records)
    out, used = [], set(NOT_CURVES)
    for title, panel_keys, log in PANELS:
        present = tuple(k for k in panel_keys if k in keys)
        used.update(panel_keys)
        if present:
            out.append((title, present, log))
    out += [(k, (k,), False) for k in keys if k not in used]
    return out


def plot_curves(records: list[dict], path: str | Path, x: str = "step", title: str | None = None) -> Path | None:
    """Draw every curve of ``records`` against ``x`` ("step" or "wall_time") into one PNG.

    Returns the path, or None when there is nothing to plot (no records with ``x``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    records = [r for r in records if is_number(r.get(x))]
    panels = panels_for(records)
    if not records or not panels:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = 2 if len(panels) > 1 else 1
    rows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.8 * rows), dpi=90, squeeze=False)
    alarm_x = [r[x] for r in records if r.get("alarms")]
    for ax, (panel_title, keys, log) in zip(axes.flat, panels):
        for key in keys:
            pts = [(r[x], r[key]) for r in records if is_number(r.get(key))]
            if not pts:
                continue
            xs, ys = zip(*pts)
            ax.plot(xs, ys, label=key, linewidth=1.2, marker="." if len(pts) < 30 else None)
            if log and min(ys) > 0:
                ax.set_yscale("log")
        for ax_x in alarm_x:
            ax.axvline(ax_x, color="tab:red", alpha=0.15, linewidth=3)
        ax.set_title(panel_title, fontsize=9, y=1.0)  # a fixed place (automatic placement measures every tick)
        ax.set_xlabel(X_AXES.get(x, x), fontsize=8)
        ax.tick_params(which="both", labelsize=7)
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(5, steps=TICK_STEPS))  # fewer ticks to lay out, same round values
        if not log:
            ax.yaxis.set_major_locator(MaxNLocator(5, steps=TICK_STEPS))
        if len(keys) > 1:
            ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    height = 2.8 * rows
    fig.subplots_adjust(left=0.08 if cols == 2 else 0.14, right=0.98, wspace=0.22, hspace=0.62,
                        bottom=0.45 / height, top=1 - (0.55 if title else 0.35) / height)
    with atomic_output(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return path


def write_run_curves(run_dir: str | Path, records: list[dict] | None = None, wall_time: bool = False) -> list[Path]:
    """``curves.png`` in a run folder (against steps), and with ``wall_time`` also ``curves_time.png``."""
    run_dir = Path(run_dir)
    records = read_metrics(run_dir) if records is None else records
    for _, name in [("step", "curves.png"), ("wall_time", "curves_time.png")]:
        check_no_symlink(run_dir / name, run_dir)
    axes = [("step", "curves.png")] + ([("wall_time", "curves_time.png")] if wall_time else [])
    written = [plot_curves(records, run_dir / name, x=x, title=run_dir.name) for x, name in axes]
    return [p for p in written if p is not None]


#: the size of one metric's figure on compare.html, in inches at FIGURE_DPI (about 540 x 290 pixels:
#: two side by side fit a laptop screen, and tick labels stay readable)
FIGURE_SIZE, FIGURE_DPI = (6.0, 3.2), 90


def curve_keys(records: list[dict]) -> list[tuple[str, bool]]:
    """``(key, log scale)`` of every plotted key, in the panels' order (losses, D outputs, ...)."""
    return [(key, log) for _, keys, log in panels_for(records) for key in keys]


def compare_figures(runs: list[tuple[str, list[dict]]], x: str = "step") -> list[tuple[str, bytes]]:
    """One PNG per metric that any run logged, a line per run (same colour for a run in every
    figure), with a legend of the run labels: ``[(key, png bytes)]``. ``runs``: ``(label, records)``.
    Nothing is written: the page embeds the bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [(label, [r for r in records if is_number(r.get(x))]) for label, records in runs]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    out = []
    for key, log in curve_keys([r for _, records in runs for r in records]):
        fig, ax = plt.subplots(figsize=FIGURE_SIZE, dpi=FIGURE_DPI)
        positive = True
        for i, (label, records) in enumerate(runs):
            pts = [(r[x], r[key]) for r in records if is_number(r.get(key))]
            if pts:
                xs, ys = zip(*pts)
                positive &= min(ys) > 0
                ax.plot(xs, ys, label=label, color=colours[i % len(colours)], linewidth=1.3,
                        linestyle=("-", "--", ":", "-.")[i // len(colours) % 4], marker="." if len(pts) < 30 else None)
        if log and positive:
            ax.set_yscale("log")
        ax.set_title(key, fontsize=10)
        ax.set_xlabel(X_AXES.get(x, x), fontsize=9)
        ax.tick_params(which="both", labelsize=8)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.17, top=0.9)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        out.append((key, buf.getvalue()))
    return out
