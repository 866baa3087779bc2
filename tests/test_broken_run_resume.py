"""gankit train --resume on a run folder with one broken file (issue 21): a damaged
``diagnostics.json`` or sample grid is left out with one ``gankit: warning: skipped <what> (<why>)``
line naming it, and the run goes on to its new step count (the diagnostics read at the start of a
resume, progress.gif drawn at its end), instead of ending in a traceback."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
import torch

import gankit
from gankit.checkpoint import load_run_checkpoint

from cli_check import run_cli
from run_breakers import cut, replace_by_folder, write


BINARY = bytes(range(256)) * 4
#: case -> (how to break the run, the file the warning names, whether the code before issue 21's
#: fix crashed on it: the others were read silently, or as empty, and now also say so)
CASES = {
    "diagnostics-episodes-number": (write("diagnostics.json", '{"episodes": 5}'), "diagnostics.json", True),
    "diagnostics-episodes-without-alarm": (write("diagnostics.json", json.dumps({"episodes": [{"first_step": 1}]})),
                                           "diagnostics.json", True),
    "diagnostics-list": (write("diagnostics.json", "[1, 2]"), "diagnostics.json", False),
    "diagnostics-binary": (write("diagnostics.json", BINARY), "diagnostics.json", False),
    "diagnostics-not-json": (write("diagnostics.json", '{"episodes": ['), "diagnostics.json", False),
    "diagnostics-episodes-not-dicts": (write("diagnostics.json", json.dumps({"episodes": [1, "x", None, [2]]})),
                                       "diagnostics.json", False),
    "sample-cut": (cut("samples/step_000002.png"), "step_000002.png", True),
    "sample-folder": (replace_by_folder("samples/step_000002.png"), "step_000002.png", True),
}

#: one sequence for the base run and every resume, so no two grids of a run are alike
GREYS = itertools.count()


def quick_curves(monkeypatch):
    """Every figure (curves.png, the sample grids of a 2D toy) as a small one-colour PNG, each in
    the next grey (progress.gif merges equal frames): rasterizing them is most of a short run's time
    on a shared 2-core machine, and none of what is tested here."""
    from matplotlib.figure import Figure
    from PIL import Image

    def savefig(self, path, *args, **kwargs):
        Image.new("L", (8, 8), next(GREYS) % 256).save(path, "PNG")

    monkeypatch.setattr(Figure, "savefig", savefig)


@pytest.fixture(autouse=True)
def _quick_curves(monkeypatch):
    quick_curves(monkeypatch)


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("broken-resume") / "base"
    with pytest.MonkeyPatch.context() as monkeypatch:
        quick_curves(monkeypatch)
        gankit.train(model="gan", dataset="ring8", batch_size=32, steps=4, checkpoint_every=2, sample_every=2,
                     log_every=1, out=out, quiet=True)
    return out


@pytest.mark.parametrize("case", CASES)
def test_resume_goes_on_past_a_broken_file(base_run, tmp_path, capsys, case):
    from PIL import Image

    breaks, name, _crashed_before = CASES[case]
    run = tmp_path / "run"
    shutil.copytree(base_run, run)
    breaks(run)
    rc, _, err = run_cli(capsys, ["train", "--resume", str(run), "--steps", "6", "--quiet"])
    assert rc == 0, err
    assert "Traceback" not in err
    skipped = [line for line in err.splitlines() if line.startswith("gankit: warning: skipped ") and name in line]
    assert len(skipped) == 1, err
    assert load_run_checkpoint(run / "checkpoints" / "last.pt")["step"] == 6
    assert gankit.load_run(run).metrics()[-1]["step"] == 6
    episodes = json.loads((run / "diagnostics.json").read_text())["episodes"]  # written anew, whole
    assert isinstance(episodes, list) and all(isinstance(e.get("alarm"), str) for e in episodes)
    with Image.open(run / "progress.gif") as gif:  # steps 2 (unless it is the broken one), 4 and 6
        assert gif.n_frames == (2 if case.startswith("sample-") else 3)


def test_resume_keeps_the_readable_episodes(base_run, tmp_path, capsys):
    """Of a diagnostics.json with some damaged episodes, the whole ones are kept for the report."""
    run = tmp_path / "run"
    shutil.copytree(base_run, run)
    good = {"alarm": "mode_collapse", "first_step": 1, "last_step": 2, "message": "fewer modes"}
    (run / "diagnostics.json").write_text(json.dumps({"episodes": [good, 7, {"first_step": 3}]}))
    rc, _, err = run_cli(capsys, ["train", "--resume", str(run), "--steps", "6", "--quiet"])
    assert rc == 0, err
    assert "skipped 2 of 3 episodes of" in err and "diagnostics.json" in err
    assert json.loads((run / "diagnostics.json").read_text())["episodes"][0] == good


def test_unreadable_diagnostics_are_rebuilt_from_the_metrics(base_run, tmp_path, capsys):
    """When diagnostics.json cannot be read, the episodes come from the alarms logged in metrics.jsonl."""
    run = tmp_path / "run"
    shutil.copytree(base_run, run)
    lines = (run / "metrics.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    for r in records:
        if r["step"] in (1, 2):
            r["alarms"] = ["oscillation"]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (run / "diagnostics.json").write_text('{"episodes": 5}')
    rc, _, err = run_cli(capsys, ["train", "--resume", str(run), "--steps", "6", "--quiet"])
    assert rc == 0, err
    episodes = json.loads((run / "diagnostics.json").read_text())["episodes"]
    assert episodes[0]["alarm"] == "oscillation" and (episodes[0]["first_step"], episodes[0]["last_step"]) == (1, 2)


def test_a_metrics_record_with_an_infinite_step_is_dropped_on_resume(base_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(base_run, run)
    with open(run / "metrics.jsonl", "a") as f:
        f.write('{"step": Infinity}\n')  # OverflowError from int(inf) before
    rc, _, err = run_cli(capsys, ["train", "--resume", str(run), "--steps", "6", "--quiet"])
    assert rc == 0, err
    assert "Infinity" not in (run / "metrics.jsonl").read_text()
