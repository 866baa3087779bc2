"""gankit serve's Listen and Read views in a real browser (Debian's chromium through Playwright, a real
uvicorn on 127.0.0.1): a sound run shows a player and a spectrogram per seed whose WAV is the clip
`gankit sample` draws for that seed; a text run shows its texts, and the temperature slider redraws them
as the sampler does at that temperature. No request leaves 127.0.0.1 and the page logs no error."""

import base64

import pytest

import gankit

pytest.importorskip("fastapi")
import chromium
from test_serve_browser import browser, only_local, screenshot, set_range

from gankit.audio.wav import read_wav
from gankit.data import get_dataset
from gankit.data.text import decode
from gankit.serve.app import create_app

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve-media") / "runs"
    gankit.train(model="wavegan", dataset="spoken-digits", steps=2, batch_size=8, quiet=True, out=root / "wavegan",
                 data=get_dataset("spoken-digits").subset(64), sample_every=10**6)
    gankit.train(model="mle-lm", dataset="words", steps=20, batch_size=32, quiet=True, out=root / "lm",
                 sample_every=10**6)
    with chromium.serving(create_app([root.resolve()])) as base:
        yield base, root


def test_listen_and_read_views(served, tmp_path):
    base, root = served
    with browser(base) as (page, errors, urls):
        page.click("[data-run-id$='/wavegan']")
        page.wait_for_function("document.querySelectorAll('#media-list audio').length === 8")
        assert page.is_hidden("#grid-section") and page.is_visible("#media-section")
        first = page.eval_on_selector("#media-list li", "li => ({src: li.querySelector('audio').src, "
                                      "cmd: li.querySelector('code').textContent})")
        assert first["cmd"].endswith("--n 1 --seed 0 --out seed0/")
        (tmp_path / "seed0.wav").write_bytes(base64.b64decode(first["src"].split(",", 1)[1]))
        wave, rate = read_wav(tmp_path / "seed0.wav")
        expected = gankit.load_run(root / "wavegan").sampler().sample(1, 0)
        assert rate == 16000 and (wave.reshape(-1) - expected.reshape(-1).clamp(-1, 1)).abs().max() <= 2 / 32768
        assert page.eval_on_selector_all("#media-list img.spectrogram", "imgs => imgs.every(i => i.naturalWidth > 0)")
        screenshot(page, tmp_path, "serve-listen.png")

        page.click("[data-run-id$='/lm']")
        page.wait_for_function("document.querySelectorAll('#media-list q.sample-text').length === 16")
        texts = page.eval_on_selector_all("#media-list q.sample-text", "qs => qs.map(q => q.textContent)")
        run = gankit.load_run(root / "lm")
        assert texts[0] == decode(run.sampler().sample(1, 0), run.spec)[0]
        set_range(page, "#media-temperature", 0.5)
        page.wait_for_function("old => document.querySelector('#media-list q.sample-text').textContent !== old "
                               "|| document.querySelector('#media-list code').textContent.includes('0.5')", arg=texts[0])
        page.wait_for_function("document.querySelector('#media-list code').textContent.includes('--temperature 0.5')")
        cold = page.eval_on_selector_all("#media-list q.sample-text", "qs => qs.map(q => q.textContent)")
        assert cold[0] == decode(run.sampler().sample(1, 0, temperature=0.5), run.spec)[0]
        screenshot(page, tmp_path, "serve-read.png")
    assert not errors, errors
    assert not only_local(urls, base)
