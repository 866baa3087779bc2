"""gankit serve's page in a real browser: Debian's chromium (scripts/ensure-chromium.sh) driven by
Playwright, against a real uvicorn server on 127.0.0.1.

What a user sees is checked against what the models and the shipped classifier say: no request
leaves 127.0.0.1; the truncation slider changes the grid and psi 0 draws one image for every seed;
the interpolation strip starts and ends at the two seeds' images; the class picker moves the class
the shipped mnist5k classifier predicts; the live lab covers more of ring8's modes after a few
seconds of play. A screenshot of each view goes to the test's folder (and to $GANKIT_SCREENSHOTS,
which is how docs/serve-*.png were made).
"""

import base64
import contextlib
import io
import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import gankit

pytest.importorskip("fastapi")
import chromium

from gankit.serve.app import create_app

pytestmark = pytest.mark.usefixtures("isolated_gankit_home")
#: a cgan that has learned some classes: 300 steps at width 16 (70 s on one thread). The shipped
#: mnist5k classifier labels its samples of class 0 as 0 100% of the time, 4 as 4 75%, 8 as 8 95%
#: (20 samples each, seed 1; 47% mean over the ten classes): the picker is checked with those three.
CGAN = {"model": "cgan", "dataset": "mnist5k", "steps": 300, "batch_size": 64, "width": 16, "seed": 0, "quiet": True,
            "precision": "fp32", "sample_every": 10**6}
CLASSES = (4, 8, 0)  # 0 last: the picker starts at class 0


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve") / "runs"
    gankit.train(model="dcgan", dataset="mnist5k", steps=3, width=8, batch_size=16, quiet=True, precision="fp32",
                 log_every=1, out=root / "dcgan")
    gankit.train(out=root / "cgan", **CGAN)
    with chromium.serving(create_app([root.resolve()])) as base:
        yield base


@contextlib.contextmanager
def browser(base: str):
    """A page of ``base`` in headless chromium: (page, console errors, every URL the page asked for)."""
    playwright = pytest.importorskip("playwright.sync_api")
    errors, urls = [], []
    with playwright.sync_playwright() as p:
        browser_ = chromium.launch(p)
        try:
            page = browser_.new_page(viewport={"width": 1280, "height": 1000})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: urls.append(r.url))
            page.goto(base + "/")
            page.wait_for_load_state("load")
            yield page, errors, urls
        finally:
            browser_.close()


def screenshot(page, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if os.environ.get("GANKIT_SCREENSHOTS"):
        page.screenshot(path=str(Path(os.environ["GANKIT_SCREENSHOTS"]) / name), full_page=False)


def pixels(url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))).astype(int)


def grid_sources(page) -> list[str]:
    return page.eval_on_selector_all("#grid img[data-seed]", "imgs => imgs.map(i => i.src)")


def set_range(page, selector: str, value: float) -> None:
    page.eval_on_selector(selector, """(e, v) => { e.value = String(v);
        e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); }""",
                          value)


def open_run(page, model: str) -> list[str]:
    page.click(f"[data-run-id$='/{model}']")
    page.wait_for_function("document.querySelectorAll('#grid img[data-seed]').length === 16")
    return grid_sources(page)


def wait_for_new_grid(page, old: list[str]) -> list[str]:
    page.wait_for_function("old => { const s = Array.from(document.querySelectorAll('#grid img[data-seed]'))"
                           ".map(i => i.src); return s.length === 16 && s.join() !== old.join(); }", arg=old,
                           timeout=120_000)  # the server shares 2 cores with the other test worker's training
    return grid_sources(page)


def only_local(urls: list[str], base: str) -> list[str]:
    return [u for u in urls if not (u.startswith((base + "/", "data:")))]


def test_runs_view_truncation_and_interpolation(served, tmp_path):
    with browser(served) as (page, errors, urls):
        page.wait_for_selector("#run-list [data-run-id]")
        assert page.eval_on_selector_all("#run-list [data-run-id]", "e => e.length") == 2
        first = open_run(page, "dcgan")
        assert len(set(first)) == 16  # 16 seeds, 16 different images
        set_range(page, "#truncation", 0.5)
        half = wait_for_new_grid(page, first)
        assert half[0] != first[0]  # the slider changed the image
        set_range(page, "#truncation", 0)
        zero = wait_for_new_grid(page, half)
        assert len(set(zero)) == 1  # psi 0: every seed is the mean z's image
        set_range(page, "#truncation", 1)
        full = wait_for_new_grid(page, zero)
        page.fill("#interp-a", "3")
        page.fill("#interp-b", "7")
        page.click("#interp-go")
        page.wait_for_function("document.querySelectorAll('#interp-strip img').length >= 2")
        strip = page.eval_on_selector_all("#interp-strip img", "imgs => imgs.map(i => i.src)")
        page.fill("#seed", "3")
        page.dispatch_event("#seed", "change")
        # the grid of before the change, read before it: read after, a fast server's new grid was already
        # there, and the wait below waited for a change that had happened
        seeds = dict(zip(range(3, 19), wait_for_new_grid(page, full)))
        assert np.abs(pixels(strip[0]) - pixels(seeds[3])).max() <= 1
        assert np.abs(pixels(strip[-1]) - pixels(seeds[7])).max() <= 1
        page.click("#grid img[data-seed='5']")
        assert page.text_content("#picked-seed").strip() == "5"
        assert "--seed 5" in page.text_content("#command")
        screenshot(page, tmp_path, "serve-runs.png")
        assert only_local(urls, served) == [] and errors == []


def test_class_picker_moves_the_class_the_classifier_predicts(served, tmp_path):
    from gankit.metrics.features import classifier_extractor

    classify = classifier_extractor("mnist5k")
    with browser(served) as (page, errors, urls):
        page.wait_for_selector("#run-list [data-run-id]")
        grid = open_run(page, "cgan")
        majority = {}
        for k in CLASSES:
            page.select_option("#class-picker", str(k))
            grid = wait_for_new_grid(page, grid)
            images = torch.tensor(np.stack([pixels(u) for u in grid]), dtype=torch.uint8)[:, None]
            predicted = classify(images)["logits"].argmax(1)
            majority[k] = int(predicted.mode().values)
            print(f"class {k}: predicted {predicted.tolist()}")
        assert majority == {k: k for k in CLASSES}
        screenshot(page, tmp_path, "serve-classes.png")
        assert only_local(urls, served) == [] and errors == []


def test_live_lab_covers_more_modes_as_it_plays(served, tmp_path):
    """gan on ring8 puts its fakes on the ring within a few hundred steps, but a mode only counts once its
    fakes lie within 3 std (0.06) of the centre: measured (lab sessions, seed 0) 0 of 8 after 800 steps at the
    default lr 1e-3, then 3-4 of 8 100-200 steps after lowering both rates to 2e-4, as a user would."""
    with browser(served) as (page, errors, urls):
        page.click("#tab-lab")
        page.wait_for_selector("#lab-model option[value='gan']", state="attached")
        page.select_option("#lab-dataset", "ring8")
        page.select_option("#lab-model", "gan")
        page.click("#lab-new")
        page.wait_for_function("/\\/ 8/.test(document.querySelector('#lab-modes').textContent)")
        modes = lambda: int(page.text_content("#lab-modes").split("/")[0])
        steps = lambda: int(page.text_content("#lab-step-count").split()[0])
        before = modes()
        page.click("#lab-play")
        page.wait_for_function("parseInt(document.querySelector('#lab-step-count').textContent) >= 800",
                               timeout=120_000)
        for field in ("#lab-lr-d", "#lab-lr-g"):  # changed while it plays
            page.fill(field, "0.0002")
            page.dispatch_event(field, "change")
        deadline = time.monotonic() + 60
        while modes() < 3 and time.monotonic() < deadline:
            time.sleep(0.25)
        after = modes()
        page.click("#lab-play")  # pause
        print(f"lab ring8 gan: modes covered {before} -> {after} at step {steps()}")
        assert after >= 3 > before
        screenshot(page, tmp_path, "serve-lab.png")
        assert only_local(urls, served) == [] and errors == []
