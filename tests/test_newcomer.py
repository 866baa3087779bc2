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
