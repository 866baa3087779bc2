"""HTML reports: ``report.html`` for one run, ``compare.html`` for several, side by side.

Why embed every picture as a data URI: the report is one file that opens anywhere (mailed,
copied off a cluster, attached to an issue) without the run folder next to it. No JavaScript and
no external resources, so nothing can fail to load in a browser that is offline.

Every file of a run is read through :class:`gankit.viz.runfiles.RunFiles`: a broken one (a cut
PNG, a torn ``metrics.jsonl``, an ``eval.json`` that is not JSON) leaves its part of the page out
with one warning, rather than the whole report. A picture is embedded only once Pillow has
decoded it whole, so the page never shows a broken image.
"""

from __future__ import annotations

import base64
import html
import math
import os
from pathlib import Path

from .runfiles import RunFiles, eval_features, is_number, sample_frames
from ..safe_write import write_text

MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; border-bottom: 1px solid #ddd; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
td, th { border: 1px solid #ddd; padding: 2px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } img { max-width: 100%; image-rendering: pixelated; }
.row { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.row figure { margin: 0; } figcaption { font-size: 0.8em; color: #555; text-align: center; }
.alarm { background: #fff0f0; border-left: 4px solid #d33; padding: 4px 10px; margin: 6px 0; }
.ok { background: #f0fff0; border-left: 4px solid #3a3; padding: 4px 10px; }
.cols { display: grid; gap: 16px; }
"""
GRIDS_OVER_TIME = 8


def data_uri(path: str | Path) -> str:
    path = Path(path)
    mime = MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _img(files: RunFiles, path: Path, alt: str, caption: str | None = None, width: int | None = None) -> str:
    """A figure with the picture at ``path`` embedded, or "" when it is absent or not whole."""
    if not files.picture(path):
        return ""
    w = f' width="{width}"' if width else ""
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{data_uri(path)}" alt="{html.escape(alt)}"{w}>{cap}</figure>'


def _fmt(v) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _table(rows: list[tuple], header: tuple | None = None) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _page(title: str, body: list[str]) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<link rel=\"icon\" href=\"data:,\"><style>{STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _write(path: Path, text: str) -> Path:
    return write_text(path, text)


def _ensure_pictures(files: RunFiles) -> None:
    """(Re)draw curves and progress.gif from the run's files, so a report of a run that stopped
    early (diverged, interrupted) still has them. The GIF is redrawn only when every frame it
    takes is a whole picture; else the one training drew, with every frame, is kept (gankit.viz.gif
    would leave the damaged frames out, and a GIF of fewer frames is no better)."""
    from .curves import write_run_curves
    from .gif import write_progress_gif

    write_run_curves(files.path, files.metrics, wall_time=True)
    frames = [p for _, p in sample_frames(files.path)] or [files.path / "samples" / "final.png"]
    if all(files.picture(p) or not os.path.lexists(p) for p in frames):
        write_progress_gif(files.path)


def eval_rows(files: RunFiles) -> dict:
    """Flat ``name -> value`` of ``eval.json`` (written by ``gankit eval``: its ``metrics``, plus the
    sample count, step and feature extractor from ``info``), or {}."""
    data = files.eval
    if data is None:
        return {}
    info = data["info"]
    extra = {"samples (n)": info.get("n"), "at step": info.get("step"), "features": eval_features(info)}
    base = {f"{k} ({info.get('baseline', 'baseline')})": v for k, v in _flatten(data["baseline"]).items()}
    return {**_flatten(data["metrics"]), **base, **{k: v for k, v in extra.items() if v is not None}}


def diagnostics_section(files: RunFiles) -> str:
    """The alarm episodes of ``diagnostics.json``, else those in the ``alarms`` of ``metrics.jsonl``."""
    from ..diagnostics import ADVICE, episodes_from_records

    episodes = files.episodes or episodes_from_records(files.metrics)
    if not episodes:
        return '<p class="ok">No pitfall alarm was raised during training.</p>'
    parts = []
    for e in episodes:
        name = e.get("alarm", "?")
        end = e.get("last_step")
        first = e.get("first_step")
        span = f"steps {first}-{end}" if end not in (None, first) else f"step {first}"
        message = e.get("message") or ADVICE.get(name, "")
        parts.append(f'<div class="alarm"><b>{html.escape(name)}</b> ({html.escape(span)}): '
                     f"{html.escape(message)}</div>")
    return "\n".join(parts)


def _check_run_folder(run_dir: Path) -> None:
    from ..errors import GankitError

    if not (run_dir / "config.yaml").is_file():
        raise GankitError(f"{run_dir} is not a gankit run folder (it has no config.yaml; check the path)")


def write_report(run_dir: str | Path, path: str | Path | None = None) -> Path:
    """Write ``report.html`` for a run folder (default inside it) and return its path; what cannot
    be read is left out, with a ``gankit: warning: skipped ...`` line each on stderr."""
    run_dir = Path(run_dir)
    _check_run_folder(run_dir)
    path = Path(path) if path else run_dir / "report.html"
    files = RunFiles(run_dir)
    _ensure_pictures(files)
    train, data, runtime = files.section("train"), files.section("data"), files.section("runtime")
    last = files.metrics[-1] if files.metrics else {}
    done = last.get("step", 0)
    target = train.get("steps")
    status = "finished" if is_number(target) and done >= target and files.picture(run_dir / "samples" / "final.png") \
        else f"stopped at step {done} of {target}"
    title = f"gankit report: {run_dir.name}"
    body = [f"<h1>{html.escape(title)}</h1>",
            _table([("model", train.get("model")), ("dataset", data.get("name", train.get("dataset"))),
                    ("steps", f"{done} / {target} ({status})"),
                    ("training time (s)", last.get("wall_time", "")),
                    ("device / precision", f"{runtime.get('device', '?')} / {runtime.get('precision', '?')}")])]
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    inputs = {"paired": "fixed test inputs: input | output | target",
              "unpaired": "fixed test inputs: A | G(A) | F(G(A)) | B | F(B) | G(F(B))"}.get(extra.get("translation"),
                                                                                       "fixed noise")
    body.append("<h2>Samples</h2><div class=\"row\">")
    body.append(_img(files, run_dir / "samples" / "final.png", "final samples", f"final, {inputs}"))
    body.append(_img(files, run_dir / "progress.gif", "samples over training",
                     f"progress.gif: {inputs} over training"))
    body.append("</div>")
    frames = files.frames
    if frames:
        if len(frames) > GRIDS_OVER_TIME:
            idx = sorted({round(i * (len(frames) - 1) / (GRIDS_OVER_TIME - 1)) for i in range(GRIDS_OVER_TIME)})
            frames = [frames[i] for i in idx]
        body.append("<h2>Grids over time</h2><div class=\"row\">")
        body += [_img(files, p, f"samples at step {s}", f"step {s}", width=200) for s, p in frames]
        body.append("</div>")
    body.append("<h2>Pitfall diagnostics</h2>")
    body.append(diagnostics_section(files))
    body.append("<h2>Curves</h2>")
    body.append(_img(files, run_dir / "curves.png", "training curves against steps",
                     "against generator steps; red bands: steps with an active alarm"))
    body.append(_img(files, run_dir / "curves_time.png", "training curves against time", "against training time"))
    ev = eval_rows(files)
    if ev:
        body.append("<h2>Evaluation (eval.json)</h2>")
        body.append(_table(sorted(ev.items()), header=("metric", "value")))
    if last:
        body.append("<h2>Last logged step</h2>")
        body.append(_table([(k, v) for k, v in last.items()], header=("key", "value")))
    body.append("<h2>Configuration</h2>")
    body.append(_table([(k, v) for k, v in train.items()], header=("train", "value")))
    body.append(_table([(k, v) for k, v in runtime.items()], header=("runtime", "value")))
    return _write(path, _page(title, body))


def compare_rows(runs: list[RunFiles]) -> tuple[list[str], list[list]]:
    """The last logged numbers of each run (losses, D outputs, throughput, diagnostics signals)."""
    from .curves import numeric_keys

    rows, columns = [], ["run", "model", "steps"]
    per_run = []
    for files in runs:
        last = files.metrics[-1] if files.metrics else {}
        values = {k: last[k] for k in numeric_keys([last]) if k != "step"}
        per_run.append((files, last, values))
        for k in values:
            if k not in columns:
                columns.append(k)
    for files, last, values in per_run:
        row = [files.path.name, files.section("train").get("model", "?"), last.get("step", 0)]
        row += [values.get(c, "") for c in columns[3:]]
        rows.append(row)
    return columns, rows


def _metric_table(metric_rows: list[dict]) -> str:
    """The table of ``gankit compare`` (gankit.metrics.compare rows: eval.json numbers, best first)."""
    from ..metrics.compare import INFO_KEYS, METRIC_KEYS

    keys = [k for k in ("run", "model", "dataset", "steps", "wall_time_s", "eval_n") if k in INFO_KEYS]
    keys += [k for k in METRIC_KEYS if any(r.get(k) is not None for r in metric_rows)]
    rows = [[Path(str(r.get(k))).name if k == "run" else ("" if r.get(k) is None else r.get(k)) for k in keys]
            for r in metric_rows]
    return _table(rows, header=tuple(keys))


def write_compare_html(run_dirs: list[str | Path | RunFiles], path: str | Path,
                       metric_rows: list[dict] | None = None) -> Path:
    """``compare.html``: a metric table, then final grids, curves and alarms of several runs side by side.

    ``run_dirs``: folders, or their :class:`RunFiles` (``gankit compare`` passes those it already
    read, so that a broken file is warned about once). ``metric_rows`` are the rows of
    :func:`gankit.metrics.compare.compare_rows` (eval.json numbers, best first; computed here when
    not given); runs are shown in that order.
    """
    runs = [d if isinstance(d, RunFiles) else RunFiles(d) for d in run_dirs]
    for files in runs:
        _check_run_folder(files.path)
    if metric_rows is None:
        try:
            from ..metrics.compare import compare_rows as eval_compare_rows
        except ImportError:  # a build without gankit.metrics: the logged numbers only
            eval_compare_rows = None
        metric_rows = eval_compare_rows(runs) if eval_compare_rows else []
    order = {str(Path(str(r["run"]))): i for i, r in enumerate(metric_rows) if r.get("run") is not None}
    runs.sort(key=lambda files: order.get(str(files.path), len(order)))
    for files in runs:
        if not os.path.lexists(files.path / "curves.png"):
            from .curves import write_run_curves

            write_run_curves(files.path, files.metrics)
    names = [files.path.name for files in runs]
    title = "gankit compare: " + ", ".join(names)
    cols = f'<div class="cols" style="grid-template-columns: repeat({len(runs)}, 1fr)">'
    body = [f"<h1>{html.escape(title)}</h1>"]
    if metric_rows:
        body.append("<h2>Metrics (eval.json; write it with gankit eval RUN)</h2>")
        body.append(_metric_table(metric_rows))
    columns, rows = compare_rows(runs)
    body.append("<h2>Last logged step</h2>")
    body.append(_table(rows, header=tuple(columns)))
    body.append("<h2>Final samples</h2>" + cols)
    body += [f"<div>{_img(f, f.path / 'samples' / 'final.png', f'final samples of {name}', name)}</div>"
             for f, name in zip(runs, names)]
    body.append("</div><h2>Curves</h2>" + cols)
    body += [f"<div>{_img(f, f.path / 'curves.png', f'curves of {name}', name)}</div>" for f, name in zip(runs, names)]
    body.append("</div><h2>Pitfall diagnostics</h2>" + cols)
    body += [f"<div><b>{html.escape(name)}</b>{diagnostics_section(f)}</div>" for f, name in zip(runs, names)]
    body.append("</div>")
    return _write(Path(path), _page(title, body))
