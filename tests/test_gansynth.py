"""GANSynth (Engel et al. 2019), small: the (log-magnitude, IF) representation round trip, the nets'
shapes, the sampler handing out waveforms, and pitch-conditioned learning on a short CPU run: D's auxiliary
pitch head learns real pitch and G's samples come to carry the pitch asked for as that head hears it; and, slow,
the issue's check proper: after 2,000 steps the samples' f0 (YIN) is at the pitch asked for far more often than
untrained (docs/audio-gans.md)."""

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


def test_d_pitch_head_learns_from_real_notes_only():
    """GANSynth's released code adds D's pitch cross-entropy on *real* notes only (ACGAN adds it on fakes too, which
    lets head and G agree on pitch cues that are no harmonic series: docs/audio-gans.md). So the gradient D's loss
    gives the head is exactly that of ``class_weight x CE(head(real), y)``, whatever G draws."""
    from gankit.games.audio import AuxWassersteinGP
    from gankit.objectives.base import Latent

    torch.manual_seed(0)
    G, D = GANSynthGenerator(16, num_classes=5, w=1), GANSynthDiscriminator(5, w=1)
    real, y = torch.rand(4, 2, 128, 64) * 2 - 1, torch.tensor([0, 1, 2, 4])
    loss, stats = AuxWassersteinGP(Latent(16), class_weight=10.0).discriminator_loss(G, D, real, y)
    head = (D.classifier.weight, D.classifier.bias)
    got = torch.autograd.grad(loss, head)
    want = torch.autograd.grad(10.0 * torch.nn.functional.cross_entropy(D(real, y, classify=True)[1], y), head)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w)
    assert stats["aux_ce_fake"] > 0, "the fakes' cross-entropy is still logged"


def pitch_run(tmp_path, steps: int, at: tuple[int, ...], seed: int = 0, batch_size: int = 16,
              n: int = 96) -> tuple[object, dict]:
    """gansynth through gankit.train on ``notes`` (w=4, the recipe's rates, fp32), measured at the steps ``at``
    on ``n`` samples (n / 24 per pitch, fixed z, as bench/audio_gans.py scores them): ``yin50``/``yin100``, the
    share whose f0 (YIN,
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
            s, y = view.sampler(), torch.arange(n) % 24
            inputs = s.fixed_inputs(n, seed=1, labels=y)
            waves, images = s.generate(inputs), s.generate(inputs, raw=True)
            D = view._trainer.game.nets["D"]
            with torch.no_grad():
                d_real = (D(real, real_y, classify=True)[1].argmax(1) == real_y).float().mean()
                d_fake = (D(images, y, classify=True)[1].argmax(1) == y).float().mean()
            seen[view.step] = {"yin50": pitch_accuracy(waves, midi[y])["pitch_accuracy"],
                               "yin100": pitch_accuracy(waves, midi[y], 16000, 100)["pitch_accuracy"],
                               "d_fake": float(d_fake), "d_real": float(d_real)}

    run = gankit.train(out=tmp_path / "run", model="gansynth", dataset="notes", steps=steps, batch_size=batch_size,
                       params={"w": 4}, seed=seed, quiet=True, precision="fp32", sample_every=10**6,
                       checkpoint_every=10**6, diagnostics=False, callbacks=[Measure()])
    for step, row in sorted(seen.items()):
        print(f"gansynth seed {seed} step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in row.items()))
    return run, seen


# about 30 s on one thread
def test_a_short_run_learns_the_pitch_classifier_and_g_follows_it(tmp_path):
    """150 steps: D's auxiliary pitch head learns the real notes' pitch and G's samples begin to carry the pitch
    asked for, as that head hears it: the signal GANSynth's pitch conditioning rests on. Measured (fp32, one
    thread, the head trained on real notes only): head on real test notes 0.042 (chance) after 1 step -> 0.958
    after 150 (seed 1: 0.975); on G's samples 0.042 -> 0.156 (seed 1: 0.281). YIN does not hear the pitch yet
    (within 50 cents: 0.031 untrained, 0.000 at step 150): that takes about 2,000 steps, the slow test below."""
    run, seen = pitch_run(tmp_path, 150, (1, 150))
    assert seen[150]["d_real"] > 0.6, seen
    assert seen[150]["d_fake"] > max(0.07, seen[1]["d_fake"] + 0.025), seen
    waves = run.sample(3, seed=1, labels=torch.tensor([0, 1, 2]))
    assert waves.shape == (3, 1, 16384) and waves.dtype == torch.float32
    assert waves.abs().max() <= 1 and waves.abs().max() > 0
    images = run.sampler().generate(run.sampler().fixed_inputs(2, seed=1), raw=True)
    assert images.shape == (2, 2, 128, 64), "raw=True: G's own (log-magnitude, IF) images"


# 14 to 27 minutes on one thread (0.4 to 0.8 s a step, by the load)
@pytest.mark.slow
def test_a_long_run_makes_notes_at_the_pitch_asked_for(tmp_path):
    """The issue's check: after 2,000 steps at batch 64 YIN hears the pitch asked for (within 50 cents) in far
    more of G's notes than untrained. Measured with bench/audio_gans.py's scoring (480 notes, 20 per pitch):
    seed 0 0.017 -> 0.398, seed 1 0.027 -> 0.242 (0.044 at step 1,500). The curve is not monotone (seed 0:
    0.163, 0.146, 0.227, 0.398, 0.365, 0.225 at steps 1,250 to 2,500), so the threshold sits well below both
    seeds (docs/audio-gans.md). Run as a test: 0.017 -> 0.398 (the bench's figures exactly), D's head on real
    test notes 1.000."""
    _, seen = pitch_run(tmp_path, 2000, (1, 2000), batch_size=64, n=480)
    assert seen[2000]["yin50"] > max(0.15, 3 * seen[1]["yin50"]), seen
    assert seen[2000]["d_real"] > 0.6, seen


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
