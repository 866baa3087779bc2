"""report.html and compare.html: self-contained files that a real browser renders without errors.

The browser check drives Debian's chromium (installed by scripts/ensure-chromium.sh from
`make test`) through playwright's python package, which never downloads a browser of its own.

Two runs serve every test: a ring8 GAN (points) and a tiny class-conditional Fashion-MNIST run
(issue 19 item 9: headline numbers, provenance, the real-data grid beside the generated one, the
curves' steps / time toggle, explore pictures; compare's warnings and a table that fits the page).
"""

import contextlib
import json
import re
import shutil
from pathlib import Path

import chromium
import pytest
import torch
import yaml
from cli_check import run_cli

import gankit
from gankit.cli import main
from gankit.viz.report import write_report

RUN = dict(model="gan", dataset="ring8", steps=200, batch_size=128, log_every=20, sample_every=50, seed=0,
           quiet=True, precision="fp32")


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    torch.set_num_threads(1)  # tiny MLPs: one thread is fastest, and spares a shared 2-core machine
    return gankit.train(out=tmp_path_factory.mktemp("runs") / "ring", **RUN)


#: what config.yaml's runtime records of how a run was made (gankit.provenance, gankit.data.identity)
PROVENANCE = {"command": "gankit train --model cgan --dataset fashion-mnist --subset 256 --steps 4 --out runs/fm",
              "git_commit": "0123456789abcdef0123456789abcdef01234567-dirty",
              "dataset": {"name": "fashion-mnist", "path": None, "hash": "38d318ca508cc694", "train_images": 256,
                          "test_split": "the official test split", "test_images": 10000}}
EVAL = {"metrics": {"fid": 41.25, "kid": 0.0312, "kid_std": 0.0021, "precision": 0.61, "recall": 0.44,
                    "classes_covered": 0.8, "num_classes": 10, "class_kl": 0.12},
        "info": {"n": 1000, "n_real": 10000, "split": "test", "step": 4,
                 "extractor": {"name": "classifier", "id": "classifier-fashion-mnist"}}}


def _set_runtime(run_dir: Path, **values) -> None:
    """Rewrite config.yaml's runtime section with ``values`` (a value None: the key removed)."""
    doc = yaml.safe_load((run_dir / "config.yaml").read_text())
    doc["runtime"].update(values)
    doc["runtime"] = {k: v for k, v in doc["runtime"].items() if v is not None}
    (run_dir / "config.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.fixture(scope="module")
def fashion_run(tmp_path_factory):
    """A class-conditional Fashion-MNIST run of 4 steps (one row per class in its grids), with an
    eval.json, explore's interpolation pictures and the provenance a run records."""
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("runs") / "fm"
    gankit.train(model="cgan", dataset="fashion-mnist", subset=256, width=8, batch_size=32, steps=4, log_every=1,
                 sample_every=2, quiet=True, out=out)
    assert main(["explore", str(out), "--interpolate", "--seeds", "0,1", "--columns", "4", "--threads", "1"]) == 0
    shutil.rmtree(out / "checkpoints")  # not read by report or compare; copied by tests below
    _set_runtime(out, **PROVENANCE)
    (out / "eval.json").write_text(json.dumps(EVAL))
    return out


@pytest.fixture(scope="module")
def fashion_report(fashion_run):
    """report.html of the Fashion-MNIST run, written by ``gankit report``."""
    assert main(["report", str(fashion_run)]) == 0
    return fashion_run / "report.html"


def _section(page: str, title: str) -> str:
    """The part of ``page`` from the heading ``title`` to the next heading."""
    start = page.index(f">{title}</h2>")
    end = page.find("<h2", start)
    return page[start:end if end > 0 else len(page)]


@contextlib.contextmanager
def opened(html_path: Path, width: int = 1280):
    """A file opened in headless chromium at ``width`` CSS pixels: (playwright page, console errors so far)."""
    playwright = pytest.importorskip("playwright.sync_api")
    errors = []
    with playwright.sync_playwright() as p:
        browser = chromium.launch(p)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"failed to load {r.url}"))
            page.goto(html_path.resolve().as_uri())
            page.wait_for_load_state("load")
            yield page, errors
        finally:
            browser.close()


IMAGES = "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])"


def browser_check(html_path: Path) -> tuple[list, list]:
    """Open a file in headless chromium: (images as [complete, naturalWidth, alt], console errors)."""
    with opened(html_path) as (page, errors):
        return page.evaluate(IMAGES), errors


def test_end_of_run_pictures(ring_run):
    from PIL import Image

    steps = sorted((ring_run.path / "samples").glob("step_*.png"))
    assert len(steps) == 4
    with Image.open(ring_run.path / "progress.gif") as gif:
        assert gif.n_frames == len(steps)
    with Image.open(ring_run.path / "curves.png") as im:
        assert im.width > 400 and im.height > 200


def test_report_is_self_contained(ring_run, tmp_path):
    out = tmp_path / "elsewhere" / "report.html"
    assert main(["report", str(ring_run.path), "--out", str(out)]) == 0
    text = out.read_text()
    srcs = re.findall(r'src="([^"]*)"', text)
    assert len(srcs) >= 6  # final grid, GIF, 4 grids over time, curves
    assert all(s.startswith("data:image/") for s in srcs), [s[:40] for s in srcs if not s.startswith("data:")]
    for needle in ("ring8", "gan", "Pitfall diagnostics", "No pitfall alarm", "lr_g", "data:image/gif"):
        assert needle in text
    assert f"<code>gankit eval {ring_run.path}</code> writes eval.json" in text  # no eval.json: how to get one
    assert text.count('alt="training curves against steps"') == 1
    assert text.count('alt="training curves against time"') == 1
    assert 'id="curves-time"' in text  # the two are one figure's two views (test_report_in_chromium clicks it)


def test_report_opens_in_chromium_with_every_image(ring_run):
    path = write_report(ring_run.path)
    images, errors = browser_check(path)
    assert len(images) >= 6
    broken = [alt for complete, width, alt in images if not complete or width == 0]
    assert broken == [] and errors == [], (broken, errors)


def test_browser_check_catches_a_broken_page(tmp_path):
    """The check above must be able to fail: a missing picture and a script error are both seen."""
    page = tmp_path / "broken.html"
    page.write_text('<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>'
                    '<img src="missing.png" alt="missing"><script>console.error("boom")</script></body></html>')
    images, errors = browser_check(page)
    assert images and images[0][1] == 0
    assert any("boom" in e for e in errors)


def test_report_shows_eval_and_alarms(ring_run, tmp_path):
    run_dir = tmp_path / "copy"
    shutil.copytree(ring_run.path, run_dir)
    (run_dir / "eval.json").write_text('{"metrics": {"fid": 12.5, "modes_covered": 7}}')
    (run_dir / "diagnostics.json").write_text(
        '{"episodes": [{"alarm": "mode_collapse", "first_step": 100, "last_step": 160, "message": "fewer modes"}]}')
    _set_runtime(run_dir, command=None, git_commit=None, dataset=None)  # a run from before they were recorded
    text = write_report(run_dir).read_text()
    assert "Evaluation (eval.json)" in text and "12.5" in text
    assert "mode_collapse" in text and "steps 100-160" in text and "No pitfall alarm" not in text
    provenance = _section(text, "Provenance")
    for name in ("command", "git commit", "dataset hash", "test split"):
        assert re.search(f"<th>{name}</th><td[^>]*><i>not recorded</i>", provenance), name
    assert "<th>torch</th>" in provenance and torch.__version__ in provenance


def test_report_of_a_non_run_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "is not a gankit run folder" in capsys.readouterr().err


def test_compare_html_side_by_side(ring_run, fashion_run, tmp_path, capsys):
    """Best FID first; the warnings the CLI prints (other extractors, other sample counts) head the
    page; its tables fit a 1280-pixel window, a long run name shortened (whole in its title)."""
    long_name = "fashion-cgan-with-a-rather-long-experiment-name-lr2e-4-seed0"
    first, other = tmp_path / "ring", tmp_path / long_name
    shutil.copytree(ring_run.path, first)
    shutil.copytree(fashion_run, other)
    (first / "eval.json").write_text(json.dumps({"metrics": {"fid": 31.5, "precision": 0.9, "recall": 0.8},
                                                 "info": {"n": 100, "extractor": {"id": "points"}}}))
    (other / "eval.json").write_text(json.dumps({**EVAL, "metrics": {**EVAL["metrics"], "fid": 12.25}}))
    out = tmp_path / "compare.html"
    rc, printed, err = run_cli(capsys, ["compare", str(first), str(other), "--html", str(out)])
    assert rc == 0 and err == "", err
    warnings = [line[len("warning: "):] for line in printed.splitlines() if line.startswith("warning: ")]
    assert any("different feature extractors (classifier-fashion-mnist: " in w for w in warnings), printed
    assert any(f"different sample counts (n = 1000: {long_name}; n = 100: ring)" in w for w in warnings), printed
    text = out.read_text()
    box = text[text.index('<div class="warn"'):text.index("</div>", text.index('<div class="warn"'))]
    assert text.index('<div class="warn"') < text.index("<h2>") and all(w in box for w in warnings)
    assert text.count("data:image/png") >= 4  # two final grids, a figure per logged number
    assert "12.250" in text and "31.500" in text and "grad_norm_g" in text
    assert text.index(f'alt="final samples of {long_name}"') < text.index('alt="final samples of ring"')  # best first
    assert f'title="{other}">fashion-cgan-\u2026' in text  # the name shortened, the whole path on hover
    assert 'alt="grad_norm_g of every run"' in text and 'alt="d_loss of every run"' in text
    with opened(out, width=1280) as (page, errors):
        images = page.evaluate(IMAGES)
        page_width = page.evaluate("document.documentElement.scrollWidth")
        boxes = page.evaluate("Array.from(document.querySelectorAll('.scroll'))"
                              ".map(e => [e.scrollWidth, e.clientWidth])")
    assert len(images) >= 4 and all(c and w > 0 for c, w, _ in images) and errors == [], errors
    assert page_width <= 1280 and all(scroll <= client for scroll, client in boxes), (page_width, boxes)


# -- issue 19 item 9: the pages people share ----------------------------------------------------------------
def test_report_headline_numbers_name_split_counts_and_extractor(fashion_report):
    page = fashion_report.read_text()
    top = page[:page.index(">Samples</h2>")]  # above every picture
    for title, value in (("FID", "41.250"), ("KID", "0.03120 \u00b1 0.00210"), ("precision", "0.610"),
                         ("recall", "0.440"), ("classes", "8 of 10")):
        assert re.search(f'<div class="name">{re.escape(title)}</div>\\s*<div class="value">{re.escape(value)}</div>',
                         top), (title, value)
    basis = "test split \u00b7 1000 vs 10000 real \u00b7 classifier-fashion-mnist"
    assert top.count(basis) == 5  # under each number
    assert "1000 generated samples against 10000 real images of the test split" in top


def test_report_records_how_the_run_was_made(fashion_report):
    provenance = _section(fashion_report.read_text(), "Provenance")
    assert f'<pre class="command"><code>{PROVENANCE["command"]}</code></pre>' in provenance
    for name, value in (("git commit", PROVENANCE["git_commit"]), ("dataset hash", "38d318ca508cc694"),
                        ("dataset path", "built in (no folder)"), ("training images", "256"),
                        ("test split", "the official test split (10000 images)"), ("threads", "1 (")):
        assert re.search(f"<th>{name}</th><td[^>]*>{re.escape(value)}", provenance), name
    assert "not recorded" not in provenance


def test_real_grid_is_drawn_beside_the_generated_one_at_its_size(fashion_report):
    from PIL import Image

    run = fashion_report.parent
    with Image.open(run / "real.png") as real, Image.open(run / "samples" / "final.png") as generated:
        assert real.size == generated.size  # 10 rows (a class each) of 7, as the conditional grid
    samples = _section(fashion_report.read_text(), "Samples")
    order = [samples.index(f'alt="{alt}') for alt in ("final samples", "real images", "samples over training")]
    assert order == sorted(order)


def test_real_grid_is_left_out_with_one_warning_when_the_data_is_gone(fashion_run, tmp_path, capsys):
    run = tmp_path / "moved"
    shutil.copytree(fashion_run, run, ignore=shutil.ignore_patterns("real.png", "report.html"))
    doc = yaml.safe_load((run / "config.yaml").read_text())
    doc["train"]["dataset"] = str(tmp_path / "gone")  # a folder dataset that moved away
    (run / "config.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    rc, _, err = run_cli(capsys, ["report", str(run)])
    assert rc == 0, err
    assert err.count("\n") == 1 and err.startswith("gankit: warning: skipped the real-data grid of ") and "gone" in err
    page = (run / "report.html").read_text()
    assert 'alt="real images"' not in page and 'alt="final samples"' in page and not (run / "real.png").exists()


def test_report_in_chromium_toggles_its_curves_and_shows_explore(fashion_report):
    page_text = fashion_report.read_text()
    explore = _section(page_text, "Explore (gankit explore)")
    assert 'alt="explore: interpolation.png"' in explore and 'alt="explore: interpolation.gif"' in explore
    with opened(fashion_report) as (page, errors):
        images = page.evaluate(IMAGES)
        shown = 'c => getComputedStyle(document.querySelector("figure." + c)).display !== "none"'
        before = [page.evaluate(f"({shown})('curve-steps')"), page.evaluate(f"({shown})('curve-time')")]
        page.click("label[for=curves-time]")
        after = [page.evaluate(f"({shown})('curve-steps')"), page.evaluate(f"({shown})('curve-time')")]
    alts = [alt for _, _, alt in images]
    assert {"real images", "explore: interpolation.png", "explore: interpolation.gif",
            "training curves against steps", "training curves against time"} <= set(alts)
    assert [a for a in alts if "curves" in a] == ["training curves against steps", "training curves against time"]
    assert all(complete and width > 0 for complete, width, _ in images) and errors == [], (images, errors)
    assert before == [True, False] and after == [False, True]  # one figure at a time
