"""Kernel Inception Distance (Binkowski et al. 2018, "Demystifying MMD GANs").

The unbiased estimate of MMD^2 with the cubic polynomial kernel k(x, y) = (x.y / d + 1)^3,
averaged over ``subsets`` random subsets of ``subset_size`` samples from each set (defaults 100
and 1000, as in the paper and torch-fidelity); the std over subsets says how much to trust it.
Unlike FID it is unbiased, so values from different sample sizes compare.
"""

from __future__ import annotations

import torch

from .registry import register_metric


def polynomial_kernel(x: torch.Tensor, y: torch.Tensor, degree: int = 3, coef0: float = 1.0) -> torch.Tensor:
    k = torch.full((x.shape[0], y.shape[0]), coef0, dtype=x.dtype)
    return torch.addmm(k, x, y.T, alpha=1.0 / x.shape[1]).pow_(degree)  # (x.y/d + coef0)^degree, in place


def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> float:
    m = x.shape[0]
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    sum_xx = k_xx.sum(dtype=torch.float64) - k_xx.diagonal().sum(dtype=torch.float64)
    sum_yy = k_yy.sum(dtype=torch.float64) - k_yy.diagonal().sum(dtype=torch.float64)
    return float(sum_xx / (m * (m - 1)) + sum_yy / (m * (m - 1)) - 2 * k_xy.sum(dtype=torch.float64) / (m * m))


def kid(features1, features2, subsets: int = 100, subset_size: int = 1000, seed: int = 0) -> dict:
    """{"kid": mean MMD^2 over subsets, "kid_std": its std}. ``subset_size`` shrinks to the smaller set."""
    # kernels in float32 (half the time of float64 on a CPU), sums accumulated in float64
    f1, f2 = torch.as_tensor(features1).float(), torch.as_tensor(features2).float()
    size = min(subset_size, len(f1), len(f2))
    if size < 2:
        raise ValueError("KID needs at least 2 samples per set")
    gen = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        a = f1[torch.randperm(len(f1), generator=gen)[:size]]
        b = f2[torch.randperm(len(f2), generator=gen)[:size]]
        values.append(mmd2_unbiased(a, b))
    v = torch.tensor(values, dtype=torch.float64)
    return {"kid": float(v.mean()), "kid_std": float(v.std(unbiased=False)) if subsets > 1 else 0.0}


@register_metric("kid", "kernel distance, unbiased, mean and std over 100 subsets of 1000 (lower is better)")
def _kid_metric(ctx) -> dict:
    return kid(ctx.fake["features"], ctx.real["features"], ctx.kid_subsets, ctx.kid_subset_size, ctx.seed)
