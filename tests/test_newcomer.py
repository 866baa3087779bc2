"""What a newcomer tripped over (issue 19), the small things: each of these failed on the main of
2026-12-04."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gankit_metrics_works_after_a_plain_import_gankit():
    # in a fresh interpreter: the test process has imported gankit.metrics long ago
    code = "import gankit; print(gankit.metrics.evaluate.__name__, gankit.viz.__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["evaluate", "gankit.viz"]


def test_the_readme_points_only_to_files_a_clone_has():
    readme = (ROOT / "README.md").read_text()
    assert "../shared" not in readme
    assert "runs/demo" in readme  # where `make demo` writes, named beside the examples' runs/fm-dcgan


def test_pyproject_states_its_license_the_current_way():
    # `license = {text = ...}` made setuptools print a deprecation warning on every install
    text = (ROOT / "pyproject.toml").read_text()
    assert 'license = "MIT"' in text and "{ text" not in text


def test_gankit_version(capsys):
    import pytest

    import gankit
    from gankit.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"gankit {gankit.__version__}"


def test_eval_every_on_a_folder_without_a_classifier_names_a_fix_train_has(capsys, tmp_path):
    # it suggested "--classifier PATH", which gankit train does not have, and left a run folder behind
    import numpy as np
    from PIL import Image

    from cli_check import one_line_error

    folder = tmp_path / "digits"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(64):
        Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(folder / f"{i}.png")
    out = tmp_path / "run"
    line = one_line_error(capsys, ["train", "--model", "gan", "--dataset", str(folder), "--steps", "2",
                                   "--eval-every", "1", "--quiet", "--out", str(out)],
                          "gankit features train --dataset", "gankit eval RUN --classifier")
    assert "or pass --classifier" not in line
    assert not out.exists()
