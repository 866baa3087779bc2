"""Precision/recall (Kynkaanniemi et al. 2019, k=3) and density/coverage (Naeem et al. 2020, k=5).

Each real sample gets a ball whose radius is the distance to its k-th nearest real neighbour
(itself excluded); likewise each fake sample among the fakes.
- precision: share of fakes inside at least one real ball (are samples realistic?)
- recall:    share of reals inside at least one fake ball (is the data's variety produced?)
- density:   mean number of real balls (k=5) containing a fake, divided by k (can exceed 1)
- coverage:  share of reals whose ball (k=5) contains at least one fake (robust recall)
Distances are Euclidean in feature space, compared squared (the same order), in blocks so 10k x 10k never
sits in memory.
"""

from __future__ import annotations

import torch

from .distances import nearest_squared, squared_distance_blocks
from .registry import register_metric

def _kth_neighbour_radii(x: torch.Tensor, ks: tuple[int, ...]) -> dict[int, torch.Tensor]:
    """Squared distance from each row of ``x`` to its k-th nearest other row, for each k in ``ks``."""
    # the smallest distance is the point itself (0); neighbour k is at sorted position k
    sorted_d2 = nearest_squared(x, x, max(ks) + 1)
    return {k: sorted_d2[:, k].clamp_min(0) for k in ks}


def _ball_counts(queries: torch.Tensor, centres: torch.Tensor, radii: list[torch.Tensor]):
    """For each set of squared radii: how many balls contain each query; and each query's squared distance to
    its nearest centre. (A row minimum: reducing each block over its columns instead cost 2.5x as much.)"""
    counts = [torch.zeros(len(queries), dtype=torch.long) for _ in radii]
    nearest = torch.empty(len(queries))
    for start, d2 in squared_distance_blocks(queries, centres):
        for c, r in zip(counts, radii):
            c[start:start + len(d2)] = (d2 <= r[None, :]).sum(1)
        nearest[start:start + len(d2)] = d2.min(1).values
    return counts, nearest


def prdc(real, fake, k_pr: int = 3, k_dc: int = 5) -> dict:
    real = torch.as_tensor(real).float()
    fake = torch.as_tensor(fake).float()
    if min(len(real), len(fake)) <= max(k_pr, k_dc):
        raise ValueError(f"precision/recall need more than {max(k_pr, k_dc)} samples per set")
    real_r = _kth_neighbour_radii(real, (k_pr, k_dc))
    fake_r = _kth_neighbour_radii(fake, (k_pr,))[k_pr]
    (counts_pr, counts_dc), _ = _ball_counts(fake, real, [real_r[k_pr], real_r[k_dc]])
    (real_in_fake,), nearest_fake = _ball_counts(real, fake, [fake_r])  # each real's nearest fake: coverage
    return {
        "precision": float((counts_pr > 0).float().mean()),
        "recall": float((real_in_fake > 0).float().mean()),
        "density": float(counts_dc.float().sum() / (k_dc * len(fake))),
        "coverage": float((nearest_fake <= real_r[k_dc]).float().mean()),
    }


def _prdc_of(ctx) -> dict:
    """PR and DC share their distance computations: computed once per evaluation (``ctx.cache``).

    Both papers compare equally many real and fake samples (the k-NN radii depend on the set
    size), so the real side is a random subset of the size of the fake side when it is larger.
    """
    if "prdc" not in ctx.cache:
        real_f, n = ctx.real["features"], len(ctx.fake["features"])
        if len(real_f) > n:
            real_f = real_f[torch.randperm(len(real_f), generator=torch.Generator().manual_seed(ctx.seed))[:n]]
        ctx.cache["prdc"] = prdc(real_f, ctx.fake["features"])
    return ctx.cache["prdc"]


@register_metric("pr", "precision and recall, k=3 (Kynkaanniemi et al. 2019)")
def _pr_metric(ctx) -> dict:
    return {k: v for k, v in _prdc_of(ctx).items() if k in ("precision", "recall")}


@register_metric("dc", "density and coverage, k=5 (Naeem et al. 2020)")
def _dc_metric(ctx) -> dict:
    return {k: v for k, v in _prdc_of(ctx).items() if k in ("density", "coverage")}
