"""CycleGAN's ResNet generator (Zhu, Park, Isola & Efros 2017, "Unpaired Image-to-Image
Translation using Cycle-Consistent Adversarial Networks", appendix 7.2), after Johnson, Alahi &
Fei-Fei 2016 ("Perceptual Losses for Real-Time Style Transfer and Super-Resolution").

Unpaired translation changes an image's appearance (style, texture, colour) while keeping its
layout. Johnson et al.'s transformer does that at a coarse resolution: downsample twice, transform
with residual blocks (each block starts as close to the identity, so a deep stack still passes
the layout through), upsample back. Unlike the U-Net no skip joins encoder to decoder: the
bottleneck is 1/4 of the image's side rather than 1x1, so the layout survives it anyway.

Layers, in the paper's notation (``width`` = 64, ``n_blocks`` R256 blocks: 6 for 128 px images, 9
for 256 px and up, ``downsamplings`` = 2):

    c7s1-64, d128, d256, R256 x n_blocks, u128, u64, c7s1-out

- ``c7s1-k``: 7x7 conv stride 1 -> instance norm -> ReLU; the last one has no norm and ends in
  tanh (images in [-1, 1]). ``dk``: 3x3 conv stride 2. ``uk``: 3x3 transposed conv stride 2 with
  ``output_padding=1``, which doubles a size exactly: 28 -> 14 -> 7 -> 14 -> 28 and 64 -> 32 -> 16 -> 32 -> 64
  (each size must be divisible by 2 ** ``downsamplings``; forward says so otherwise).
- ``Rk``: two 3x3 convs with k filters, instance norm, a ReLU between them, added to the input.
- Reflection padding before the 7x7 and the residual convs, to reduce border artifacts.
- Instance norm without affine parameters, as the authors' code; the convs keep their biases as
  it does (11,378,179 parameters at 3 -> 3 channels, width 64, 9 blocks), though the norm after
  each conv subtracts them away again.

Weights start as the paper's: N(0, 0.02) (:func:`.dcgan.init_dcgan_weights`).
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan import init_dcgan_weights


def _c7s1(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.ReflectionPad2d(3), nn.Conv2d(c_in, c_out, 7), nn.InstanceNorm2d(c_out), nn.ReLU(True)]


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, width: int = 64, n_blocks: int = 9,
                 downsamplings: int = 2):
        super().__init__()
        self.downsamplings = downsamplings
        layers = _c7s1(in_channels, width)
        c = width
        for _ in range(downsamplings):  # dk
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1), nn.InstanceNorm2d(2 * c), nn.ReLU(True)]
            c *= 2
        layers += [ResidualBlock(c) for _ in range(n_blocks)]
        for _ in range(downsamplings):  # uk
            layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1), nn.InstanceNorm2d(c // 2),
                       nn.ReLU(True)]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_channels, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = 2**self.downsamplings
        if x.shape[-2] % f or x.shape[-1] % f:
            raise ValueError(f"ResnetGenerator with {self.downsamplings} downsamplings needs sides divisible "
                             f"by {f}, not {tuple(x.shape[-2:])}")
        return self.net(x)
