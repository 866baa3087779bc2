"""DiffAugment and ADA inside training: D sees augmented images, real and fake, in D's and G's
phases and nowhere else; ADA's p is steered, logged, checkpointed and resumed exactly; --subset is a
fixed, recorded subset; bad combinations get one-line errors."""

import pytest
import torch
import yaml

import gankit
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.games.base import StepInfo
from gankit.models import build_game, resolve

TINY = dict(model="sngan", width=16, batch_size=32, seed=0, quiet=True, sample_every=10**6, log_every=2,
            precision="fp32")


def _game(spec, **kw):
    cfg = resolve(TrainConfig(model="sngan", width=16, **kw), spec)
    return build_game(cfg, spec)


def _cutout_zeros_per_image(x):
    return (x == 0).flatten(1).sum(1)


def _inputs_seen_by_D(game, batch):
    seen = []
    handle = game.nets["D"].register_forward_pre_hook(lambda m, args: seen.append(args[0].detach()))
    info = StepInfo(step=0, images=0, total=1)
    try:
        for phase in ("D", "G"):
            start = len(seen)
            game.loss(phase, batch, info)
            yield phase, seen[start:]
    finally:
        handle.remove()


@pytest.mark.parametrize("phase_name", ["D", "G"])
def test_diffaugment_reaches_D_in_both_phases(fashion_small, phase_name):
    torch.manual_seed(0)
    batch = {"x": fashion_small.to_model(fashion_small.data[:16]), "y": fashion_small.labels[:16]}
    # Fashion-MNIST's background is -1 in model space: an exact 0 is a cutout pixel (a square of side 14,
    # clipped at the border, so at least 7 x 7 pixels)
    augmented = _game(fashion_small.spec, diffaugment="cutout")
    plain = _game(fashion_small.spec)
    for game, expect in ((augmented, True), (plain, False)):
        for phase, inputs in _inputs_seen_by_D(game, batch):
            if phase != phase_name:
                continue
            assert inputs, f"D was not called in the {phase} phase"
            for x in inputs:
                has_square = _cutout_zeros_per_image(x) >= 49
                assert bool(has_square.all()) is expect, (phase, expect, _cutout_zeros_per_image(x))


def test_sampling_and_eval_see_no_augmentation(tmp_path, fashion_small):
    run = gankit.train(out=tmp_path / "r", data=fashion_small, steps=2, diffaugment="translation,cutout", **TINY)
    sampler = run.sampler(ema=False)
    inputs = sampler.fixed_inputs(8, seed=3)
    G = sampler.G.eval()
    direct = gankit.data.to_uint8(G(inputs["z"], None))
    assert torch.equal(sampler.generate(inputs), direct)


def test_ada_p_is_steered_logged_and_resumed_exactly(tmp_path, fashion_small):
    data = fashion_small.subset(600, seed=0)
    # kimg 0.5: p can cross [0, 1] in 500 images, so a few steps move it visibly
    kw = dict(TINY, data=data, ada=True, ada_kimg=0.5, n_critic=1, checkpoint_every=4)
    whole = gankit.train(out=tmp_path / "whole", steps=8, **kw)
    trajectory = [r["ada_p"] for r in whole.metrics() if "ada_p" in r]
    assert len(trajectory) == 4 and max(trajectory) > 0, trajectory
    half = gankit.train(out=tmp_path / "half", steps=4, **kw)
    resumed = gankit.train(resume=half.path, steps=8, quiet=True, data=data)
    a = torch.load(whole.path / "checkpoints" / "last.pt", weights_only=True)
    b = torch.load(resumed.path / "checkpoints" / "last.pt", weights_only=True)
    assert a["game"]["augment.p"] == b["game"]["augment.p"]
    assert a["game"]["augment.p"] > 0
    for key, value in a["game"].items():
        assert torch.equal(value, b["game"][key]), key


def test_subset_is_fixed_and_recorded(tmp_path, fashion_small):
    from gankit.api import training_data

    cfg = TrainConfig(subset=500, subset_seed=1)
    one, two = training_data(cfg, fashion_small), training_data(cfg, fashion_small)
    assert len(one) == 500 and torch.equal(one.data, two.data)
    other = training_data(TrainConfig(subset=500, subset_seed=2), fashion_small)
    assert not torch.equal(one.data, other.data)
    run = gankit.train(out=tmp_path / "s", data=fashion_small, steps=1, subset=500, **TINY)
    doc = yaml.safe_load((run.path / "config.yaml").read_text())
    assert doc["train"]["subset"] == 500 and doc["train"]["subset_seed"] == 0
    assert doc["runtime"]["dataset_size"] == 500
    with pytest.raises(GankitError, match="--subset 5000 is more than the 4000"):
        gankit.train(out=tmp_path / "big", data=fashion_small, steps=1, subset=5000, **TINY)


def test_augmentation_errors(tmp_path, fashion_small):
    with pytest.raises(GankitError, match="colour.*color"):
        gankit.train(out=tmp_path / "a", data=fashion_small, steps=1, diffaugment="colour", **TINY)
    with pytest.raises(GankitError, match="use one of them"):
        gankit.train(out=tmp_path / "b", data=fashion_small, steps=1, diffaugment="color", ada=True, **TINY)
    with pytest.raises(GankitError, match="autoencoder"):
        gankit.train(out=tmp_path / "c", data=fashion_small, steps=1, **{**TINY, "model": "began"}, ada=True)
    with pytest.raises(GankitError, match="2D points"):
        gankit.train(out=tmp_path / "d", dataset="ring8", steps=1, **{**TINY, "model": "gan"},
                     diffaugment="translation")
    with pytest.raises(GankitError, match="ada-target"):
        TrainConfig(ada=True, ada_target=1.5).validate()
