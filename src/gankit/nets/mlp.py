"""Fully connected G and D: the networks of Goodfellow et al. 2014, and of the 2D toy experiments.

For images the generator ends in tanh (data in [-1, 1]); for 2D points it is linear. The
discriminator uses LeakyReLU(0.2); the original paper used maxout + dropout, which buys little
at this scale, so we keep the simpler modern choice.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class MLPGenerator(nn.Module):
    def __init__(self, z_dim: int, out_shape: tuple[int, ...], hidden: int = 256, depth: int = 3,
                 image_output: bool = True):
        super().__init__()
        self.z_dim = z_dim
        self.out_shape = tuple(out_shape)
        layers, width = [], z_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU(inplace=True)]
            width = hidden
        layers.append(nn.Linear(width, math.prod(out_shape)))
        if image_output:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)


class MLPDiscriminator(nn.Module):
    #: each sample's output depends on that sample alone, BatchNorm apart (:mod:`gankit.nets.one_pass`)
    per_sample = True

    def __init__(self, in_shape: tuple[int, ...], hidden: int = 256, depth: int = 3):
        super().__init__()
        layers, width = [], math.prod(in_shape)
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2, inplace=True)]
            width = hidden
        self.body = nn.Sequential(nn.Flatten(), *layers)
        self.feature_dim = hidden
        self.head = nn.Linear(hidden, 1)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y)).squeeze(1)
