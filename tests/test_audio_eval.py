"""Audio evaluation: spectrograms, f0 estimation, the shipped spoken-digit classifier and the audio
scores built on them. Thresholds come from measured runs (numbers in the comments, one thread)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from gankit.audio.pitch import cents_off, estimate_f0, hz_of, midi_of
from gankit.audio.spectrogram import (
    log_mel_spectrogram,
    log_spectrogram,
    spectrogram_image,
)
from gankit.data import get_dataset
from gankit.errors import GankitError

SR = 16000


def sines(freqs, amplitude=0.5, n=16384):
    t = torch.arange(n, dtype=torch.float64) / SR
    return (amplitude * torch.sin(2 * math.pi * torch.as_tensor(freqs, dtype=torch.float64)[:, None] * t)).float()


@pytest.fixture(scope="module")
def notes_test():
    return get_dataset("notes", "test")


@pytest.fixture(scope="module")
def digits_test():
    return get_dataset("spoken-digits", "test")


def test_midi_conversions():
    assert float(midi_of(440.0)) == pytest.approx(69.0)
    assert float(hz_of(60)) == pytest.approx(261.6256, abs=1e-3)
    assert float(cents_off(hz_of(60) * 2 ** (10 / 1200), 60)) == pytest.approx(10.0)
    assert math.isnan(float(midi_of(0.0)))


def test_f0_of_sines_within_20_cents():
    freqs = [55.0, 98.0, 130.8, 220.0, 261.6, 440.0, 493.9, 880.0, 1500.0]
    err = cents_off(estimate_f0(sines(freqs), SR), midi_of(torch.tensor(freqs)))
    assert err.abs().max() < 20  # measured: 3.3 cents at most
    # a harmonic-rich tone (sawtooth, 7 partials) keeps its fundamental: no octave error
    t = torch.arange(16384) / SR
    saw = sum(torch.sin(2 * math.pi * k * 220.0 * t) / k for k in range(1, 8)) * 0.3
    assert abs(float(cents_off(estimate_f0(saw, SR), midi_of(220.0)))) < 20


def test_f0_of_silence_is_nan():
    f0 = estimate_f0(torch.zeros(2, 1, 16384), SR)
    assert torch.isnan(f0).all()
    with pytest.raises(GankitError, match="pass fmin < fmax"):
        estimate_f0(torch.zeros(1, 16384), SR, fmin=3000, fmax=100)


def test_f0_is_right_on_real_notes(notes_test):
    midi = torch.tensor(notes_test.spec.extra["midi_pitches"])[notes_test.labels]
    err = cents_off(estimate_f0(notes_test.to_model(notes_test.data), SR), midi).abs()
    # measured: 480/480 test notes within 50 cents, all within 20; train 1,910/1,920 (church organ's two
    # top notes an octave low)
    assert (err < 50).double().mean() >= 0.97
    assert (err < 20).double().mean() >= 0.95


def test_spectrograms_have_an_absolute_scale_and_low_frequencies_at_the_bottom():
    x = sines([200.0, 6000.0], amplitude=1.0)
    db = log_spectrogram(x)
    assert db.shape == (2, 257, 129)
    assert db[:, :, 10:-10].amax(dim=(1, 2)).sub(0.0).abs().max() < 1.0  # a full-scale sine reads 0 dB
    mel = log_mel_spectrogram(x)
    assert mel.shape == (2, 128, 129) and mel[:, :, 10:-10].amax(dim=(1, 2)).abs().max() < 4.0  # 0..3.2 dB low
    img = spectrogram_image(x)
    assert img.shape == (2, 1, 128, 128) and img.dtype == torch.uint8
    rows = img[:, 0].float().mean(2).argmax(1)  # brightest row: 200 Hz low in the picture, 6 kHz high
    assert rows[0] > 100 and rows[1] < 40
    assert spectrogram_image(torch.zeros(1, 1, 16384)).max() == 0  # silence is black
    with pytest.raises(GankitError, match="average the channels"):
        spectrogram_image(torch.zeros(1, 2, 100))


def test_shipped_classifier_is_small_and_loads_with_weights_only():
    from gankit.audio.classifier import DEFAULT_PATH, load_audio_classifier

    assert DEFAULT_PATH.stat().st_size < 1_000_000
    blob = torch.load(DEFAULT_PATH, map_location="cpu", weights_only=True)
    side = json.loads(DEFAULT_PATH.with_suffix(".json").read_text())
    assert blob["meta"]["test_accuracy"] == side["test_accuracy"]
    assert side["train_clips"] == 4080 and "gankit.audio.classifier" in side["command"]
    model, meta, digest = load_audio_classifier()
    assert not model.training and len(digest) == 16 and meta["num_classes"] == 10


def test_classifier_recognizes_unseen_voices_and_scores_real_above_noise(digits_test):
    from gankit.metrics.audio import audio_scores, real_ceiling

    ceiling = real_ceiling()
    # measured: accuracy 1.000 on the 26 unseen voices, IS 9.95 (max 10), FID test vs train 0.755
    assert ceiling["test_accuracy"] >= 0.90
    assert ceiling["inception_score"] >= 9.0
    assert ceiling["label_histogram"] and sum(ceiling["label_histogram"]) == 1040
    g = torch.Generator().manual_seed(0)
    noise = (torch.randn(500, 1, 16384, generator=g) * 0.3).clamp(-1, 1)
    on_noise = audio_scores(noise)
    assert on_noise["inception_score"] < 2.0  # measured: 1.26 (74% heard as "six"), FID 465
    assert on_noise["fid"] > 100 * ceiling["fid_test_vs_train"]
    # real train clips (other voices) scored against the test split: near the ceiling
    train = get_dataset("spoken-digits", "train").subset(500, seed=0)
    on_real = audio_scores(train.to_model(train.data))
    # measured: IS 9.19 (50 clips a split vary more than 104), FID 2.28
    assert on_real["inception_score"] > 0.85 * ceiling["inception_score"]
    assert on_real["fid"] < 5 * ceiling["fid_test_vs_train"]
    assert sum(on_real["label_histogram"]) == 500 and min(on_real["label_histogram"]) > 20
    # one word only: the score knows there is no variety
    one = train.data[train.labels == 3][:100]
    assert audio_scores(one)["inception_score"] < 1.1  # measured: 1.0005
    with pytest.raises(GankitError, match="generate more samples"):
        audio_scores(one[:1])


def test_pitch_accuracy_is_high_on_real_notes_and_low_on_noise(notes_test):
    from gankit.metrics.audio import pitch_accuracy

    midi = torch.tensor(notes_test.spec.extra["midi_pitches"])[notes_test.labels]
    real = pitch_accuracy(notes_test.data, midi, SR)
    assert real["pitch_accuracy"] >= 0.97 and real["median_abs_cents"] < 10  # measured: 1.0
    noise = torch.randn(200, 1, 16384, generator=torch.Generator().manual_seed(0)) * 0.3
    on_noise = pitch_accuracy(noise, midi[:200], SR)
    assert on_noise["pitch_accuracy"] < 0.15
    # the right note an octave up counts as an octave error, not a hit
    up = pitch_accuracy(sines([float(hz_of(72))]), [60], SR)
    assert up["pitch_accuracy"] == 0.0 and up["octave_errors"] == 1.0
    with pytest.raises(GankitError, match="one MIDI number per clip"):
        pitch_accuracy(noise[:3], [60, 61], SR)
