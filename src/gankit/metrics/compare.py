"""Compare runs side by side: one row per run, sorted by FID (Lucic et al. 2018, "Are GANs
Created Equal?", compare models by the FID they reach under the same budget).

:func:`compare_rows` is the data (a list of dicts, one per run) that ``gankit compare`` prints as
text, CSV or Markdown and that the HTML report reuses. A run's numbers come from its
``eval.json`` (``gankit eval``); wall time and step come from ``metrics.jsonl``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ..errors import GankitError
from .table import COLUMNS, format_value, render

#: metric columns shown when present in any run, in this order
METRIC_KEYS = ("fid", "kid", "is", "precision", "recall", "density", "coverage", "swd", "classes_covered",
               "class_kl", "modes_covered", "high_quality", "cond_acc", "memorized")
INFO_KEYS = ("run", "model", "dataset", "steps", "wall_time_s", "eval_n", "features")


def run_row(path: str | Path, evaluate_missing: bool = False, n: int = 10000, metrics=None) -> dict:
    """One run's row: identity, training cost, and the metrics of its eval.json."""
    from ..api import load_run

    run = load_run(path)
    records = run.metrics()
    last = records[-1] if records else {}
    eval_file = Path(path) / "eval.json"
    result = None
    if eval_file.is_file():
        try:
            result = json.loads(eval_file.read_text())
        except json.JSONDecodeError:
            raise GankitError(f"{eval_file} is not valid JSON (delete it and run gankit eval {path})") from None
    if result is None and evaluate_missing:
        from ..evaluation import evaluate

        result = evaluate(run, metrics, n=n)
    row = {"run": str(path), "model": run.config.model, "dataset": run.config.dataset,
           "steps": last.get("step", run.config.steps), "wall_time_s": last.get("wall_time")}
    if result:
        row["eval_n"] = result["info"].get("n")
        row["features"] = result["info"].get("extractor", {}).get("id")
        row.update({k: v for k, v in result["metrics"].items() if k in METRIC_KEYS})
    return row


def compare_rows(run_dirs, sort_by: str = "fid", evaluate_missing: bool = False, n: int = 10000,
                 metrics=None) -> list[dict]:
    """Rows for several runs, best first by ``sort_by`` (lower is better for FID/KID/SWD, higher for
    the rest); runs without that metric go last."""
    if not run_dirs:
        raise GankitError("no runs to compare (pass one or more run folders)")
    rows = [run_row(p, evaluate_missing, n, metrics) for p in run_dirs]
    direction = COLUMNS.get(sort_by, (None, None, -1))[2] or -1

    rows.sort(key=lambda r: (r.get(sort_by) is None, (r.get(sort_by) or 0) * (1 if direction < 0 else -1)))
    features = {r.get("features") for r in rows if r.get("features")}
    if len(features) > 1:
        for r in rows:
            r["warning"] = "runs were evaluated with different feature extractors; their numbers do not compare"
    return rows


def _columns(rows: list[dict]) -> list[str]:
    present = [k for k in METRIC_KEYS if any(r.get(k) is not None for r in rows)]
    return ["run", "model", "dataset", "steps", "wall_time_s"] + present


def _cells(row: dict, cols: list[str]) -> list[str]:
    out = []
    for c in cols:
        v = row.get(c)
        if c == "wall_time_s":
            out.append("-" if v is None else f"{v:.0f}")
        elif c in ("run", "model", "dataset", "steps"):
            out.append("-" if v is None else str(v))
        else:
            out.append(format_value(c, v))
    return out


def _title(col: str) -> str:
    return {"wall_time_s": "wall s", "run": "run", "model": "model", "dataset": "dataset", "steps": "steps"}.get(
        col, COLUMNS.get(col, (col,))[0])


def to_text(rows: list[dict]) -> str:
    cols = _columns(rows)
    return render([_title(c) for c in cols], [_cells(r, cols) for r in rows])


def to_markdown(rows: list[dict]) -> str:
    cols = _columns(rows)
    lines = ["| " + " | ".join(_title(c) for c in cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(_cells(r, cols)) + " |" for r in rows]
    return "\n".join(lines)


def to_csv(rows: list[dict]) -> str:
    cols = _columns(rows) + ["eval_n", "features"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({c: r.get(c) for c in cols})
    return buf.getvalue()
