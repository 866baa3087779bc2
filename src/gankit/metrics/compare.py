"""Compare runs side by side: one row per run, sorted by FID (Lucic et al. 2018, "Are GANs
Created Equal?", compare models by the FID they reach under the same budget).

:func:`compare_rows` is the data (a list of dicts, one per run) that ``gankit compare`` prints as
text, CSV or Markdown and that the HTML report reuses; :func:`compare_warnings` says why its numbers
may not compare (other feature extractors, sample counts, real splits), for the CLI and the page
alike. A run's numbers come from its ``eval.json`` (``gankit eval``); wall time and step come from
``metrics.jsonl``. Both are read through :class:`gankit.viz.runfiles.RunFiles`: a broken one is
left out of its row with a warning, and a folder that is no run at all is left out of the table,
unless no run is left.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import GankitError
from ..viz.runfiles import RunFiles, eval_features, is_number, is_real
from .table import COLUMNS, format_value, render

#: metric columns shown when present in any run, in this order
METRIC_KEYS = ("fid", "kid", "is", "precision", "recall", "density", "coverage", "swd", "classes_covered",
               "class_kl", "modes_covered", "high_quality", "cond_acc", "memorized")
INFO_KEYS = ("run", "model", "dataset", "steps", "wall_time_s", "eval_n", "features")


def run_row(path: str | Path | RunFiles, evaluate_missing: bool = False, n: int = 10000, metrics=None,
            run=None) -> dict:
    """One run's row: identity, training cost, and the metrics of its eval.json (with
    ``evaluate_missing``, of a fresh evaluation where it has none that can be read). ``run``: the
    run, when the caller has loaded it already."""
    from ..api import load_run

    files = path if isinstance(path, RunFiles) else RunFiles(path)
    run = run or load_run(files.path)
    last = files.metrics[-1] if files.metrics else {}
    result = files.eval
    if result is None and evaluate_missing:
        from ..evaluation import evaluate

        result = evaluate(run, metrics, n=n)
    row = {"run": str(files.path), "model": run.config.model, "dataset": run.config.dataset,
           "steps": last.get("step", run.config.steps),
           "wall_time_s": last["wall_time"] if is_number(last.get("wall_time")) else None}
    if result:
        row["eval_n"] = result["info"].get("n")
        row["features"] = eval_features(result["info"])
        row["eval_split"] = result["info"].get("split")  # what compare_warnings checks
        row["eval_n_real"] = result["info"].get("n_real")
        row.update({k: v for k, v in result["metrics"].items() if k in METRIC_KEYS and is_real(v)})
    return row


def _load_runs(runs: list[RunFiles]) -> list[tuple[RunFiles, object]]:
    """``(files, run)`` of each folder that opens as a run; the others are skipped with a warning,
    or, when none opens, the first one's error is raised (so a lone typo is the usual one-line error)."""
    from ..api import load_run

    loaded, failed = [], []
    for files in runs:
        try:
            loaded.append((files, load_run(files.path)))
        except GankitError as e:
            failed.append((files, e))
    if not loaded:
        files, error = failed[0]
        if len(failed) == 1:
            raise error
        raise GankitError(f"none of the {len(failed)} folders can be compared (the first: {error})")
    for files, error in failed:
        files.skip(files.path, str(error))
    return loaded


def compare_rows(run_dirs, sort_by: str = "fid", evaluate_missing: bool = False, n: int = 10000,
                 metrics=None) -> list[dict]:
    """Rows for several runs (folders, or their :class:`RunFiles`), best first by ``sort_by`` (lower
    is better for FID/KID/SWD, higher for the rest); runs without that metric go last, folders
    that are no run are left out (with a warning)."""
    if not run_dirs:
        raise GankitError("no runs to compare (pass one or more run folders)")
    runs = [d if isinstance(d, RunFiles) else RunFiles(d) for d in run_dirs]
    rows = [run_row(files, evaluate_missing, n, metrics, run=run) for files, run in _load_runs(runs)]
    direction = COLUMNS.get(sort_by, (None, None, -1))[2] or -1

    def key(row):
        value = row.get(sort_by)
        return (not is_number(value), (value if is_number(value) else 0) * (1 if direction < 0 else -1))

    rows.sort(key=key)
    return rows


def _real_split(row: dict) -> str | None:
    split, n_real = row.get("eval_split"), row.get("eval_n_real")
    if split is None and n_real is None:
        return None
    return f"{split or '?'} split" + (f", {n_real} real" if n_real is not None else "")


#: what must be the same in every evaluated run for their numbers to compare: the row's value, its
#: name in a warning, and why it matters
SAME_FOR_ALL = (
    (lambda r: r.get("features"), "feature extractors", "their numbers do not compare"),
    (lambda r: None if r.get("eval_n") is None else f"n = {r['eval_n']}", "sample counts",
     "FID and precision/recall shift with n (evaluate every run at one --n)"),
    (_real_split, "real splits", "each number is against other real images (evaluate every run on one --split)"),
)


def compare_warnings(rows: list[dict]) -> list[str]:
    """Why the numbers of ``rows`` may not compare (each run's value, by run folder name): different
    feature extractors, sample counts or real splits among the runs that have an eval.json. The one
    list that ``gankit compare`` prints (``warning: ...``) and that compare.html shows at its top."""
    out = []
    for value, what, why in SAME_FOR_ALL:
        groups: dict[str, list[str]] = {}
        for r in rows:
            v = value(r) if "eval_n" in r else None
            if v is not None:
                groups.setdefault(str(v), []).append(Path(str(r["run"])).name)
        if len(groups) > 1:
            detail = "; ".join(f"{v}: {', '.join(names)}" for v, names in groups.items())
            out.append(f"runs were evaluated with different {what} ({detail}); {why}")
    return out


def missing_eval(rows: list[dict]) -> str | None:
    """The note on runs without an eval.json, or None (printed by ``gankit compare``, shown on compare.html)."""
    missing = [str(r["run"]) for r in rows if "eval_n" not in r]
    return f"no eval.json in {', '.join(missing)}: run gankit eval on them, or pass --evaluate" if missing else None


def _columns(rows: list[dict]) -> list[str]:
    present = [k for k in METRIC_KEYS if any(r.get(k) is not None for r in rows)]
    return ["run", "model", "dataset", "steps", "wall_time_s"] + present


def _cells(row: dict, cols: list[str]) -> list[str]:
    out = []
    for c in cols:
        v = row.get(c)
        if c == "wall_time_s":
            out.append(f"{v:.0f}" if is_number(v) else "-")
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
