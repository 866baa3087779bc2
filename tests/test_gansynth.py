"""GANSynth (Engel et al. 2019), small: the (log-magnitude, IF) representation round trip, the nets'
shapes, the sampler handing out waveforms, and pitch-conditioned learning on a short CPU run."""

import math

import pytest
import torch

from gankit.audio.if_spectrogram import SHAPE, to_if_spectrogram, to_waveform
from gankit.data.base import Dataset, DataSpec
from gankit.nets.gansynth import GANSynthDiscriminator, GANSynthGenerator

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py

T = torch.arange(16384) / 16000


def test_if_round_trip_gives_back_a_sine_and_noise():
    sine = 0.5 * torch.sin(2 * math.pi * 440 * T) + 0.2 * torch.sin(2 * math.pi * 1234.5 * T + 1.0)
    noise = (0.3 * torch.randn(16384, generator=torch.Generator().manual_seed(0))).clamp(-1, 1)
    waves = torch.stack([sine, noise])[:, None]
    image = to_if_spectrogram(waves)
    assert image.shape == (2, *SHAPE) == (2, 2, 256, 128)
    assert image.min() >= -1 and image.max() <= 1
    back = to_waveform(image)
    assert back.shape == waves.shape
    inner = slice(256, -512)  # the last frame is rebuilt from the one before it
    rel = (back - waves)[..., inner].pow(2).mean(-1) / waves[..., inner].pow(2).mean(-1)
    # measured: 1e-5 (sine), 2e-3 (white noise: its dropped Nyquist bin)
    assert rel[0] < 1e-4 and rel[1] < 1e-2, rel


def test_if_channel_is_constant_along_time_for_a_steady_partial():
    """A steady partial advances its phase by 2 pi f hop / sr per frame: the IF image holds that (wrapped,
    / pi) in every frame whose window is inside the clip (the first two see the reflection padding)."""
    f = 40.25 * 16000 / 512  # between bins 40 and 41; 0.125 pi per hop
    image = to_if_spectrogram((0.5 * torch.sin(2 * math.pi * f * T))[None, None])
    expected = math.remainder(2 * math.pi * f * 128 / 16000, 2 * math.pi) / math.pi
    assert torch.allclose(image[0, 1, 40, 3:-2], torch.full((123,), expected), atol=1e-3), expected
    assert image[0, 0, 40].mean() > image[0, 0, 100].mean() + 1  # its magnitude stands out


def test_nets_shapes():
    G, D = GANSynthGenerator(16, num_classes=5, w=2), GANSynthDiscriminator(5, w=2)
    y = torch.tensor([0, 4, 2])
    x = G(torch.randn(3, 16), y)
    assert x.shape == (3, 2, 256, 128)
    score, logits = D(x, y, classify=True)
    assert score.shape == (3,) and logits.shape == (3, 5)
    assert torch.equal(D(x, y), score)


def mel_profile(waves: torch.Tensor) -> torch.Tensor:
    """The average log-mel spectrum (dB, 64 bands) of a set of clips: where their energy lies."""
    from gankit.audio.spectrogram import log_mel_spectrogram

    return log_mel_spectrogram(waves, 16000, 1024, 256, 64, floor_db=-100.0).mean((0, 2))


# about 20 s on an idle thread (90 s when the 2-core machine was shared by five jobs)
def test_a_short_run_on_notes_learns_where_their_energy_lies(tmp_path):
    """Through gankit.train on ``notes`` (w=4, batch 16, the recipe's rates): real waveform batches become IF
    images inside the Game, everything that samples the run gets waveforms back, and in 10 steps the
    average log-mel spectrum of 96 samples (4 per pitch) moves towards the real notes'. Measured (fp32, one
    thread): mean |dB| 44.92 after 1 step (G's untrained images are loud broadband noise, rms 0.64), 33.73
    after 10 (rms 0.32). Pitch is not learned in such a run: pitch accuracy stays 0 (docs/audio-gans.md)."""
    import gankit
    from gankit.data import get_dataset
    from gankit.engine import Callback

    test = get_dataset("notes", "test")
    real = mel_profile(test.to_model(test.data[:240]))
    seen = {}

    class Distance(Callback):
        def on_step(self, view):
            if view.step in (1, 10):
                s = view.sampler()
                waves = s.generate(s.fixed_inputs(96, seed=1, labels=torch.arange(96) % 24))
                seen[view.step] = float((mel_profile(waves) - real).abs().mean())

    run = gankit.train(out=tmp_path / "run", model="gansynth", dataset="notes", steps=10, batch_size=16,
                       params={"w": 4}, seed=0, quiet=True, precision="fp32", sample_every=10**6,
                       checkpoint_every=10**6, diagnostics=False, callbacks=[Distance()])
    print(f"gansynth mel-profile distance to real notes: {seen[1]:.2f} dB after 1 step -> {seen[10]:.2f} after 10")
    assert seen[10] < seen[1] - 5, seen
    waves = run.sample(3, seed=1, labels=torch.tensor([0, 1, 2]))
    assert waves.shape == (3, 1, 16384) and waves.dtype == torch.float32
    assert waves.abs().max() <= 1 and waves.abs().max() > 0
    assert (tmp_path / "run" / "samples" / "final.png").is_file()
    images = run.sampler().generate(run.sampler().fixed_inputs(2, seed=1), raw=True)
    assert images.shape == (2, 2, 256, 128), "raw=True: G's own (log-magnitude, IF) images"


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
