"""Small, honest distribution distances for tests (the full metrics live in gankit.metrics later)."""

import torch
import torch.nn.functional as F


def frechet_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets."""
    a, b = a.double(), b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    ca, cb = torch.cov(a.T), torch.cov(b.T)
    # trace sqrt(ca cb) via the eigenvalues of sqrt(ca) cb sqrt(ca), which is symmetric PSD
    evals, evecs = torch.linalg.eigh(ca)
    sqrt_ca = evecs @ torch.diag(evals.clamp(min=0).sqrt()) @ evecs.T
    m = sqrt_ca @ cb @ sqrt_ca
    tr_sqrt = torch.linalg.eigvalsh((m + m.T) / 2).clamp(min=0).sqrt().sum()
    return float((mu_a - mu_b).pow(2).sum() + ca.trace() + cb.trace() - 2 * tr_sqrt)


def pooled_pixels(images_uint8: torch.Tensor, size: int = 7) -> torch.Tensor:
    """uint8 (N, C, H, W) -> (N, C*size*size) average-pooled pixels in [0, 1]."""
    return F.adaptive_avg_pool2d(images_uint8.float() / 255, size).flatten(1)
