"""Memorization check: does the generator copy its training images?

For every sample, the distance (in feature space) to its nearest training image. The yardstick is
the same distance for training images themselves to their nearest *other* training image (on a
random subset of ``reference`` images): the ``quantile`` (5%) of those train-to-train distances is
the threshold. ``memorized`` is the share of samples closer than that to some training image: for
a generator that draws new images from the data distribution it is about ``quantile`` (0.05),
for one that replays its training set it approaches 1. ``nn_ratio`` is the median sample-to-train
distance over the median train-to-train distance (about 1 is healthy; much below 1 is copying;
much above 1 means the samples are far from any real image, a quality problem, not memorization).
"""

from __future__ import annotations

import torch

from .distances import nearest_squared
from .registry import register_metric

def nearest_distance(queries: torch.Tensor, reference: torch.Tensor, exclude_self: bool = False) -> torch.Tensor:
    """Each query's distance to its nearest reference row (with ``exclude_self``, its second nearest: the
    query itself is in the reference)."""
    return nearest_squared(queries, reference, 2 if exclude_self else 1)[:, -1].clamp_min(0).sqrt()


def memorization(fake_features, train_features, reference: int = 2000, quantile: float = 0.05,
                 seed: int = 0) -> dict:
    fake = torch.as_tensor(fake_features).float()
    train = torch.as_tensor(train_features).float()
    gen = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(train), generator=gen)[:min(reference, len(train))]
    train_nn = nearest_distance(train[idx], train, exclude_self=True)
    threshold = torch.quantile(train_nn, quantile)
    fake_nn = nearest_distance(fake, train)
    return {"memorized": float((fake_nn <= threshold).float().mean()),
            "nn_ratio": float(fake_nn.median() / train_nn.median().clamp_min(1e-12)),
            "memorization_threshold": float(threshold)}


@register_metric("memo", "memorization: share of samples closer to a training image than typical train pairs",
                 images_only=True)
def _memo_metric(ctx) -> dict:
    return memorization(ctx.fake["features"], ctx.train_features()["features"], seed=ctx.seed)
