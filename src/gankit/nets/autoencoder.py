"""Autoencoder discriminators, for the energy-based GANs (EBGAN, BEGAN).

Their D does not classify: it reconstructs, and the reconstruction error is the energy. So an
:class:`AutoencoderD` exposes ``encode`` and ``reconstruct``; ``forward`` returns the per-sample
mean squared reconstruction error (low = "real"), which keeps the common ``D(x, y)`` contract,
and ``features`` is the code (EBGAN's pulling-away term acts on it). Which norm the loss uses
(EBGAN: squared error, BEGAN: L1) is the objective's choice, not the network's.

Two bodies: ``mlp`` (any data: 2D points or flattened images) and ``zoo`` (the 28x28 backbone's
encoder, conv 64 -> conv 128 -> FC code; the decoder mirrors the zoo generator).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .dcgan import init_dcgan_weights
from .zoo import ZooEncoder


class AutoencoderD(nn.Module):
    def __init__(self, encoder: nn.Module, decoder: nn.Module, code_dim: int):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.feature_dim = code_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x)).view_as(x)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return (self.reconstruct(x) - x).pow(2).flatten(1).mean(1)


def mlp_autoencoder(shape: tuple[int, ...], hidden: int, code_dim: int, image_output: bool) -> AutoencoderD:
    n = math.prod(shape)
    enc = nn.Sequential(nn.Flatten(), nn.Linear(n, hidden), nn.LeakyReLU(0.2, True),
                        nn.Linear(hidden, hidden), nn.LeakyReLU(0.2, True), nn.Linear(hidden, code_dim))
    dec = [nn.Linear(code_dim, hidden), nn.LeakyReLU(0.2, True), nn.Linear(hidden, hidden),
           nn.LeakyReLU(0.2, True), nn.Linear(hidden, n)]
    if image_output:
        dec.append(nn.Tanh())
    return AutoencoderD(enc, nn.Sequential(*dec), code_dim)


def zoo_autoencoder(channels: int, width: int, code_dim: int) -> AutoencoderD:
    """Encoder: the zoo D body without batchnorm (energies must be per sample) -> FC code_dim."""
    c0, c1 = width, 2 * width
    enc = nn.Sequential(ZooEncoder(channels, width, 16 * width, norm="none"), nn.Linear(16 * width, code_dim))
    dec = nn.Sequential(
        nn.Linear(code_dim, 16 * width), nn.ReLU(True),
        nn.Linear(16 * width, c1 * 7 * 7), nn.ReLU(True), nn.Unflatten(1, (c1, 7, 7)),
        nn.ConvTranspose2d(c1, c0, 4, 2, 1), nn.ReLU(True),
        nn.ConvTranspose2d(c0, channels, 4, 2, 1), nn.Tanh(),
    )
    ae = AutoencoderD(enc, dec, code_dim)
    init_dcgan_weights(ae)
    return ae
