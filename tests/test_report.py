"""report.html and compare.html: self-contained files that a real browser renders without errors.

The browser check drives Debian's chromium (installed by scripts/ensure-chromium.sh from
`make test`) through playwright's python package, which never downloads a browser of its own.
"""

import json
import re
import os
import shutil
from pathlib import Path

import pytest
import torch

import gankit
from gankit.cli import main
from gankit.viz.report import write_report

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
RUN = dict(model="gan", dataset="ring8", steps=200, batch_size=128, log_every=20, sample_every=50, seed=0,
           quiet=True, precision="fp32")


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    torch.set_num_threads(1)  # tiny MLPs: one thread is fastest, and spares a shared 2-core machine
    return gankit.train(out=tmp_path_factory.mktemp("runs") / "ring", **RUN)


def browser_check(html_path: Path) -> tuple[list, list]:
    """Open a file in headless chromium: (images as [complete, naturalWidth, alt], console errors)."""
    if os.environ.get("CI") and CHROMIUM is None:
        pytest.fail("CI must run the browser check: scripts/ensure-chromium.sh did not install chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/ensure-chromium.sh installs it)")
    errors = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run",
                                          "--disable-background-networking", "--disable-component-update",
                                          "--disable-sync"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"failed to load {r.url}"))
            page.goto(html_path.resolve().as_uri())
            page.wait_for_load_state("load")
            images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt])")
        finally:
            browser.close()
    return images, errors


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
    text = write_report(run_dir).read_text()
    assert "Evaluation (eval.json)" in text and "12.5" in text
    assert "mode_collapse" in text and "steps 100-160" in text and "No pitfall alarm" not in text


def test_report_of_a_non_run_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "is not a gankit run folder" in capsys.readouterr().err


def test_compare_html_side_by_side(ring_run, tmp_path, capsys):
    torch.set_num_threads(1)
    other = gankit.train(out=tmp_path / "ring-lr", **{**RUN, "steps": 40, "lr_g": 3e-4})
    first = tmp_path / "ring"
    shutil.copytree(ring_run.path, first)
    for run_dir, fid in ((first, 31.5), (other.path, 12.25)):
        (run_dir / "eval.json").write_text(json.dumps({"metrics": {"fid": fid}, "info": {"n": 100}}))
    out = tmp_path / "compare.html"
    assert main(["compare", str(first), str(other.path), "--html", str(out)]) == 0
    text = out.read_text()
    assert text.count("data:image/png") >= 4  # two final grids, two curve plots
    assert "12.25" in text and "31.5" in text and "grad_norm_g" in text
    assert text.index('alt="final samples of ring-lr"') < text.index('alt="final samples of ring"')  # best FID first
    images, errors = browser_check(out)
    assert len(images) >= 4 and all(c and w > 0 for c, w, _ in images) and errors == [], errors
