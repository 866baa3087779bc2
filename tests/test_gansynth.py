"""GANSynth (Engel et al. 2019), small: the (log-magnitude, IF) representation round trip, the nets'
shapes, the sampler handing out waveforms, and pitch-conditioned learning on a short CPU run: D's auxiliary
pitch head learns real pitch and G's samples come to carry the pitch asked for as that head hears it. The
issue's check proper, the samples' f0 (YIN) at the pitch asked for more often than untrained, is not met by
such runs and is not asserted (docs/audio-gans.md)."""

import math

import pytest
import torch

from gankit.audio.if_spectrogram import SHAPE, to_if_spectrogram, to_waveform
from gankit.data.base import Dataset, DataSpec
from gankit.nets.gansynth import GANSynthDiscriminator, GANSynthGenerator

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

T = torch.arange(16384) / 16000


def test_if_round_trip_gives_back_a_sine_and_noise_below_2_khz():
    sine = 0.5 * torch.sin(2 * math.pi * 440 * T) + 0.2 * torch.sin(2 * math.pi * 1234.5 * T + 1.0)
    noise = (0.3 * torch.randn(16384, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)
    waves = torch.stack([sine, noise])[:, None]
    image = to_if_spectrogram(waves)
    assert image.shape == (2, *SHAPE) == (2, 2, 128, 64)
    assert image.min() >= -1 and image.max() <= 1
    back = to_waveform(image)
    assert back.shape == waves.shape
    # what the image keeps: the same STFT with every bin from 2 kHz (bin 128 of 513) up set to zero
    window = torch.hann_window(1024)
    spec = torch.stft(waves[:, 0], 1024, 256, window=window, return_complex=True)
    spec[:, 128:] = 0
    low = torch.istft(spec, 1024, 256, window=window, length=16384)[:, None]
    inner = slice(512, -1024)  # the last frame is rebuilt from the one before it
    rel = (back - low)[..., inner].pow(2).mean(-1) / low[..., inner].pow(2).mean(-1)
    # measured: 2e-13 (sine), 6e-13 (white noise, low-passed): the magnitude floor (1e-5) is all that differs
    assert rel[0] < 1e-8 and rel[1] < 1e-8, rel
    assert (low - waves)[0, :, inner].abs().max() < 1e-3, "the sine lies below 2 kHz: nothing of it is lost"


def test_if_channel_is_constant_along_time_for_a_steady_partial():
    """A steady partial advances its phase by 2 pi f hop / sr per frame: the IF image holds that (wrapped,
    / pi) in every frame whose window is inside the clip (the first two see the reflection padding)."""
    f = 40.25 * 16000 / 1024  # between bins 40 and 41; 0.125 pi per hop
    image = to_if_spectrogram((0.5 * torch.sin(2 * math.pi * f * T))[None, None])
    expected = math.remainder(2 * math.pi * f * 256 / 16000, 2 * math.pi) / math.pi
    assert torch.allclose(image[0, 1, 40, 3:-2], torch.full((59,), expected), atol=1e-3), expected
    assert image[0, 0, 40].mean() > image[0, 0, 100].mean() + 1  # its magnitude stands out


def test_nets_shapes():
    G, D = GANSynthGenerator(16, num_classes=5, w=2), GANSynthDiscriminator(5, w=2)
    y = torch.tensor([0, 4, 2])
    x = G(torch.randn(3, 16), y)
    assert x.shape == (3, 2, 128, 64)
    assert x.min() >= -1 and x.max() <= 1  # clamped, the gradient straight through
    score, logits = D(x, y, classify=True)
    assert score.shape == (3,) and logits.shape == (3, 5)
    assert torch.equal(D(x, y), score)


def pitch_run(tmp_path, steps: int, at: tuple[int, ...], seed: int = 0) -> tuple[object, dict]:
    """gansynth through gankit.train on ``notes`` (w=4, batch 16, the recipe's rates, fp32), measured at the
    steps ``at`` on 96 samples (4 per pitch, fixed z): ``yin50``/``yin100``, the share whose f0 (YIN,
    :func:`gankit.metrics.audio.pitch_accuracy`) is within 50/100 cents of the pitch asked for; ``d_fake``,
    the share D's auxiliary pitch head classifies as the pitch asked for; ``d_real``, its accuracy on 240
    real test notes. Step 1 is the untrained baseline (G after one update, as the zoo's learning tests)."""
    import gankit
    from gankit.audio.if_spectrogram import to_if_spectrogram
    from gankit.data import get_dataset
    from gankit.engine import Callback
    from gankit.metrics.audio import pitch_accuracy

    test = get_dataset("notes", "test")
    midi = torch.tensor(test.spec.extra["midi_pitches"])
    real, real_y = to_if_spectrogram(test.to_model(test.data[:240])), test.labels[:240]
    seen = {}

    class Measure(Callback):
        def on_step(self, view):
            if view.step not in at:
                return
            s, y = view.sampler(), torch.arange(96) % 24
            inputs = s.fixed_inputs(96, seed=1, labels=y)
            waves, images = s.generate(inputs), s.generate(inputs, raw=True)
            D = view._trainer.game.nets["D"]
            with torch.no_grad():
                d_real = (D(real, real_y, classify=True)[1].argmax(1) == real_y).float().mean()
                d_fake = (D(images, y, classify=True)[1].argmax(1) == y).float().mean()
            seen[view.step] = {"yin50": pitch_accuracy(waves, midi[y])["pitch_accuracy"],
                               "yin100": pitch_accuracy(waves, midi[y], 16000, 100)["pitch_accuracy"],
                               "d_fake": float(d_fake), "d_real": float(d_real)}

    run = gankit.train(out=tmp_path / "run", model="gansynth", dataset="notes", steps=steps, batch_size=16,
                       params={"w": 4}, seed=seed, quiet=True, precision="fp32", sample_every=10**6,
                       checkpoint_every=10**6, diagnostics=False, callbacks=[Measure()])
    for step, row in sorted(seen.items()):
        print(f"gansynth seed {seed} step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    return run, seen


# about 60 s on one thread (0.4 s a step) while the other core was busy
def test_a_short_run_learns_the_pitch_classifier_and_g_follows_it(tmp_path):
    """150 steps: D's auxiliary pitch head learns the real notes' pitch and G's samples begin to carry the pitch
    asked for, as that head hears it: the ACGAN-style signal GANSynth's pitch conditioning rests on. Measured
    (fp32, one thread): head on real test notes 0.042 (chance) after 1 step -> 0.921 after 150 (seed 1: 0.929);
    on G's samples 0.042 -> 0.177 (seed 1: 0.083, so the second check is a weak one). YIN does not hear the
    pitch yet (within 50 cents: 0.021 untrained, 0.000 at step 150; seed 1: 0.021, 0.010): see the slow test
    and docs/audio-gans.md."""
    run, seen = pitch_run(tmp_path, 150, (1, 150))
    assert seen[150]["d_real"] > 0.6, seen
    assert seen[150]["d_fake"] > max(0.07, seen[1]["d_fake"] + 0.025), seen
    waves = run.sample(3, seed=1, labels=torch.tensor([0, 1, 2]))
    assert waves.shape == (3, 1, 16384) and waves.dtype == torch.float32
    assert waves.abs().max() <= 1 and waves.abs().max() > 0
    images = run.sampler().generate(run.sampler().fixed_inputs(2, seed=1), raw=True)
    assert images.shape == (2, 2, 128, 64), "raw=True: G's own (log-magnitude, IF) images"


# about 200 s on one thread
@pytest.mark.slow
def test_a_longer_run_g_carries_the_pitch_d_hears_but_yin_does_not_yet():
    """500 steps: D's pitch head hears the pitch asked for in most of G's samples. Measured (seed 0): head on
    G's samples 0.865 (0.042 untrained), on real test notes 0.854. What the issue asks for, the f0 of the
    samples at the pitch asked for, is NOT reached in such a run: YIN within 50 cents 0.021 at step 500 (0.021
    untrained), 0.115 at step 800 and 0.021 again at 900 and 1000 (docs/audio-gans.md); so this test asserts only
    the D-side measure and prints YIN's."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        _, seen = pitch_run(Path(tmp), 500, (1, 500))
    assert seen[500]["d_fake"] > 0.6 and seen[500]["d_real"] > 0.6, seen


def test_a_run_trains_on_waveforms_and_samples_waveforms(tmp_path):
    """The fast suite's run through gankit.train (tiny nets, synthetic notes): waveform batches in,
    waveforms out of Run.sample and the final grid."""
    import gankit

    run = gankit.train(out=tmp_path / "run", data=notes(32), model="gansynth", dataset="tones", steps=2, batch_size=4,
                       params={"w": 1}, seed=0, quiet=True, precision="fp32", checkpoint_every=10**6, diagnostics=False)
    waves = run.sample(3, seed=1, labels=torch.tensor([0, 1, 2]))
    assert waves.shape == (3, 1, 16384) and waves.dtype == torch.float32
    assert waves.abs().max() <= 1 and waves.abs().max() > 0
    assert (tmp_path / "run" / "samples" / "final.png").is_file()


def notes(n: int, pitches=(57, 64, 69), seed: int = 0) -> Dataset:
    """Decaying harmonic tones at a few MIDI pitches, labelled by pitch: the ``notes`` loader's shape."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % len(pitches)
    f0 = 440 * 2 ** ((torch.tensor(pitches)[y].float()[:, None] - 69) / 12)
    w = 0.6 * torch.exp(-2 * T) * sum(torch.sin(2 * math.pi * k * f0 * T + 6.28 * torch.rand(n, 1, generator=g)) / k
                                      for k in (1, 2, 3))
    spec = DataSpec("tones", "audio", (1, 16384), len(pitches), tuple(map(str, pitches)),
                    extra={"sample_rate": 16000, "midi_pitches": list(pitches)})
    return Dataset(spec, (w.clamp(-1, 1) * 32767).round().to(torch.int16)[:, None], y)
