"""SRGAN's nets (Ledig et al. 2017, "Photo-Realistic Single Image Super-Resolution Using a
Generative Adversarial Network", sec. 2.2 and Fig. 4).

- :class:`SRResNet`, the generator (trained alone on MSE it is the paper's SRResNet): all the work
  is done at the low resolution, where convs are cheap, and only the last layers upsample.
  9x9 conv -> PReLU; B residual blocks (3x3 conv -> BN -> PReLU -> 3x3 conv -> BN, added to the
  block's input; B = 16); 3x3 conv -> BN added to the first layer's output (a global skip, so the
  blocks learn a correction to the low-resolution features); log2(``scale``) upsampling blocks
  (3x3 conv to 4 * ``width`` channels -> PixelShuffle(2) -> PReLU: Shi et al. 2016's sub-pixel
  convolution, learned upsampling without the checkerboard of transposed convs); a 9x9 conv to
  ``out_channels``. Then tanh, which the paper's figure does not show: our images are in
  [-1, 1], and tanh keeps G's output in the range the data and D live in.
  PReLUs are per channel (He et al. 2015's form); convs followed by BN have no bias (BN cancels
  it). With width 64, 16 blocks, x4 and 3 -> 3 channels this is 1,548,547 parameters (the paper's
  configuration; it is usually quoted as 1.5M).
- :class:`SRDiscriminator`: eight 3x3 convs k3n64s1, k3n64s2, k3n128s1, k3n128s2, k3n256s1,
  k3n256s2, k3n512s1, k3n512s2 (``width`` 64, doubling every two), LeakyReLU(0.2) after each,
  BN on all but the first; then Dense(16 * width = 1024) -> LeakyReLU(0.2) -> Dense(1): a logit
  (the paper's sigmoid belongs to the loss). The four stride-2 convs (padding 1) turn a side s
  into ceil(s / 2) each: 96 px (the paper's crops) -> 6x6, 64 -> 4x4, 28 -> 14 -> 7 -> 4 -> 2x2,
  so the flattened size is 8 * width * that squared (2,048 at 28 px, 8,192 at 64 px).

Weights keep PyTorch's default init (Kaiming-uniform): the paper does not state one, and BN
after nearly every conv makes the nets insensitive to its scale.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class _SRResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels), nn.PReLU(channels),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.BatchNorm2d(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class SRResNet(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, scale: int = 4, width: int = 64, n_blocks: int = 16):
        super().__init__()
        if scale < 2 or scale & (scale - 1):
            raise ValueError(f"SRResNet upsamples by a power of two (2, 4, ...), not {scale}")
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(in_channels, width, 9, 1, 4), nn.PReLU(width))
        self.blocks = nn.Sequential(*[_SRResidualBlock(width) for _ in range(n_blocks)],
                                    nn.Conv2d(width, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width))
        ups = []
        for _ in range(int(math.log2(scale))):
            ups += [nn.Conv2d(width, 4 * width, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.tail = nn.Sequential(*ups, nn.Conv2d(width, out_channels, 9, 1, 4), nn.Tanh())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return self.tail(h + self.blocks(h))


def _down_size(image_size: int) -> int:
    """The side left after SRDiscriminator's four 3x3 stride-2 convs (padding 1): ceil(s / 2) each."""
    for _ in range(4):
        image_size = (image_size + 1) // 2
    return image_size


class SRDiscriminator(nn.Module):
    def __init__(self, in_channels: int, image_size: int, width: int = 64):
        super().__init__()
        layers, c_in = [], in_channels
        for i in range(8):
            c_out, stride = width * 2 ** (i // 2), 1 + i % 2
            layers += [nn.Conv2d(c_in, c_out, 3, stride, 1, bias=i == 0)]
            layers += [nn.BatchNorm2d(c_out)] if i > 0 else []
            layers += [nn.LeakyReLU(0.2, True)]
            c_in = c_out
        self.body = nn.Sequential(*layers, nn.Flatten())
        self.feature_dim = c_in * _down_size(image_size) ** 2
        self.head = nn.Sequential(nn.Linear(self.feature_dim, 16 * width), nn.LeakyReLU(0.2, True),
                                  nn.Linear(16 * width, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """(N,) logits. ``y`` is unused: it keeps the house ``D(x, y)`` signature."""
        return self.head(self.body(x)).squeeze(1)
