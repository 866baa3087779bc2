"""HTML reports: ``report.html`` for one run, ``compare.html`` for several, side by side.

Why embed every picture as a data URI: the report is one file that opens anywhere (mailed,
copied off a cluster, attached to an issue) without the run folder next to it. No script and no
external resources, so nothing can fail to load in a browser that is offline (the curves' steps /
time toggle is two radio buttons and a CSS rule).

Why templates (Jinja2, ``templates/``, autoescaped): this module gathers what a page shows into
plain dicts (:func:`report_context`, :func:`compare_context`), the templates only lay it out, so
a change of layout touches no Python and every value is HTML-escaped without a call to forget.

Every file of a run is read through :class:`gankit.viz.runfiles.RunFiles`: a broken one (a cut
PNG, a torn ``metrics.jsonl``, an ``eval.json`` that is not JSON) leaves its part of the page out
with one warning, rather than the whole report. A picture is embedded only once Pillow has
decoded it whole, so the page never shows a broken image.
"""

from __future__ import annotations

import base64
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .runfiles import RunFiles, eval_features, is_number, is_real, sample_frames
from ..safe_write import write_text

MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
GRIDS_OVER_TIME = 8
#: the numbers at the top of report.html, where eval.json has them (the rest: its Evaluation table)
HEADLINE = ("fid", "kid", "is", "precision", "recall", "classes_covered", "modes_covered", "cond_acc")
#: a name longer than this is shortened in a table cell (the whole of it in the cell's title)
SHORT = 28
#: pictures ``gankit explore`` writes into RUN/explore (its default --out)
EXPLORE_SUFFIXES = (".png", ".gif")


# -- rendering -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True, keep_trailing_newline=True)


def render(template: str, **context) -> str:
    """``templates/<template>`` filled with ``context`` (every value escaped)."""
    return _environment().get_template(template).render(**context)


def data_uri(path: str | Path) -> str:
    path = Path(path)
    return _uri(path.read_bytes(), MIME.get(path.suffix.lower(), "application/octet-stream"))


def _uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def picture(files: RunFiles, path: Path, alt: str, caption: str | None = None, width: int | None = None
            ) -> dict | None:
    """The picture at ``path`` for a template, or None when it is absent or not whole (skipped)."""
    if not files.picture(path):
        return None
    return {"src": data_uri(path), "alt": alt, "caption": caption, "width": width}


def _fmt(v) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


@dataclass(frozen=True)
class Cell:
    """One table cell as the templates show it: ``num`` ones right-aligned, ``title`` on hover."""

    text: str
    title: str | None = None
    num: bool = False


def cell(value, title: str | None = None, text: str | None = None, short: bool = False) -> Cell:
    """A table cell: numbers right-aligned and rounded; with ``short``, a long name shortened (whole
    in ``title``), so that a table of many runs keeps its width."""
    num = is_real(value)
    text = text if text is not None else ("" if value is None else _fmt(value))
    if short and not num and len(text) > SHORT:
        title = title or text
        text = text[:SHORT // 2 - 1] + "\u2026" + text[-(SHORT // 2 - 1):]
    return Cell(text, title, num)


def table(rows: list, header: tuple | list | None = None, short: bool = False) -> dict:
    """A table for the templates: ``header`` and each row a list of values or :class:`Cell`."""
    wrap = lambda v: v if isinstance(v, Cell) else cell(v, short=short)
    return {"header": [h if isinstance(h, Cell) else Cell(str(h)) for h in header or []],
            "rows": [[wrap(v) for v in row] for row in rows]}


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def _check_run_folder(run_dir: Path) -> None:
    from ..errors import GankitError

    if not (run_dir / "config.yaml").is_file():
        raise GankitError(f"{run_dir} is not a gankit run folder (it has no config.yaml; check the path)")


# -- what both pages show of a run -------------------------------------------------------------
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
    extra = {"samples (n)": info.get("n"), "real images (n_real)": info.get("n_real"), "real split": info.get("split"),
             "at step": info.get("step"), "features": eval_features(info)}
    base = {f"{k} ({info.get('baseline', 'baseline')})": v for k, v in _flatten(data["baseline"]).items()}
    return {**_flatten(data["metrics"]), **base, **{k: v for k, v in extra.items() if v is not None}}


def alarm_episodes(files: RunFiles) -> list[dict]:
    """The alarm episodes of ``diagnostics.json``, else those in the ``alarms`` of ``metrics.jsonl``:
    ``name``, ``span`` ("steps 100-160") and ``message`` each."""
    from ..diagnostics import ADVICE, episodes_from_records

    out = []
    for e in files.episodes or episodes_from_records(files.metrics):
        name, first, end = e.get("alarm", "?"), e.get("first_step"), e.get("last_step")
        span = f"steps {first}-{end}" if end not in (None, first) else f"step {first}"
        out.append({"name": name, "span": span, "message": e.get("message") or ADVICE.get(name, "")})
    return out


# -- report.html ---------------------------------------------------------------------------------
def _eval_basis(info: dict) -> tuple[str, str]:
    """What an eval.json's numbers are measured on, short (under each number) and in words."""
    split, n, n_real = info.get("split"), info.get("n"), info.get("n_real")
    extractor = info.get("extractor") if isinstance(info.get("extractor"), dict) else {}
    ext_id = eval_features(info) or "not recorded"
    name = extractor.get("name")
    counts = f"{_fmt(n) if n is not None else '?'} vs {_fmt(n_real) if n_real is not None else '?'} real"
    short = f"{split or '?'} split \u00b7 {counts} \u00b7 {ext_id}"
    long = (f"{_fmt(n) if n is not None else 'an unrecorded number of'} generated samples against "
            f"{_fmt(n_real) if n_real is not None else 'an unrecorded number of'} real images of the "
            f"{split or 'unrecorded'} split" + (f" ({info['split_rule']})" if info.get("split_rule") else "")
            + f", in the features of {ext_id}" + (f" ({name})" if name and name != ext_id else ""))
    return short, long


def _headline_value(key: str, metrics: dict) -> str:
    from ..metrics.table import format_value

    value = metrics[key]
    text = format_value(key, value)
    if key == "kid" and is_number(metrics.get("kid_std")):
        text += f" \u00b1 {format_value('kid', metrics['kid_std'])}"
    if key == "classes_covered" and is_number(metrics.get("num_classes")) and is_number(value):
        text = f"{round(value * metrics['num_classes'])} of {metrics['num_classes']:g}"
    if key == "modes_covered" and is_number(metrics.get("num_modes")):
        text = f"{_fmt(value)} of {metrics['num_modes']:g}"
    return text


def headline(files: RunFiles) -> dict | None:
    """The headline numbers of eval.json (FID, KID, precision, recall, classes covered, ... where
    present; a translation run's first numbers), each with the split, sample counts and feature
    extractor they were measured with; None when the run has no readable eval.json."""
    from ..metrics.table import COLUMNS

    data = files.eval
    if data is None:
        return None
    metrics = data["metrics"]
    keys = [k for k in HEADLINE if is_real(metrics.get(k))]
    keys = keys or [k for k, v in metrics.items() if is_real(v)][:6]
    short, long = _eval_basis(data["info"])
    better = {-1: "lower is better", 1: "higher is better"}
    cards = [{"title": COLUMNS.get(k, (k,))[0], "value": _headline_value(k, metrics),
              "better": better.get(COLUMNS.get(k, (k, "", 0))[2], "")} for k in keys]
    return {"cards": cards, "basis": short, "basis_long": long, "step": data["info"].get("step")}


def _shown(value) -> str | None:
    """A config value as the provenance table shows it: None when absent (the template says "not recorded")."""
    return None if value is None or value == "" else value if isinstance(value, str) else _fmt(value)


def provenance(files: RunFiles) -> list[dict]:
    """How the run was made, as ``config.yaml``'s ``runtime`` records it (gankit.provenance,
    gankit.data.identity): command line, gankit's commit, versions, the dataset and its splits, the
    machine's choices. A value an older run did not record is None ("not recorded")."""
    rt, train, data = files.section("runtime"), files.section("train"), files.section("data")
    ds = rt.get("dataset") if isinstance(rt.get("dataset"), dict) else {}
    commit = rt.get("git_commit")
    if "git_commit" in rt and commit is None:
        commit = "none (gankit was not run from a git checkout; see its version)"
    path = ds.get("path")
    if "path" in ds and path is None:
        path = "built in (no folder)"
    test = ds.get("test_split")
    if test is not None and ds.get("test_images") is not None:
        test = f"{_fmt(test)} ({_fmt(ds['test_images'])} images)"

    def reasoned(key: str):
        value, why = rt.get(key), rt.get(f"{key}_reason")
        return None if value is None else f"{_fmt(value)} ({_fmt(why)})" if why else _fmt(value)

    rows = [("command", rt.get("command"), True)]
    resumed = rt.get("resume_commands")
    if isinstance(resumed, list) and resumed:
        rows.append(("resumed with", "\n".join(_fmt(c) for c in resumed), True))
    rows += [("git commit", commit, False), ("gankit", rt.get("gankit"), False), ("torch", rt.get("torch"), False),
             ("python", rt.get("python"), False),
             ("dataset", ds.get("name", data.get("name", train.get("dataset"))), False),
             ("dataset path", path, False), ("dataset hash", ds.get("hash"), False),
             ("training images", ds.get("train_images", rt.get("dataset_size")), False),
             ("test split", test, False),
             ("device", rt.get("device"), False), ("precision", reasoned("precision"), False),
             ("threads", reasoned("threads"), False)]
    return [{"name": name, "value": _shown(value), "code": code} for name, value, code in rows]


#: runtime keys the provenance table shows (the Configuration section lists the others)
PROVENANCE_KEYS = {"command", "resume_commands", "git_commit", "gankit", "torch", "python", "dataset",
                   "dataset_size", "device", "precision", "precision_reason", "threads", "threads_reason"}


def explore_pictures(files: RunFiles) -> list[dict]:
    """The pictures ``gankit explore`` left in RUN/explore (by name), each whole one embedded."""
    folder = files.path / "explore"
    if not folder.is_dir():
        return []
    try:
        names = sorted((p for p in folder.iterdir() if p.suffix.lower() in EXPLORE_SUFFIXES),
                       key=lambda p: (p.stem, p.suffix.lower() != ".png"))  # a grid, then its GIF
    except OSError as e:
        files.skip(folder, f"cannot list it: {e.strerror or e}")
        return []
    pics = [picture(files, p, f"explore: {p.name}", p.name) for p in names]
    return [p for p in pics if p]


def report_context(files: RunFiles) -> dict:
    """Everything report.html shows of a run, as plain values for ``report.html.j2``."""
    run_dir = files.path
    train, data, runtime = files.section("train"), files.section("data"), files.section("runtime")
    last = files.metrics[-1] if files.metrics else {}
    done, target = last.get("step", 0), train.get("steps")
    status = "finished" if is_number(target) and done >= target and files.picture(run_dir / "samples" / "final.png") \
        else f"stopped at step {done} of {target}"
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    inputs = {"paired": "fixed test inputs: input | output | target",
              "unpaired": "fixed test inputs: A | G(A) | F(G(A)) | B | F(B) | G(F(B))"}.get(extra.get("translation"),
                                                                                       "fixed noise")
    frames = files.frames
    if len(frames) > GRIDS_OVER_TIME:
        idx = sorted({round(i * (len(frames) - 1) / (GRIDS_OVER_TIME - 1)) for i in range(GRIDS_OVER_TIME)})
        frames = [frames[i] for i in idx]
    real, real_note = real_picture(files)
    summary = [("model", train.get("model")), ("dataset", data.get("name", train.get("dataset"))),
               ("steps", f"{done} / {target} ({status})"), ("training time (s)", last.get("wall_time", "")),
               ("device / precision", f"{runtime.get('device', '?')} / {runtime.get('precision', '?')}")]
    ev = eval_rows(files)
    return {
        "title": f"gankit report: {run_dir.name}", "run_path": str(run_dir),
        "summary": table([(k, cell(v, text=_fmt(v))) for k, v in summary]),
        "headline": headline(files),
        "samples": {"final": picture(files, run_dir / "samples" / "final.png", "final samples",
                                     f"generated: final, {inputs}"),
                    "real": real, "real_note": real_note,
                    "gif": picture(files, run_dir / "progress.gif", "samples over training",
                                   f"progress.gif: {inputs} over training"),
                    "clips": final_clips(files), "texts": final_texts(files)},
        "grids": [picture(files, p, f"samples at step {s}", f"step {s}", width=200) for s, p in frames],
        "alarms": alarm_episodes(files),
        "curves": {"steps": picture(files, run_dir / "curves.png", "training curves against steps",
                                    "against generator steps; red bands: steps with an active alarm"),
                   "time": picture(files, run_dir / "curves_time.png", "training curves against time",
                                   "against training time; red bands: steps with an active alarm")},
        "explore": explore_pictures(files),
        "evaluation": table(sorted(ev.items()), header=("metric", "value")) if ev else None,
        "provenance": provenance(files),
        "last": table(list(last.items()), header=("key", "value")) if last else None,
        "train": table(list(train.items()), header=("train", "value")),
        "runtime": table([(k, v) for k, v in _flatten({k: v for k, v in runtime.items() if k not in PROVENANCE_KEYS}
                                                      ).items()], header=("runtime", "value")),
    }


#: the most final clips and text lines the report embeds (a WAV of 1 s at 16 kHz is 32 KB)
REPORT_CLIPS, REPORT_TEXTS = 8, 40


def final_clips(files: RunFiles) -> list[dict]:
    """A sound run's ``samples/final-clips/*.wav`` as players (data URIs: the page stands alone).
    A file that is not a readable WAV is skipped with the usual one warning line."""
    folder = files.path / "samples" / "final-clips"
    if not folder.is_dir() or folder.is_symlink():
        return []
    clips = []
    for path in sorted(folder.glob("*.wav"))[:REPORT_CLIPS]:
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
            files.skip(path, "not a WAV file")
            continue
        clips.append({"src": _uri(data, "audio/wav"), "name": path.name})
    return clips


def final_texts(files: RunFiles) -> list[str]:
    """A text run's ``samples/final.txt``, its first :data:`REPORT_TEXTS` lines."""
    path = files.path / "samples" / "final.txt"
    if not path.is_file() or path.is_symlink():
        return []
    try:
        return path.read_text(encoding="utf-8").splitlines()[:REPORT_TEXTS]
    except (OSError, UnicodeDecodeError) as e:
        files.skip(path, f"cannot read it: {type(e).__name__}")
        return []


def write_report(run_dir: str | Path, path: str | Path | None = None) -> Path:
    """Write ``report.html`` for a run folder (default inside it) and return its path; what cannot
    be read is left out, with a ``gankit: warning: skipped ...`` line each on stderr."""
    run_dir = Path(run_dir)
    _check_run_folder(run_dir)
    path = Path(path) if path else run_dir / "report.html"
    files = RunFiles(run_dir)
    _ensure_pictures(files)
    context = report_context(files)
    return write_text(path, render("report.html.j2", **context))


# -- the real-data grid --------------------------------------------------------------------------
REAL_PNG = "real.png"


def real_picture(files: RunFiles) -> tuple[dict | None, str | None]:
    """The real-data grid beside the generated one, and a note when there is none to show.

    Drawn once from the run's training data into ``RUN/real.png`` (the layout and size of
    ``samples/final.png``: the same count of images, one row per class for a class-conditional
    model), so a report of the run copied away from its data still has it. Data that cannot be
    loaded (a moved folder) leaves it out with one ``gankit: warning: skipped`` line."""
    path = files.path / REAL_PNG
    caption = "real training images, laid out as the generated grid"
    if files.picture(path):
        return {"src": data_uri(path), "alt": "real images", "caption": caption, "width": None}, None
    train, data = files.section("train"), files.section("data")
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    name = train.get("dataset")
    if path.is_dir():  # skipped by files.picture already; nothing is drawn over a folder
        return None, None
    if not isinstance(name, str) or data.get("kind") != "image" or extra.get("translation"):
        note = "The scatter plot shows real points in grey." if data.get("kind") == "points" else None
        return None, note  # points: in the scatter already; translation: the targets are in the grid
    try:
        images, per_row = _real_images(name, train.get("data_root"), train.get("image_size"), train.get("channels"),
                                       train.get("subset"), train.get("subset_seed", 0), train.get("grid_size", 64),
                                       _class_rows(train.get("model"), data.get("num_classes")))
    except Exception as e:  # noqa: BLE001 (whatever the data loader raises, the page is written without this grid)
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        files.skip(f"the real-data grid of {name}", f"cannot load it: {reason}")
        return None, f"No real-data grid: {name} cannot be loaded here."
    from .grid import save_image_grid
    from ..safe_write import check_no_symlink

    check_no_symlink(path, files.path)  # a planted link: refuse, not write through it
    save_image_grid(images, path, nrow=per_row)
    return {"src": data_uri(path), "alt": "real images", "caption": caption, "width": None}, None


def _class_rows(model, num_classes) -> int:
    """The classes the generated grid has a row each for (0: a square grid), as
    :meth:`gankit.games.sampler.LatentSampler.grid_inputs` lays it out: a class-conditional model's
    (InfoGAN's rows are its codes, not the data's classes)."""
    from ..errors import GankitError
    from ..models import get_model

    try:
        info = get_model(str(model))
    except GankitError:  # a plugin's model, not loaded here: a square grid
        return 0
    k = num_classes if isinstance(num_classes, int) and num_classes > 0 else 0
    return k if info.conditional and info.name != "infogan" else 0


@lru_cache(maxsize=4)
def _real_images(name: str, data_root, image_size, channels, subset, subset_seed, n: int, classes: int):
    """The training split's first ``n`` images (the ``--subset`` the run trained on), or with
    ``classes`` the first ones of each class, a row each (missing ones white): ``(images, per row)``.
    Cached: a test suite reports on copies of one run."""
    import torch

    from ..data import get_dataset

    dataset = get_dataset(name, "train", data_root, image_size, channels)
    if subset is not None:
        dataset = dataset.subset(int(subset), seed=int(subset_seed))
    if not classes or dataset.labels is None:
        return dataset.data[:n].clone(), None
    per_row = max(1, -(-n // classes))
    blank = torch.full_like(dataset.data[:1], 255)
    rows = []
    for c in range(classes):
        picked = dataset.data[(dataset.labels == c).nonzero().flatten()[:per_row]]
        rows.append(torch.cat([picked] + [blank] * (per_row - len(picked))))
    return torch.cat(rows), per_row


# -- compare.html --------------------------------------------------------------------------------
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


def _run_cell(path) -> Cell:
    """A run by its folder's name (shortened when long), its whole path on hover."""
    return cell(Path(str(path)).name, title=str(path), short=True)


def _metric_table(metric_rows: list[dict]) -> dict:
    """The table ``gankit compare`` prints (eval.json numbers, best first), its numbers as the CLI
    rounds them, plus each run's sample count and feature extractor."""
    from ..metrics.compare import _cells, _columns, _title

    cols = _columns(metric_rows)
    numeric = [c not in ("run", "model", "dataset") for c in cols] + [True, False]
    rows = []
    for r in metric_rows:
        texts = dict(zip(cols, _cells(r, cols))) | {"n": "-" if r.get("eval_n") is None else _fmt(r["eval_n"]),
                                                     "features": r.get("features") or "-"}
        row = [_run_cell(r["run"])] + [Cell(texts[c], None, True) if num else cell(texts[c], short=True)
                                       for c, num in zip(cols[1:] + ["n", "features"], numeric[1:])]
        rows.append(row)
    return table(rows, header=[Cell(t, None, num) for t, num in zip([_title(c) for c in cols] + ["n", "features"],
                                                                   numeric)])


def _logged_table(runs: list[RunFiles]) -> dict:
    """The last logged numbers, a column per run and a row per number (fits the page for any
    number of logged keys; the table scrolls in its own box past a few runs)."""
    columns, rows = compare_rows(runs)
    body = [[cell(key)] + [cell(row[i], short=True) for row in rows] for i, key in enumerate(columns) if key != "run"]
    out = table(body, header=["run"])
    out["header"] += [_run_cell(files.path) for files in runs]
    return out


def compare_context(runs: list[RunFiles], metric_rows: list[dict]) -> dict:
    """Everything compare.html shows, as plain values for ``compare.html.j2``."""
    from .curves import compare_figures

    labels = [files.path.name for files in runs]
    figures = compare_figures([(cell(label, short=True).text, files.metrics) for label, files in zip(labels, runs)])
    warnings, missing, metrics = [], None, None
    if metric_rows:
        from ..metrics.compare import compare_warnings, missing_eval

        warnings, missing = compare_warnings(metric_rows), missing_eval(metric_rows)
        metrics = _metric_table(metric_rows)
    return {
        "title": "gankit compare: " + ", ".join(labels),
        "warnings": warnings, "missing": missing, "metrics": metrics,
        "logged": _logged_table(runs),
        "figures": [{"src": _uri(png), "alt": f"{key} of every run", "caption": f"{key}, against generator steps",
                     "width": None} for key, png in figures],
        "runs": [{"label": label, "path": str(files.path), "alarms": alarm_episodes(files),
                  "final": picture(files, files.path / "samples" / "final.png", f"final samples of {label}", label),
                  "curves": picture(files, files.path / "curves.png", f"curves of {label}", label)}
                 for label, files in zip(labels, runs)],
    }


def write_compare_html(run_dirs: list[str | Path | RunFiles], path: str | Path,
                       metric_rows: list[dict] | None = None) -> Path:
    """``compare.html``: the warnings ``gankit compare`` prints, a metric table, then final grids,
    a figure per logged number with a line per run, and alarms of several runs side by side.

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
    return write_text(Path(path), render("compare.html.j2", **compare_context(runs, metric_rows)))
