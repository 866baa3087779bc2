"""The PatchGAN discriminator (Isola et al. 2017, sec. 3.2.2 and appendix 6.1.2; CycleGAN's D,
Zhu et al. 2017, appendix 7.2).

pix2pix's L1 term already gets the low frequencies right; what it misses is sharp local detail.
So D only has to judge local patches: a fully convolutional net whose every output logit sees an
N x N patch of the input, run across the whole image, its logits averaged by the loss. It has
fewer parameters than a whole-image D, runs on any size, and the paper finds 70x70 patches as
sharp as a full 286x286 D (Table 3). It treats the image as a Markov random field: pixels further
apart than a patch are taken as independent.

- ``n_layers`` stride-2 layers ``Ck`` = 4x4 conv -> norm -> LeakyReLU(0.2), channels
  C64-C128-C256 (``width`` = 64, doubling, capped at 8 * width), then one more at stride 1
  (C512 for ``n_layers=3``), then a 4x4 stride-1 conv to one channel: logits (no sigmoid; that
  belongs to the loss). All convs pad 1, so 256 px give a 30x30 map. No norm on the first layer.
- ``norm``: ``"batch"`` (pix2pix), ``"instance"`` (CycleGAN, affine-free) or ``"none"``.
- ``n_layers=0`` is the paper's 1x1 "PixelGAN" (Table 3), a different design: 1x1 convs
  C64-C128 and a 1x1 conv to a logit, judging each pixel's colour alone.
- pix2pix's D judges the (input, output) *pair*: the caller concatenates them on channels, so
  ``in_channels`` is the input's plus the output's channel count. CycleGAN's D sees one image.

Receptive field, the patch size N (:func:`receptive_field`): 16, 34, 70 for 1, 2, 3 layers, 1 for
the PixelGAN. :func:`layers_for` picks ``n_layers`` for a size by keeping the paper's patch to
image ratio, 70 / 256 (about 0.27): the ``n_layers >= 1`` whose field is closest, in pixels, to
0.27 * ``image_size``. 28 px -> 1 layer, RF 16 (target 7.7, but the 1x1 PixelGAN is the only smaller one);
64 px -> 1 layer, RF 16 (target 17.5; 34 is much further); 128 -> 2 (34); 256 -> 3 (70).

Weights start as the paper's: N(0, 0.02), batchnorm gamma N(1, 0.02).
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan import init_dcgan_weights

PAPER_FRACTION = 70 / 256  # pix2pix's 70x70 patches on 256x256 images


def receptive_field(n_layers: int) -> int:
    """Side, in input pixels, of the patch one output logit sees (3 -> 70, as the paper)."""
    if n_layers < 0:
        raise ValueError(f"n_layers must be >= 0, not {n_layers}")
    if n_layers == 0:
        return 1  # PixelGAN: 1x1 convs only
    rf = 4 + 3  # the last conv and the stride-1 Ck, both 4x4 stride 1
    for _ in range(n_layers):  # each 4x4 stride-2 conv below: rf -> (rf - 1) * 2 + 4
        rf = 2 * rf + 2
    return rf


def layers_for(image_size: int) -> int:
    """``n_layers`` (>= 1) whose receptive field is closest to the paper's 70/256 of the image."""
    target = PAPER_FRACTION * image_size
    n = 1
    while abs(receptive_field(n + 1) - target) < abs(receptive_field(n) - target):  # fields only grow
        n += 1
    return n


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r} (use batch, instance or none)")


class PatchDiscriminator(nn.Module):
    def __init__(self, in_channels: int, width: int = 64, n_layers: int = 3, norm: str = "batch"):
        super().__init__()
        if n_layers < 0:
            raise ValueError(f"n_layers must be >= 0, not {n_layers}")
        _norm(norm, 1)  # reject an unknown norm up front
        self.n_layers = n_layers
        self.receptive_field = receptive_field(n_layers)
        bias = norm == "none"  # a norm right after a conv cancels its bias
        if n_layers == 0:
            layers = [nn.Conv2d(in_channels, width, 1), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(width, 2 * width, 1, bias=bias), _norm(norm, 2 * width), nn.LeakyReLU(0.2, True),
                      nn.Conv2d(2 * width, 1, 1)]
        else:
            ch = [min(width * 2**i, 8 * width) for i in range(n_layers + 1)]
            layers = [nn.Conv2d(in_channels, ch[0], 4, 2, 1), nn.LeakyReLU(0.2, True)]
            for i in range(1, n_layers + 1):
                stride = 2 if i < n_layers else 1
                layers += [nn.Conv2d(ch[i - 1], ch[i], 4, stride, 1, bias=bias), _norm(norm, ch[i]),
                           nn.LeakyReLU(0.2, True)]
            layers += [nn.Conv2d(ch[n_layers], 1, 4, 1, 1)]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, 1, h, w) logits, one per patch."""
        return self.net(x)
