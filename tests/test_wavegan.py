"""WaveGAN (Donahue et al. 2019): phase shuffle, the nets' shapes at 16384 samples, the recipe, and
that a short run on CPU moves G's clips towards the data."""

import math

import pytest
import torch

from gankit.data.base import Dataset, DataSpec
from gankit.errors import GankitError
from gankit.nets.wavegan import PhaseShuffle, WaveGANDiscriminator, WaveGANGenerator

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def reflect_shift(row: torch.Tensor, k: int) -> torch.Tensor:
    """``row`` (C, L) moved right by k samples (left for k < 0), the vacated edge mirrored: the
    reference phase shuffle is checked against, written with plain indexing."""
    length = row.shape[-1]
    idx = torch.arange(length) - k
    idx = torch.where(idx < 0, -idx, idx)                        # reflect at the left edge
    idx = torch.where(idx >= length, 2 * (length - 1) - idx, idx)  # and at the right edge
    return row[:, idx]


def test_phase_shuffle_shifts_each_example_within_its_radius():
    torch.manual_seed(0)
    n = 2
    ps = PhaseShuffle(n).train()
    x = torch.randn(64, 3, 40)
    y = ps(x)
    assert y.shape == x.shape
    seen = set()
    for row_in, row_out in zip(x, y):
        matches = [k for k in range(-n, n + 1) if torch.equal(row_out, reflect_shift(row_in, k))]
        assert len(matches) == 1, "each output row is its input shifted by one k in [-n, n], edges reflected"
        seen.add(matches[0])
    assert seen == set(range(-n, n + 1)), "64 examples draw every shift"
    # given shifts: exactly the reference
    shifts = torch.tensor([-2, -1, 0, 1, 2])
    out = ps(x[:5], shifts)
    for i, k in enumerate(shifts.tolist()):
        assert torch.equal(out[i], reflect_shift(x[i], k))


def test_phase_shuffle_is_identity_in_eval_mode():
    x = torch.randn(8, 4, 30)
    assert torch.equal(PhaseShuffle(2).eval()(x), x)
    assert torch.equal(PhaseShuffle(0).train()(x), x)


def test_nets_map_z_to_16384_samples_and_clips_to_one_score():
    G, D = WaveGANGenerator(100, d=2), WaveGANDiscriminator(d=2)
    x = G(torch.randn(3, 100))
    assert x.shape == (3, 1, 16384)
    assert x.abs().max() <= 1
    assert D(x).shape == (3,)
    assert D.features(x).shape == (3, 16 * 16 * 2)
    # at the paper's d=64, G is 19M parameters: too big for a CPU run, hence the smaller default
    params = sum(p.numel() for p in WaveGANGenerator(100, 64).parameters())
    assert 19.0e6 < params < 19.1e6, params


def test_d_sees_the_same_clip_the_same_way_in_eval_mode():
    D = WaveGANDiscriminator(d=2).eval()
    x = torch.randn(2, 1, 16384).clamp(-1, 1)
    assert torch.equal(D(x), D(x))


def clips(n: int = 64, seed: int = 0) -> Dataset:
    """Decaying two-partial tones at random pitches (220-880 Hz): audio data of the loaders' shape."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(16384) / 16000
    f0 = 220 * 2 ** (2 * torch.rand(n, 1, generator=g))
    w = 0.6 * torch.exp(-3 * t) * (torch.sin(2 * math.pi * f0 * t) + 0.3 * torch.sin(4 * math.pi * f0 * t))
    data = (w * 32767).round().to(torch.int16)[:, None]
    return Dataset(DataSpec("tones", "audio", (1, 16384), extra={"sample_rate": 16000}), data)


def test_recipe_refuses_other_data_and_width(tmp_path):
    import gankit

    points = Dataset(DataSpec("pts", "points", (2,)), torch.randn(64, 2))
    with pytest.raises(GankitError, match="1 s audio clips"):
        gankit.train(out=tmp_path / "a", data=points, model="wavegan", dataset="pts", steps=1, quiet=True)
    with pytest.raises(GankitError, match="--param d=N"):
        gankit.train(out=tmp_path / "b", data=clips(), model="wavegan", dataset="tones", steps=1, width=8, quiet=True)


def test_a_run_trains_and_samples_waveforms(tmp_path):
    import gankit

    run = gankit.train(out=tmp_path / "run", data=clips(16), model="wavegan", dataset="tones", steps=1, batch_size=4,
                       params={"d": 1}, seed=0, quiet=True, precision="fp32", checkpoint_every=10**6, diagnostics=False)
    waves = run.sample(3, seed=1)
    assert waves.shape == (3, 1, 16384) and waves.dtype == torch.float32 and waves.abs().max() <= 1
    assert (tmp_path / "run" / "samples" / "final.png").is_file()


def mel_profile(waves: torch.Tensor) -> torch.Tensor:
    """The average log-mel spectrum (dB, 64 bands) of a set of clips: where their energy lies."""
    from gankit.audio.spectrogram import log_mel_spectrogram

    return log_mel_spectrogram(waves, 16000, 1024, 256, 64, floor_db=-100.0).mean((0, 2))


# about 20 s on an idle thread (90 s when the 2-core machine was shared by five jobs)
def test_a_short_run_moves_the_clips_towards_speech(tmp_path):
    """10 generator steps (50 critic steps) on spoken-digits, d=4, batch 16, the paper's rates: the mean |dB|
    between the average log-mel spectra of 100 samples and of real test clips falls. Measured (fp32, one
    thread): 18.00 after 1 step, 17.21 after 10 (real test vs train: 1.7). A small move, but the first thing
    WaveGAN learns (the untrained G's output is mostly a constant offset); recognizable words take far
    longer than a test may run (see docs/audio-gans.md)."""
    import gankit
    from gankit.data import get_dataset
    from gankit.engine import Callback

    test = get_dataset("spoken-digits", "test")
    real = mel_profile(test.to_model(test.data[:200]))
    seen = {}

    class Distance(Callback):
        def on_step(self, view):
            if view.step in (1, 10):
                s = view.sampler()
                seen[view.step] = float((mel_profile(s.generate(s.fixed_inputs(100, seed=1))) - real).abs().mean())

    gankit.train(out=tmp_path / "run", model="wavegan", dataset="spoken-digits", steps=10, batch_size=16,
                 params={"d": 4}, seed=0, quiet=True, precision="fp32", sample_every=10**6, checkpoint_every=10**6,
                 diagnostics=False, callbacks=[Distance()])
    print(f"wavegan mel-profile distance to real speech: {seen[1]:.2f} dB after 1 step -> {seen[10]:.2f} after 10")
    assert seen[10] < seen[1] - 0.4, seen
