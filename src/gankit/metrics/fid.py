"""Frechet distance between feature sets (FID: Heusel et al. 2017, "GANs trained by a two
time-scale update rule converge to a local Nash equilibrium").

FID = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1 S2)^(1/2)). The trace of the matrix square root is
computed as the sum of square roots of the eigenvalues of S1^(1/2) S2 S1^(1/2), a symmetric
positive semi-definite matrix, so ``eigh`` applies: no complex parts to discard and no
``sqrtm`` iterations that fail on near-singular covariances. All in float64.
"""

from __future__ import annotations

import numpy as np
import torch

from .registry import register_metric


def statistics(features: torch.Tensor | np.ndarray) -> dict:
    """Mean and covariance (unbiased, as numpy's ``cov``) of (N, D) features, float64."""
    f = torch.as_tensor(features).double()
    if f.dim() != 2 or f.shape[0] < 2:
        raise ValueError(f"need (N >= 2, D) features, got shape {tuple(f.shape)}")
    mu = f.mean(0)
    centred = f - mu
    sigma = centred.T @ centred / (f.shape[0] - 1)
    return {"mu": mu.numpy(), "sigma": sigma.numpy(), "n": int(f.shape[0])}


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    tr_covmean = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean)


def fid_from_stats(stats1: dict, stats2: dict) -> float:
    return frechet_distance(stats1["mu"], stats1["sigma"], stats2["mu"], stats2["sigma"])


def fid(features1, features2) -> float:
    """FID between two (N, D) feature sets."""
    return fid_from_stats(statistics(features1), statistics(features2))


@register_metric("fid", "Frechet distance of features to the real split (lower is better)")
def _fid_metric(ctx) -> dict:
    return {"fid": fid_from_stats(statistics(ctx.fake["features"]), statistics(ctx.real["features"]))}
