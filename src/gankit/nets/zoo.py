"""The zoo backbone for 28x28 images: one network family shared by every model, for fair comparison.

This is the InfoGAN MNIST network (Chen et al. 2016, appendix C.1) that the large-scale study of
Lucic et al. 2018 ("Are GANs Created Equal?") used for all models on MNIST/Fashion-MNIST:

- G: FC 1024 -> BN -> ReLU -> FC 128*7*7 -> BN -> ReLU -> deconv 64 (4x4, stride 2) -> BN -> ReLU
  -> deconv C (4x4, stride 2) -> tanh.
- D: conv 64 (4x4, stride 2) -> LReLU(0.2) -> conv 128 (4x4, stride 2) -> norm -> LReLU -> FC 1024
  -> norm -> LReLU -> FC 1. ``norm`` is ``batch`` (paper), ``layer`` or ``none``; a gradient-penalty
  critic must not use batch statistics, since the penalty is per sample (Gulrajani et al. 2017).

``width`` scales the channel counts (64 -> width, 128 -> 2*width, 1024 -> 16*width); 64 is the
paper's network.
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan import init_dcgan_weights


def norm1d(kind: str, features: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(features)
    if kind == "layer":
        return nn.LayerNorm(features)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


def norm2d(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


class ZooGenerator(nn.Module):
    def __init__(self, z_dim: int, channels: int = 1, width: int = 64):
        super().__init__()
        self.z_dim = z_dim
        fc, c1, c0 = 16 * width, 2 * width, width
        self.net = nn.Sequential(
            nn.Linear(z_dim, fc), nn.BatchNorm1d(fc), nn.ReLU(True),
            nn.Linear(fc, c1 * 7 * 7), nn.BatchNorm1d(c1 * 7 * 7), nn.ReLU(True),
            nn.Unflatten(1, (c1, 7, 7)),
            nn.ConvTranspose2d(c1, c0, 4, 2, 1), nn.BatchNorm2d(c0), nn.ReLU(True),
            nn.ConvTranspose2d(c0, channels, 4, 2, 1), nn.Tanh(),
        )
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z.flatten(1))


class ZooEncoder(nn.Module):
    """conv 64 -> conv 128 -> FC ``out`` : D's body, and the encoder of the autoencoder D's."""

    def __init__(self, channels: int, width: int, out: int, norm: str = "batch"):
        super().__init__()
        c0, c1 = width, 2 * width
        self.net = nn.Sequential(
            nn.Conv2d(channels, c0, 4, 2, 1), nn.LeakyReLU(0.2, True),
            nn.Conv2d(c0, c1, 4, 2, 1, bias=norm == "none"), norm2d(norm, c1), nn.LeakyReLU(0.2, True),
            nn.Flatten(),
            nn.Linear(c1 * 7 * 7, out), norm1d(norm, out), nn.LeakyReLU(0.2, True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ZooDiscriminator(nn.Module):
    #: each sample's output depends on that sample alone, BatchNorm apart (:mod:`gankit.nets.one_pass`)
    per_sample = True

    def __init__(self, channels: int = 1, width: int = 64, norm: str = "batch"):
        super().__init__()
        self.feature_dim = 16 * width
        self.body = ZooEncoder(channels, width, self.feature_dim, norm)
        self.head = nn.Linear(self.feature_dim, 1)
        init_dcgan_weights(self)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y)).squeeze(1)
