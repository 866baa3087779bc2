"""The nets of Salimans et al. 2016 ("Improved Techniques for Training GANs") for semi-supervised MNIST.

- G: z (100) -> 500 -> 500 -> image, softplus and batchnorm on the hidden layers, a weight-normalized
  output layer (the paper's sigmoid becomes tanh, as gankit's images live in [-1, 1]).
- D: a K-way classifier, 1000 -> 500 -> 250 -> 250 -> 250 -> K, every layer weight-normalized
  (Salimans & Kingma 2016) with ReLU, Gaussian noise of std 0.3 on the input (in [0, 1] units, so
  0.6 here) and 0.5 after every hidden layer while training. Its K logits are the classes; the
  fake class is the implicit (K+1)-th logit fixed at 0 (see games/semi_supervised.py).
  ``forward(x, features=True)`` also returns the last hidden layer, which feature matching uses.

What is left out: the authors' data-dependent initialization of the weight-normalized layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import weight_norm

D_WIDTHS = (1000, 500, 250, 250, 250)
G_WIDTHS = (500, 500)


class GaussianNoise(nn.Module):
    """Adds N(0, std^2) while training; the identity in eval mode (so classification is deterministic)."""

    def __init__(self, std: float):
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.std * torch.randn_like(x) if self.training and self.std > 0 else x


class SemiSupervisedGenerator(nn.Module):
    def __init__(self, z_dim: int, out_shape: tuple[int, ...], widths: tuple[int, ...] = G_WIDTHS):
        super().__init__()
        self.z_dim, self.out_shape = z_dim, tuple(out_shape)
        layers, width = [], z_dim
        for w in widths:
            layers += [nn.Linear(width, w), nn.Softplus(), nn.BatchNorm1d(w)]
            width = w
        layers += [weight_norm(nn.Linear(width, math.prod(out_shape))), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z).view(z.shape[0], *self.out_shape)


class ClassifierDiscriminator(nn.Module):
    def __init__(self, in_shape: tuple[int, ...], num_classes: int, widths: tuple[int, ...] = D_WIDTHS,
                 input_noise: float = 0.6, hidden_noise: float = 0.5):
        super().__init__()
        layers, width = [GaussianNoise(input_noise)], math.prod(in_shape)
        for w in widths:
            layers += [weight_norm(nn.Linear(width, w)), nn.ReLU(), GaussianNoise(hidden_noise)]
            width = w
        self.body = nn.Sequential(nn.Flatten(), *layers)
        self.head = weight_norm(nn.Linear(width, num_classes))
        self.num_classes, self.feature_dim = num_classes, width

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, features: bool = False):
        h = self.body(x)
        logits = self.head(h)
        return (logits, h) if features else logits
