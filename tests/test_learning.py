"""The core models learn: gan covers the ring, dcgan gets closer to Fashion-MNIST than untrained."""

import torch

import gankit
from gankit.data import get_dataset, mode_coverage

from distances import frechet_distance, pooled_pixels

# Criterion (gankit.data.toy): >= 6 of 8 modes covered and >= 50% of samples within 3 std of a mode.
RING_BUDGET = dict(model="gan", dataset="ring8", steps=3000, batch_size=512, seed=0, quiet=True)


def test_gan_covers_the_ring(tmp_path):
    run = gankit.train(out=tmp_path / "ring", **RING_BUDGET)
    m = mode_coverage(run.sample(5000, seed=1), run.spec)
    assert m["modes_covered"] >= 6, m["modes_covered"]
    assert m["high_quality"] >= 0.5, m["high_quality"]


def test_untrained_gan_fails_the_ring_criterion(tmp_path):
    run = gankit.train(out=tmp_path / "ring0", **{**RING_BUDGET, "steps": 1})
    m = mode_coverage(run.sample(5000, seed=1), run.spec)
    assert m["modes_covered"] < 6 or m["high_quality"] < 0.5


def test_dcgan_gets_closer_to_fashion_mnist(tmp_path, fashion_small):
    test = get_dataset("fashion-mnist", "test").subset(2000, seed=0)
    real = pooled_pixels(test.data)
    budget = dict(model="dcgan", dataset="fashion-mnist", batch_size=64, seed=0, width=32, quiet=True,
                  data=fashion_small)
    untrained = gankit.train(out=tmp_path / "d0", steps=1, **budget)
    trained = gankit.train(out=tmp_path / "d1", steps=300, **budget)
    fd0 = frechet_distance(pooled_pixels(untrained.sample(2000, seed=0)), real)
    fd1 = frechet_distance(pooled_pixels(trained.sample(2000, seed=0)), real)
    assert fd1 < 0.5 * fd0, (fd0, fd1)
