"""DCGAN networks (Radford, Metz & Chintala 2015), for square images of size 28, 32 or 64.

The paper's rules: strided (transposed) convolutions instead of pooling, batchnorm in both nets
(not on G's output nor D's input), ReLU in G with tanh output, LeakyReLU(0.2) in D, no hidden
fully connected layers (G's first layer is a "projection" of z, done here as a transposed conv on
a 1x1 map). Sizes: 28 starts from 7x7, 32 and 64 from 4x4; each stage doubles the resolution.
``width`` is the channel count at full resolution (ngf/ndf = 64 in the paper's 64x64 net).
"""

from __future__ import annotations

import torch
from torch import nn

SUPPORTED_SIZES = (28, 32, 64)


def _stages(image_size: int) -> tuple[int, int]:
    """(base resolution, number of 2x up/down-sampling stages) for a supported size."""
    if image_size == 28:
        return 7, 2
    if image_size in (32, 64):
        return 4, {32: 3, 64: 4}[image_size]
    raise ValueError(f"DCGAN nets support image sizes {SUPPORTED_SIZES}, not {image_size}")


def init_dcgan_weights(module: nn.Module) -> None:
    """The paper's init: conv weights N(0, 0.02), batchnorm gamma N(1, 0.02), beta 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d,)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":  # no batch statistics: what a gradient-penalty critic needs
        return nn.GroupNorm(1, channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


class DCGANGenerator(nn.Module):
    def __init__(self, z_dim: int, image_size: int = 28, channels: int = 1, width: int = 64):
        super().__init__()
        base, n = _stages(image_size)
        self.z_dim = z_dim
        ch = [width * 2 ** (n - 1 - i) for i in range(n)]  # e.g. 64x64: 512, 256, 128, 64
        layers = [nn.ConvTranspose2d(z_dim, ch[0], base, 1, 0, bias=False), nn.BatchNorm2d(ch[0]), nn.ReLU(True)]
        for i in range(n - 1):
            layers += [nn.ConvTranspose2d(ch[i], ch[i + 1], 4, 2, 1, bias=False), nn.BatchNorm2d(ch[i + 1]), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(ch[-1], channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z.view(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    #: each sample's output depends on that sample alone, BatchNorm apart (:mod:`gankit.nets.one_pass`)
    per_sample = True

    def __init__(self, image_size: int = 28, channels: int = 1, width: int = 64, norm: str = "batch"):
        super().__init__()
        base, n = _stages(image_size)
        ch = [width * 2**i for i in range(n)]  # e.g. 64x64: 64, 128, 256, 512
        layers = [nn.Conv2d(channels, ch[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for i in range(n - 1):
            layers += [nn.Conv2d(ch[i], ch[i + 1], 4, 2, 1, bias=norm == "none"), _norm(norm, ch[i + 1]),
                       nn.LeakyReLU(0.2, True)]
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = ch[-1] * base * base
        self.head = nn.Linear(self.feature_dim, 1)  # == a conv with a base x base kernel
        init_dcgan_weights(self)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y)).squeeze(1)
