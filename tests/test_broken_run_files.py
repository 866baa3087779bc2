"""gankit report and gankit compare on a run folder with one broken file (issue 21): they write
their page with what is readable, say once per file what they skipped
(``gankit: warning: skipped <what> (<why>)``), exit 0, and leave every file of the run as it was
(report redraws only its own pictures: curves.png, curves_time.png, progress.gif)."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import torch

import gankit

from cli_check import fingerprint, one_line_error, run_cli
from run_breakers import cut, replace_by_folder, write

#: what report and compare write (or redraw) themselves; every other file must stay byte-identical
OUTPUTS = {"report.html", "curves.png", "curves_time.png", "progress.gif", "real.png"}  # what gankit report (re)draws
EVAL = {"metrics": {"fid": 574.3, "kid": 69.8, "precision": 1.0, "swd_levels": [169.0, 233.0]},
        "info": {"n": 200, "step": 4, "extractor": {"name": "classifier", "id": "classifier-fashion-mnist"}}}


def _metrics_lines(edit):
    """Rewrite metrics.jsonl through ``edit(lines) -> lines``."""
    def breaks(run: Path) -> None:
        path = run / "metrics.jsonl"
        path.write_text("".join(line + "\n" for line in edit(path.read_text().splitlines())))
    return breaks


def _garbage_values(lines):
    first = json.loads(lines[0])
    first.update(d_loss="abc", g_loss=None, grad_norm_d=[1, 2], alarms=5, wall_time="soon")
    last = json.loads(lines[-1])
    last.update(d_real=float("nan"), d_fake=float("inf"), wall_time={"s": 1})
    return [json.dumps(first)] + lines[1:-1] + [json.dumps(last)]


def _remove(name: str):
    def breaks(run: Path) -> None:
        path = run / name
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return breaks


BINARY = bytes(range(256)) * 4
#: case -> (how to break the run, the file the warning names; None: nothing is skipped, no warning)
CASES = {
    "eval-list": (write("eval.json", "[1, 2, 3]"), "eval.json"),
    "eval-no-metrics": (write("eval.json", '{"info": {"n": 5}}'), "eval.json"),
    "eval-not-json": (write("eval.json", "fid = 12.5\n"), "eval.json"),
    "eval-binary": (write("eval.json", BINARY), "eval.json"),
    "eval-empty": (write("eval.json", ""), "eval.json"),
    "eval-folder": (replace_by_folder("eval.json"), "eval.json"),
    "eval-garbage-values": (write("eval.json", json.dumps({
        "metrics": {"fid": "abc", "kid": None, "precision": float("nan"), "recall": [1, "x"], "coverage": 0.5},
        "info": "n/a"})), "eval.json"),
    "metrics-torn-last-line": (_metrics_lines(lambda lines: lines + ['{"step": 5, "d_lo']), "metrics.jsonl"),
    "metrics-garbage-lines": (_metrics_lines(lambda lines: lines[:1] + ["%%% garbage", "\0\0\0"] + lines[1:]),
                              "metrics.jsonl"),
    "metrics-not-records": (_metrics_lines(lambda lines: lines[:2] + ["[1, 2]", '"text"', "42", '{"no": "step"}',
                                                                       '{"step": "3"}'] + lines[2:]),
                            "metrics.jsonl"),
    "metrics-garbage-values": (_metrics_lines(_garbage_values), "metrics.jsonl"),
    "metrics-binary": (write("metrics.jsonl", BINARY), "metrics.jsonl"),
    "metrics-missing": (_remove("metrics.jsonl"), None),
    "metrics-empty": (write("metrics.jsonl", ""), None),
    "sample-cut": (cut("samples/step_000002.png"), "step_000002.png"),
    "sample-folder": (replace_by_folder("samples/step_000002.png"), "step_000002.png"),
    "final-cut": (cut("samples/final.png"), "final.png"),
    "samples-missing": (_remove("samples"), None),
    "diagnostics-not-json": (write("diagnostics.json", '{"episodes": ['), "diagnostics.json"),
    "diagnostics-list": (write("diagnostics.json", "[]"), "diagnostics.json"),
    "diagnostics-binary": (write("diagnostics.json", BINARY), "diagnostics.json"),
    "diagnostics-bad-episodes": (write("diagnostics.json", json.dumps({"episodes": [
        1, {"alarm": 5}, {"alarm": "mode_collapse", "first_step": "x", "last_step": [2], "message": 7}]})),
        "diagnostics.json"),
    "config-not-yaml": (write("config.yaml", "train: [unclosed\n"), "config.yaml"),
}
#: the cases that concern compare (it reads eval.json, metrics.jsonl, final.png, curves.png, diagnostics);
#: compare embeds a run's curves.png as it is (report redraws it)
COMPARE_CASES = {**{c: v for c, v in CASES.items() if not c.startswith(("sample-", "samples-", "config-"))},
                 "curves-cut": (cut("curves.png"), "curves.png")}


def quick_curves(monkeypatch):
    """curves.png and curves_time.png as a blank PNG: rasterizing them is most of a report's time
    (seconds on a shared 2-core machine) and none of what is tested here; plot_curves still lays
    out every record in its panels and lines."""
    from matplotlib.figure import Figure
    from PIL import Image

    monkeypatch.setattr(Figure, "savefig", lambda self, path, *a, **k: Image.new("L", (8, 8)).save(path, "PNG"))


@pytest.fixture(autouse=True)
def _quick_curves(monkeypatch):
    quick_curves(monkeypatch)


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("broken") / "base"
    with pytest.MonkeyPatch.context() as monkeypatch:
        quick_curves(monkeypatch)
        gankit.train(model="gan", dataset="fashion-mnist", subset=256, batch_size=32, steps=4, log_every=1,
                     sample_every=2, out=out, quiet=True)
    shutil.rmtree(out / "checkpoints")  # 22 MB that report and compare never read, copied per test
    (out / "eval.json").write_text(json.dumps(EVAL, indent=2))
    return out


def broken_copy(base_run: Path, folder: Path, breaks) -> tuple[Path, dict]:
    """A copy of the base run broken by ``breaks``, and the fingerprint of its files."""
    run = folder / "run"
    shutil.copytree(base_run, run)
    breaks(run)
    return run, fingerprint(run)


def assert_skipped(err: str, name: str | None) -> None:
    """Every stderr line is a ``gankit: warning: skipped`` line; one of them names ``name``."""
    lines = err.strip().splitlines()
    assert all(line.startswith("gankit: warning: skipped ") for line in lines), err
    if name is None:
        assert lines == [], err
    else:
        assert len([line for line in lines if name in line]) == 1, err


def assert_pictures_whole(page: str) -> None:
    """Every picture embedded in the page decodes whole: a cut one is left out, never shown broken."""
    from PIL import Image

    pictures = re.findall(r'src="data:image/\w+;base64,([^"]*)"', page)
    assert pictures
    for data in pictures:
        with Image.open(io.BytesIO(base64.b64decode(data))) as im:
            im.load()


def assert_kept(run: Path, before: dict) -> None:
    after = fingerprint(run)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed <= OUTPUTS, changed


@pytest.mark.parametrize("case", CASES)
def test_report_writes_what_is_readable(base_run, tmp_path, capsys, case):
    breaks, name = CASES[case]
    run, before = broken_copy(base_run, tmp_path, breaks)
    rc, out, err = run_cli(capsys, ["report", str(run)])
    assert rc == 0, err
    assert_skipped(err, name)
    text = (run / "report.html").read_text()
    assert "gankit report: run" in text and "Pitfall diagnostics" in text
    shown = {"574.3": not case.startswith("eval-"),  # the FID of eval.json
             'alt="final samples"': case not in ("final-cut", "samples-missing"),
             "4 / 4": case not in ("metrics-missing", "metrics-empty", "metrics-binary", "config-not-yaml")}
    assert {needle: needle in text for needle in shown} == shown
    assert_pictures_whole(text)
    assert_kept(run, before)


@pytest.mark.parametrize("case", COMPARE_CASES)
def test_compare_writes_what_is_readable(base_run, tmp_path, capsys, case):
    breaks, name = COMPARE_CASES[case]
    run, before = broken_copy(base_run, tmp_path, breaks)
    good = tmp_path / "good"
    shutil.copytree(base_run, good)
    page, table = tmp_path / "compare.html", tmp_path / "compare.csv"
    rc, out, err = run_cli(capsys, ["compare", str(run), str(good), "--html", str(page), "--csv", str(table)])
    assert rc == 0, err
    assert_skipped(err, name)
    assert "run" in out and "good" in out
    assert 'alt="final samples of good"' in page.read_text() and len(table.read_text().splitlines()) == 3
    assert table.read_text().count("574.3") == (1 if case.startswith("eval-") else 2)
    assert_pictures_whole(page.read_text())
    assert_kept(run, before)


def test_compare_leaves_out_a_folder_that_is_no_run(base_run, tmp_path, capsys):
    run, before = broken_copy(base_run, tmp_path, write("config.yaml", "train: [unclosed\n"))
    rc, out, err = run_cli(capsys, ["compare", str(run), str(base_run)])
    assert rc == 0 and "base" in out, err
    assert_skipped(err, str(run))
    assert_kept(run, before)
    one_line_error(capsys, ["compare", str(run)], "config.yaml is not valid YAML")
    one_line_error(capsys, ["compare", str(run), str(tmp_path / "nope")], "none of the 2 folders")


@pytest.mark.parametrize("argv, needle", [
    (["report", "{run}", "--out", "{folder}"], "is a folder"),
    (["report", "{run}", "--out", "{file}/report.html"], "is a file"),
    (["compare", "{run}", "--html", "{folder}"], "is a folder"),
    (["compare", "{run}", "--html", "{file}/compare.html"], "is a file"),
    (["compare", "{run}", "--csv", "{folder}"], "is a folder"),
    (["compare", "{run}", "--csv", "{file}/compare.csv"], "is a file"),
])
def test_an_output_that_cannot_be_a_file_is_one_line(base_run, tmp_path, capsys, argv, needle):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    before = fingerprint(tmp_path), fingerprint(base_run)
    argv = [a.format(run=base_run, folder=tmp_path / "folder", file=tmp_path / "file") for a in argv]
    one_line_error(capsys, argv, needle)
    assert (fingerprint(tmp_path), fingerprint(base_run)) == before  # refused before any picture is redrawn
