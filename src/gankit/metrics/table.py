"""Plain-text tables for metric results (used by ``gankit eval`` and ``gankit compare``)."""

from __future__ import annotations

#: key -> (column title, format, direction: -1 lower is better, +1 higher is better, 0 neither)
COLUMNS = {
    "fid": ("FID", "{:.3f}", -1), "kid": ("KID", "{:.5f}", -1), "kid_std": ("KID std", "{:.5f}", 0),
    "is": ("IS(clf)", "{:.3f}", 1), "is_std": ("IS std", "{:.3f}", 0),
    "precision": ("precision", "{:.3f}", 1), "recall": ("recall", "{:.3f}", 1),
    "density": ("density", "{:.3f}", 1), "coverage": ("coverage", "{:.3f}", 1),
    "swd": ("SWDx1e3", "{:.2f}", -1),
    "classes_covered": ("classes", "{:.2f}", 1), "class_kl": ("class KL", "{:.4f}", -1),
    "modes_covered": ("modes", "{:d}", 1), "high_quality": ("high-q", "{:.3f}", 1),
    "cond_acc": ("cond acc", "{:.3f}", 1), "memorized": ("memorized", "{:.3f}", -1),
    "nn_ratio": ("NN ratio", "{:.3f}", 0),
}


def format_value(key: str, value) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return "/".join(f"{v:.2f}" for v in value)
    fmt = COLUMNS.get(key, (key, "{:.4g}", 0))[1]
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def render(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = lambda cells: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


def metric_table(metrics: dict) -> str:
    """One metric per line: name, value, and which way is better."""
    rows = []
    for key, value in metrics.items():
        if key.endswith("_per_class") or key == "num_classes":
            continue
        title, _, direction = COLUMNS.get(key, (key, "", 0))
        if key == "swd_levels":
            title = "SWD levels"
        rows.append([title, format_value(key, value), {-1: "lower is better", 1: "higher is better"}.get(direction, "")])
    return render(["metric", "value", ""], rows)
