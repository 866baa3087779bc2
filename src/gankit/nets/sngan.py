"""The SNGAN "standard CNN" (Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral Normalization for
Generative Adversarial Networks", Table 3), for square images of size 28 or 32 and any channel count.

- G: z -> dense -> BN -> ReLU -> M x M map; deconv 4x4 stride 2 -> BN -> ReLU per 2x upsampling;
  conv 3x3 stride 1 -> tanh. 32x32 is the paper's net, M = 4 with 8w, 4w, 2w, w channels at 4, 8,
  16, 32 pixels (w = ``width``, 64 in the paper: 512 -> 256 -> 128 -> 64). 28x28 starts at M = 7
  and upsamples twice, keeping the paper's channels per resolution: 4w at 7, 2w at 14, w at 28, so
  ``width`` is the channel count at full resolution as in :mod:`.dcgan`. The BN after the dense
  layer is per unit (BatchNorm1d), as in the authors' Chainer code.
- D: conv 3x3 s1 w, then per 2x downsampling conv 4x4 s2 (same channels) and conv 3x3 s1 (double
  channels): w, w, 2w, 2w, 4w [, 4w, 8w for 32x32], LeakyReLU(0.1) after each, no batchnorm, then
  a dense layer to one logit. This is the paper's table; the authors' code instead doubles the
  channels at the stride-2 convs. 28x28 stops at 7x7 (4w channels), 32x32 at 4x4 (8w).
  Every conv and dense layer of D is spectrally normalised (W / sigma(W), sigma from one power
  iteration per training forward pass, the paper's setting), so each layer is 1-Lipschitz.

Weights start as in :mod:`.dcgan` (N(0, 0.02), BN gamma N(1, 0.02), biases 0), the scale of the
authors' code (Chainer ``Normal(0.02)``); D's weights are initialised before spectral norm wraps
them, and their scale does not matter to D's function (the normalisation divides it out).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from .dcgan import init_dcgan_weights

SUPPORTED_SIZES = (28, 32)


def _stages(image_size: int) -> tuple[int, int]:
    """(base resolution, number of 2x up/down-sampling stages) for a supported size."""
    if image_size == 28:
        return 7, 2
    if image_size == 32:
        return 4, 3
    raise ValueError(f"SNGAN nets support image sizes {SUPPORTED_SIZES}, not {image_size}")


class SNGANGenerator(nn.Module):
    def __init__(self, z_dim: int, image_size: int = 32, channels: int = 3, width: int = 64):
        super().__init__()
        base, n = _stages(image_size)
        self.z_dim = z_dim
        ch = [width * 2 ** (n - i) for i in range(n + 1)]  # 32x32: 8w, 4w, 2w, w; 28x28: 4w, 2w, w
        flat = ch[0] * base * base
        layers = [nn.Linear(z_dim, flat), nn.BatchNorm1d(flat), nn.ReLU(True), nn.Unflatten(1, (ch[0], base, base))]
        for i in range(n):
            layers += [nn.ConvTranspose2d(ch[i], ch[i + 1], 4, 2, 1), nn.BatchNorm2d(ch[i + 1]), nn.ReLU(True)]
        layers += [nn.Conv2d(ch[-1], channels, 3, 1, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)
        for m in self.modules():  # init_dcgan_weights covers BatchNorm2d only
            if isinstance(m, nn.BatchNorm1d):
                nn.init.normal_(m.weight, 1.0, 0.02)
                nn.init.zeros_(m.bias)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z.flatten(1))


class SNGANDiscriminator(nn.Module):
    def __init__(self, image_size: int = 32, channels: int = 3, width: int = 64):
        super().__init__()
        base, n = _stages(image_size)
        act = dict(negative_slope=0.1, inplace=True)
        layers = [nn.Conv2d(channels, width, 3, 1, 1), nn.LeakyReLU(**act)]
        c = width
        for _ in range(n):
            layers += [nn.Conv2d(c, c, 4, 2, 1), nn.LeakyReLU(**act), nn.Conv2d(c, 2 * c, 3, 1, 1), nn.LeakyReLU(**act)]
            c *= 2
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = c * base * base
        self.head = nn.Linear(self.feature_dim, 1)
        init_dcgan_weights(self)
        for m in list(self.modules()):
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                spectral_norm(m, n_power_iterations=1)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y)).squeeze(1)


def spectral_norm_all(module: nn.Module) -> nn.Module:
    """Spectral norm on every conv and linear layer of ``module`` (in place): how SNGAN's recipe
    turns any batchnorm-free D (the zoo backbone, DCGAN, an MLP) into a 1-Lipschitz-per-layer one,
    as Kurach et al. 2019 ("A Large-Scale Study of Regularization and Normalization in GANs") do."""
    layers = [m for m in module.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    for m in layers:
        spectral_norm(m)
    return module
