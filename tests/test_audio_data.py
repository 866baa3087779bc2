"""The offline audio sets (spoken-digits: espeak-ng; notes: fluidsynth) and the WAV utilities.

The caches are built by ``make data`` (scripts/ensure-data.sh); here they are only read, so the module
is fast (a few seconds)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from gankit.audio import fit_clip, read_wav, wav_bytes, write_wav
from gankit.data import get_dataset
from gankit.errors import GankitError

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None, reason="fluidsynth not installed")


@pytest.fixture(scope="module")
def digits():
    return get_dataset("spoken-digits", "train"), get_dataset("spoken-digits", "test")


@pytest.fixture(scope="module")
def notes():
    return get_dataset("notes", "train"), get_dataset("notes", "test")


def test_spoken_digit_clips_are_one_second_int16_at_16khz(digits):
    train, test = digits
    for ds in (train, test):
        assert ds.data.dtype == torch.int16 and ds.data.shape[1:] == (1, 16384)
        assert ds.labels.dtype == torch.int64
        assert ds.spec.kind == "audio" and ds.spec.shape == (1, 16384)
        assert ds.spec.extra["sample_rate"] == 16000
        assert ds.spec.class_names == ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
        assert "by voice" in ds.split_rule
    assert (len(train), len(test)) == (4080, 1040)
    peaks = train.data.abs().amax(dim=(1, 2)).float() / 32768
    assert peaks.min() > 0.89 and peaks.max() < 0.91  # every clip peak-normalized to 0.9
    # centred: the word is in the middle, the edges are silent
    x = train.to_model(train.data[:200])
    assert x[..., :1000].abs().max() < 0.05 and x[..., 7000:9000].abs().amax(-1).min() > 0.05


def test_spoken_digit_labels_are_balanced(digits):
    train, test = digits
    assert torch.bincount(train.labels).tolist() == [408] * 10
    assert torch.bincount(test.labels).tolist() == [104] * 10


def test_spoken_digit_split_is_by_voice():
    from gankit.data.spoken_digits import ACCENTS, VARIANTS, clip_voices

    train_voices, test_voices = set(clip_voices("train")), set(clip_voices("test"))
    assert not train_voices & test_voices
    assert (len(train_voices), len(test_voices)) == (102, 26)
    for accent in ACCENTS:  # every accent and variant is heard in both splits, in other combinations
        assert any(v.startswith(accent + "+") for v in train_voices) and any(v.startswith(accent + "+") for v in test_voices)
    for variant in VARIANTS:
        assert any(v.endswith("+" + variant) for v in train_voices) and any(v.endswith("+" + variant) for v in test_voices)


@needs_espeak
def test_spoken_digit_synthesis_is_deterministic():
    from gankit.data.spoken_digits import CLASS_NAMES, load_cache, synthesize

    blob = load_cache()
    meta = blob["meta"]
    i = 1234
    voice = meta["voices"][meta["clip_voice"][i]]["name"]
    again = synthesize(CLASS_NAMES[blob["labels"][i]], voice, meta["clip_rate"][i], meta["clip_pitch"][i])
    assert np.array_equal(again, blob["clips"][i])


def test_missing_espeak_names_the_fix(tmp_path, monkeypatch):
    from gankit.data.spoken_digits import load_spoken_digits

    monkeypatch.setenv("GANKIT_HOME", str(tmp_path))  # no cache there: it would have to synthesize
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GankitError) as e:
        load_spoken_digits("train")
    msg = str(e.value)
    assert "\n" not in msg and "espeak-ng not found" in msg and msg.endswith("(apt-get install espeak-ng, or run make data)")


def test_unknown_split_is_refused():
    with pytest.raises(GankitError, match="use train or test"):
        get_dataset("spoken-digits", "validation")
    with pytest.raises(GankitError, match="use train or test"):
        get_dataset("notes", "valid")


def test_notes_are_pitch_labelled_and_split_by_instrument(notes):
    from gankit.data.notes import clip_info

    train, test = notes
    assert (len(train), len(test)) == (1920, 480)
    for ds in (train, test):
        assert ds.data.dtype == torch.int16 and ds.data.shape[1:] == (1, 16384)
        extra = ds.spec.extra
        assert extra["sample_rate"] == 16000 and extra["midi_pitches"] == list(range(48, 72))
        assert len(extra["instruments"]) == 20 and ds.spec.class_names[12] == "C4"
        assert "by instrument" in ds.split_rule
    # every pitch in both splits, balanced
    assert torch.bincount(train.labels, minlength=24).tolist() == [80] * 24
    assert torch.bincount(test.labels, minlength=24).tolist() == [20] * 24
    train_inst = {c["instrument"] for c in clip_info("train")}
    test_inst = {c["instrument"] for c in clip_info("test")}
    assert not train_inst & test_inst and len(train_inst) == 16 and len(test_inst) == 4
    info = clip_info("test")
    assert all(train.spec.extra["midi_pitches"][int(y)] == c["midi"] for y, c in zip(test.labels, info))


def test_notes_start_at_the_onset(notes):
    x = notes[1].to_model(notes[1].data).abs()[:, 0]
    onset = (x > 0.02 * x.amax(1, keepdim=True)).float().argmax(1)
    assert onset.max() < 400  # within 25 ms: fluidsynth's block latency and the attack


def test_missing_fluidsynth_names_the_fix(tmp_path, monkeypatch):
    from gankit.data.notes import load_notes

    monkeypatch.setenv("GANKIT_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GankitError) as e:
        load_notes("test")
    msg = str(e.value)
    assert "\n" not in msg and "fluidsynth not found" in msg and msg.endswith("or run make data)")


def test_midi_file_is_a_standard_midi_file():
    from gankit.data.notes import midi_file, note_name

    data = midi_file(40, [(60, 100), (61, 64)])
    assert data[:4] == b"MThd" and data[14:18] == b"MTrk"
    assert int.from_bytes(data[18:22], "big") == len(data) - 22
    assert bytes([0xC0, 40]) in data and bytes([0x90, 61, 64]) in data and data.endswith(bytes([0xFF, 0x2F, 0]))
    assert (note_name(60), note_name(69), note_name(48)) == ("C4", "A4", "C3")


@needs_fluidsynth
def test_notes_render_is_deterministic():
    from gankit.data.notes import (
        INSTRUMENTS,
        PITCHES,
        VELOCITIES,
        load_cache,
        render_program,
    )

    blob = load_cache()
    per_program = len(PITCHES) * len(VELOCITIES)
    program = 3  # Vibraphone: its first two notes rendered again equal the cache
    again = render_program(INSTRUMENTS[program][0], [(PITCHES[0], VELOCITIES[0]), (PITCHES[0], VELOCITIES[1])])
    assert np.array_equal(again, blob["clips"][program * per_program:program * per_program + 2])


def test_wav_round_trip(tmp_path):
    t = torch.arange(16384) / 16000
    wave = 0.5 * torch.sin(2 * torch.pi * 440 * t)
    path = write_wav(tmp_path / "a.wav", wave[None], 16000)
    back, rate = read_wav(path)
    assert rate == 16000 and back.shape == (1, 16384) and back.dtype == torch.float32
    assert (back[0] - wave).abs().max() <= 1 / 32768 + 1e-7
    data = wav_bytes(wave, 16000)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and len(data) == 44 + 2 * 16384
    assert path.read_bytes() == data
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left
    loud, _ = read_wav(write_wav(tmp_path / "b.wav", torch.full((100,), 3.0), 8000))
    assert loud.max() == pytest.approx(32767 / 32768)  # clipped, not wrapped


def test_wav_errors_name_the_fix(tmp_path):
    with pytest.raises(GankitError, match=r"\(pass one clip at a time\)"):
        wav_bytes(torch.zeros(2, 100), 16000)
    with pytest.raises(GankitError, match=r"positive integer"):
        wav_bytes(torch.zeros(100), 0)
    with pytest.raises(GankitError, match="not found"):
        read_wav(tmp_path / "missing.wav")
    (tmp_path / "bad.wav").write_bytes(b"not a wav file at all")
    with pytest.raises(GankitError, match="not a readable WAV"):
        read_wav(tmp_path / "bad.wav")


def test_fit_clip_centres_and_normalizes():
    x = np.concatenate([np.zeros(5000), 0.3 * np.sin(np.arange(4000) / 5), np.zeros(9000)])
    y = fit_clip(x, 16384)
    assert y.shape == (16384,) and abs(np.abs(y).max() - 0.9) < 1e-9
    loud = np.flatnonzero(np.abs(y) > 0)
    assert abs((loud[0] + loud[-1]) / 2 - 16384 / 2) < 10
    assert np.abs(fit_clip(np.zeros(100), 16384)).max() == 0
    assert fit_clip(np.ones(20000), 16384).shape == (16384,)


@pytest.mark.slow  # 20 s (notes) + 100 s (spoken-digits) on a shared 2-core machine
@pytest.mark.parametrize("name", ["notes", "spoken-digits"])
def test_a_fresh_build_equals_the_cache(name, tmp_path, monkeypatch):
    """The build is deterministic: synthesized again into an empty GANKIT_HOME, every clip is the same."""
    import importlib

    module = importlib.import_module("gankit.data." + name.replace("-", "_"))
    tool = "fluidsynth" if name == "notes" else "espeak-ng"
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed")
    cached = module.load_cache()
    monkeypatch.setenv("GANKIT_HOME", str(tmp_path))
    fresh = module.load_cache()
    assert fresh is not cached and (tmp_path / name).is_dir()
    assert np.array_equal(fresh["clips"], cached["clips"]) and np.array_equal(fresh["labels"], cached["labels"])
