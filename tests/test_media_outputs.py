"""Sound and text runs through every output a user reaches: the run folder's pictures, clips and
texts, `gankit sample`, `gankit eval`, report.html and gankit serve's Listen/Read view.

The runs are a few steps long: what is checked is that each output is what its sampler draws (the
same seed gives the same clip or text everywhere), not that the model learned (tests/test_wavegan.py
and tests/test_seqgan.py do that).
"""

import base64
import json

import numpy as np
import pytest
from PIL import Image

import gankit
from gankit.audio.wav import read_wav
from gankit.cli import main
from gankit.data import get_dataset


@pytest.fixture(scope="module")
def text_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "lm"
    gankit.train(model="mle-lm", dataset="words", steps=20, batch_size=32, sample_every=10, quiet=True, out=out)
    return out


@pytest.fixture(scope="module")
def sound_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "wg"
    data = get_dataset("spoken-digits").subset(64)
    gankit.train(model="wavegan", dataset="spoken-digits", steps=2, batch_size=8, sample_every=1, quiet=True,
                 out=out, data=data)
    return out


def test_text_run_folder_has_texts_and_aligned_pages(text_run):
    lines = (text_run / "samples" / "final.txt").read_text().splitlines()
    run = gankit.load_run(text_run)
    assert len(lines) == 64 and all(len(t) <= run.spec.shape[0] for t in lines)
    sizes = {Image.open(p).size for p in (text_run / "samples").glob("*.png")}
    assert len(sizes) == 1  # one page size, so the progress GIF's frames line up
    assert (text_run / "progress.gif").is_file()


def test_sample_texts_seeded_with_temperature(text_run, tmp_path, capsys):
    a, b, c = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "c.txt"
    assert main(["sample", str(text_run), "--n", "12", "--seed", "3", "--out", str(a)]) == 0
    assert main(["sample", str(text_run), "--n", "12", "--seed", "3", "--out", str(b)]) == 0
    assert main(["sample", str(text_run), "--n", "12", "--seed", "3", "--out", str(c), "--temperature", "0.3"]) == 0
    assert a.read_text() == b.read_text() and len(a.read_text().splitlines()) == 12
    assert a.read_text() != c.read_text()
    run = gankit.load_run(text_run)
    from gankit.data.text import decode

    assert a.read_text().splitlines() == decode(run.sampler().sample(12, 3), run.spec)
    assert main(["sample", str(text_run), "--n", "4", "--out", str(tmp_path / "ids.npy")]) == 0
    ids = np.load(tmp_path / "ids.npy")
    assert ids.shape == (4, run.spec.shape[0]) and ids.dtype == np.int64


@pytest.mark.parametrize("argv, message", [
    (["--out", "clips/"], "must end in .txt, .png or .npy"),
    (["--out", "t.txt", "--temperature", "0"], "--temperature must be > 0"),
    (["--out", "t.txt", "--truncation", "0.5"], "text models take --temperature"),
    (["--out", "t.txt", "--class", "1"], "unconditional"),
])
def test_sample_text_bad_options(text_run, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", str(text_run), "--n", "2", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gankit: error:") and message in err and len(err.strip().splitlines()) == 1


def test_text_eval_beside_real_texts(text_run, capsys):
    assert main(["eval", str(text_run), "--n", "100"]) == 0
    result = json.loads((text_run / "eval.json").read_text())
    for key in ("bleu4", "self_bleu4"):
        assert 0 <= result["metrics"][key] <= 1 and 0 <= result["baseline"][key] <= 1
    # real words against real words: far closer to the test set than a 20-step model's
    assert result["baseline"]["bleu4"] > result["metrics"]["bleu4"]
    assert "bleu4" in capsys.readouterr().out


def test_eval_every_refused_for_text(tmp_path, capsys):
    assert main(["train", "--model", "mle-lm", "--dataset", "words", "--steps", "4", "--eval-every", "2",
                 "--out", str(tmp_path / "r")]) == 2
    assert "drop --eval-every and run gankit eval RUN" in capsys.readouterr().err


def test_sound_run_folder_has_spectrograms_and_clips(sound_run):
    clips = sorted((sound_run / "samples" / "final-clips").glob("*.wav"))
    assert len(clips) == 8
    wave, rate = read_wav(clips[0])
    assert rate == 16000 and wave.numel() == 16384
    assert (sound_run / "samples" / "step_000001.png").is_file() and (sound_run / "progress.gif").is_file()
    # the clips are the first fixed samples (the grid's), as int16 on disk
    from gankit.engine import SAMPLE_NOISE_OFFSET

    run = gankit.load_run(sound_run)
    sampler = run.sampler()
    fixed = sampler.generate(sampler.grid_inputs(64, seed=run.config.seed + SAMPLE_NOISE_OFFSET))[0]
    assert (wave.reshape(-1) - fixed.reshape(-1).clamp(-1, 1)).abs().max() <= 2 / 32768


def test_sample_clips_are_the_samplers_waves(sound_run, tmp_path, capsys):
    out = tmp_path / "clips"
    assert main(["sample", str(sound_run), "--n", "3", "--seed", "5", "--out", str(out)]) == 0
    run = gankit.load_run(sound_run)
    waves = run.sampler().sample(3, 5)
    for i in range(3):
        wave, rate = read_wav(out / f"clip_{i:03d}.wav")
        assert rate == 16000
        assert (wave.reshape(-1) - waves[i].reshape(-1).clamp(-1, 1)).abs().max() <= 2 / 32768
    assert main(["sample", str(sound_run), "--n", "3", "--out", str(out)]) == 2
    assert "already holds clips" in capsys.readouterr().err
    assert main(["sample", str(sound_run), "--n", "3", "--out", str(out), "--overwrite"]) == 0
    assert main(["sample", str(sound_run), "--n", "2", "--out", str(tmp_path / "w.npy")]) == 0
    assert np.load(tmp_path / "w.npy").shape == (2, 1, 16384)
    assert main(["sample", str(sound_run), "--n", "4", "--out", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size[0] > 64
    assert main(["sample", str(sound_run), "--n", "2", "--out", str(tmp_path / "t"), "--temperature", "0.5"]) == 2
    assert "--temperature is for text models" in capsys.readouterr().err


def test_report_plays_the_clips_and_quotes_the_texts(sound_run, text_run):
    assert main(["report", str(sound_run)]) == 0
    html = (sound_run / "report.html").read_text()
    assert html.count("<audio controls") == 8 and "data:audio/wav;base64," in html
    assert main(["report", str(text_run)]) == 0
    html = (text_run / "report.html").read_text()
    first = (text_run / "samples" / "final.txt").read_text().splitlines()[0]
    assert '<pre class="texts">' in html and first in html


def test_serve_media_view(sound_run, text_run, tmp_path):
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from gankit.serve.app import create_app

    client = TestClient(create_app([sound_run.parent, text_run.parent]))
    ids = {r["kind"]: r["id"] for r in client.get("/api/runs").json()["runs"]}
    assert set(ids) == {"audio", "text"}
    info = client.get("/api/runs/info", params={"run": ids["audio"]}).json()
    assert info["media"] == {"kind": "audio", "temperature": False, "conditional": False, "num_classes": 0,
                             "class_names": []}
    answer = client.post("/api/media", json={"run": ids["audio"], "seeds": [4, 5]}).json()
    item = answer["items"][0]
    assert item["command"].endswith("--n 1 --seed 4 --out seed4/")
    (tmp_path / "seed4.wav").write_bytes(base64.b64decode(item["audio"].split(",", 1)[1]))
    wave, rate = read_wav(tmp_path / "seed4.wav")
    expected = gankit.load_run(sound_run).sampler().sample(1, 4)
    assert rate == 16000 and (wave.reshape(-1) - expected.reshape(-1).clamp(-1, 1)).abs().max() <= 2 / 32768
    assert item["image"].startswith("data:image/png;base64,")
    too_many = client.post("/api/media", json={"run": ids["audio"], "seeds": list(range(17))})
    assert too_many.status_code == 400 and "at most 16" in too_many.json()["error"]
    pictures = client.post("/api/samples", json={"run": ids["audio"], "seeds": [0]})
    assert pictures.status_code == 400 and "sound clips" in pictures.json()["error"]

    text = client.post("/api/media", json={"run": ids["text"], "seeds": [3], "temperature": 0.7}).json()["items"][0]
    run = gankit.load_run(text_run)
    from gankit.data.text import decode

    assert text["text"] == decode(run.sampler().sample(1, 3, temperature=0.7), run.spec)[0]
    assert "--temperature 0.7" in text["command"]
    bad = client.post("/api/media", json={"run": ids["text"], "seeds": [0], "class": 2})
    assert bad.status_code == 400 and "unconditional" in bad.json()["error"]
