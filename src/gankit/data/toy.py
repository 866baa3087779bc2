"""2D Gaussian mixtures: the standard mode-collapse testbed.

``ring8``: 8 Gaussians evenly spaced on a circle of radius 2, std 0.02 (Metz et al. 2017,
"Unrolled GANs"). ``grid25``: a 5x5 grid at {-4, -2, 0, 2, 4}^2, std 0.05 (Dumoulin et al. 2017 /
VEEGAN). The mixture component is the label, so conditional models can be tested on them too.

Quality criterion used by tests and metrics (:func:`mode_coverage`): a sample is *high quality*
when it lies within 3 standard deviations of its nearest mode centre; a mode is *covered* when it
receives at least ``min_share`` of the expected per-mode count of high-quality samples (default
1/4 of N/K), which is robust to sampling noise but fails for a generator that ignores a mode.
"""

from __future__ import annotations

import math

import torch

from .base import Dataset, DataSpec

TOY_SIZE = 100_000


def _centres(name: str) -> tuple[torch.Tensor, float]:
    if name == "ring8":
        angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
        return torch.stack([2 * angles.cos(), 2 * angles.sin()], 1).float(), 0.02
    if name == "grid25":
        g = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
        return torch.cartesian_prod(g, g), 0.05
    raise KeyError(name)


def load_toy(name: str, n: int = TOY_SIZE, seed: int = 0) -> Dataset:
    centres, std = _centres(name)
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(len(centres), (n,), generator=g)
    points = centres[labels] + std * torch.randn(n, 2, generator=g)
    spec = DataSpec(
        name=name,
        kind="points",
        shape=(2,),
        num_classes=len(centres),
        class_names=tuple(f"mode {i}" for i in range(len(centres))),
        extra={"centres": centres.tolist(), "std": std},
    )
    return Dataset(spec, points, labels)


def mode_coverage(points: torch.Tensor, spec: DataSpec, min_share: float = 0.25) -> dict:
    """Modes covered and share of high-quality samples, per the criterion in the module docstring."""
    centres = torch.tensor(spec.extra["centres"], dtype=torch.float32)
    std = float(spec.extra["std"])
    points = points.detach().float().cpu()
    dist = torch.cdist(points, centres)
    nearest_dist, nearest = dist.min(1)
    good = nearest_dist <= 3 * std
    counts = torch.bincount(nearest[good], minlength=len(centres))
    expected = len(points) / len(centres)
    covered = int((counts >= min_share * expected).sum())
    return {
        "modes_covered": covered,
        "num_modes": len(centres),
        "high_quality": float(good.float().mean()),
        "nearest_mode": nearest,
        "is_high_quality": good,
    }
