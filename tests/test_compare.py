"""gankit compare: rows from eval.json, sorted by FID, as text, Markdown and CSV."""

import csv
import json
import shutil

import pytest

import gankit
from gankit.cli import main
from gankit.metrics.compare import compare_rows


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("cmp")
    first = base / "a"
    gankit.train(model="gan", dataset="ring8", steps=2, batch_size=64, quiet=True, out=first)
    runs = []
    for name in ("b", "c"):
        shutil.copytree(first, base / name)
    for name, value in (("a", 30.0), ("b", 5.0), ("c", None)):
        path = base / name
        if value is not None:
            (path / "eval.json").write_text(json.dumps({
                "metrics": {"fid": value, "precision": 0.5, "modes_covered": 8},
                "info": {"n": 1000, "extractor": {"id": "points"}}}))
        runs.append(path)
    return runs


def test_rows_are_sorted_by_fid_with_missing_last(three_runs):
    rows = compare_rows([str(p) for p in three_runs])
    assert [r["run"].rsplit("/", 1)[-1] for r in rows] == ["b", "a", "c"]
    assert rows[0]["fid"] == 5.0 and rows[0]["model"] == "gan" and rows[0]["steps"] == 2
    assert rows[2].get("fid") is None


def test_cli_markdown_and_csv(three_runs, tmp_path, capsys):
    out = tmp_path / "t.csv"
    assert main(["compare", *map(str, three_runs), "--markdown", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    lines = [line for line in text.splitlines() if line.startswith("|")]
    assert lines[0].startswith("| run | model | dataset | steps | wall s | FID")
    assert "| 5.000 |" in lines[2] and "no eval.json" in text
    table = list(csv.DictReader(out.open()))
    assert [float(r["fid"]) for r in table if r["fid"]] == [5.0, 30.0]


def test_compare_needs_run_folders(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_warnings_name_what_differs_and_which_runs():
    """The lines gankit compare prints and compare.html shows: one per thing that differs among the
    runs that have an eval.json (a run without one is no warning: the CLI names it apart)."""
    from gankit.metrics.compare import compare_warnings

    def row(name, features="classifier-fashion-mnist", n=1000, split="test", n_real=10000):
        return {"run": f"runs/{name}", "eval_n": n, "features": features, "eval_split": split, "eval_n_real": n_real}

    assert compare_warnings([row("a"), row("b"), {"run": "runs/c"}]) == []
    warnings = compare_warnings([row("a"), row("b", "inception", n=5000), row("c", split="train", n_real=60000)])
    assert warnings[0].startswith("runs were evaluated with different feature extractors "
                                  "(classifier-fashion-mnist: a, c; inception: b)")
    assert warnings[1].startswith("runs were evaluated with different sample counts (n = 1000: a, c; n = 5000: b)")
    assert warnings[2].startswith("runs were evaluated with different real splits "
                                  "(test split, 10000 real: a, b; train split, 60000 real: c)")
    assert len(warnings) == 3
