"""Layers ProGAN and StyleGAN share (Karras et al. 2018, 2019, 2020): equalized learning rate,
pixel normalization and the minibatch standard deviation.

- **Equalized learning rate** (ProGAN sec. 4.1): weights are drawn from N(0, 1) and multiplied *at
  run time* by He's constant ``gain / sqrt(fan_in)``. The effective weight then starts exactly as
  He's init would, but Adam, whose step is about ``lr`` in the *stored* weight whatever its scale,
  moves every layer by the same amount relative to its scale: ``lr * c`` on an effective weight of
  std ``c``. With He's init stored directly, a layer with a large fan-in (small weights) learns
  relatively faster than one with a small fan-in. ``lr_mul`` (StyleGAN's mapping net, 0.01)
  divides the stored init and multiplies the run-time scale, slowing that layer by ``lr_mul``.
  ``equalized=False`` stores He's init instead (the ablation's "without").
- **Pixel normalization** (ProGAN sec. 4.2): every pixel's feature vector divided by its RMS over
  channels, in G after each conv; a cheap stand-in for batchnorm that stops escalating magnitudes.
- **Minibatch standard deviation** (ProGAN sec. 3): D sees one extra feature map, the standard
  deviation of each feature across a group of samples, averaged over features and pixels, so a
  generator with too little variety is easy to spot. ``num_channels`` > 1 splits the features
  into that many groups (StyleGAN2's option).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

HE_GAIN = math.sqrt(2.0)  # for leaky ReLU / ReLU layers; 1 for linear outputs (toRGB, D's score)


class EqualizedLinear(nn.Module):
    def __init__(self, in_features: int, out_features: int, bias: bool = True, gain: float = 1.0,
                 lr_mul: float = 1.0, bias_init: float = 0.0, equalized: bool = True):
        super().__init__()
        he_std = gain / math.sqrt(in_features)
        if equalized:
            self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
            self.weight_scale = he_std * lr_mul
        else:
            self.weight = nn.Parameter(torch.randn(out_features, in_features) * he_std)
            self.weight_scale = 1.0
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / lr_mul)) if bias else None
        self.bias_scale = lr_mul

    def effective_weight(self) -> torch.Tensor:
        return self.weight * self.weight_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias * self.bias_scale if self.bias is not None else None
        return F.linear(x, self.effective_weight().to(x.dtype), bias.to(x.dtype) if bias is not None else None)


class EqualizedConv2d(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 gain: float = 1.0, equalized: bool = True):
        super().__init__()
        he_std = gain / math.sqrt(in_channels * kernel_size * kernel_size)
        weight = torch.randn(out_channels, in_channels, kernel_size, kernel_size)
        self.weight = nn.Parameter(weight if equalized else weight * he_std)
        self.weight_scale = he_std if equalized else 1.0
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.padding = kernel_size // 2

    def effective_weight(self) -> torch.Tensor:
        return self.weight * self.weight_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias.to(x.dtype) if self.bias is not None else None
        return F.conv2d(x, self.effective_weight().to(x.dtype), bias, padding=self.padding)


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.float().pow(2).mean(dim=1, keepdim=True) + 1e-8).to(x.dtype)


class MinibatchStddev(nn.Module):
    """Appends ``num_channels`` maps: the std over groups of ``group_size`` samples (the whole batch
    if smaller; a group size that does not divide the batch shrinks to the largest one that does)."""

    def __init__(self, group_size: int = 4, num_channels: int = 1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        while n % g:
            g -= 1
        f = self.num_channels
        y = x.float().reshape(g, n // g, f, c // f, h, w)
        y = (y - y.mean(dim=0)).pow(2).mean(dim=0)          # variance over each group
        y = (y + 1e-8).sqrt().mean(dim=(2, 3, 4))           # (n // g, f): averaged over features and pixels
        y = y.reshape(n // g, f, 1, 1).repeat(g, 1, h, w)   # sample i belongs to group i % (n // g)
        return torch.cat([x, y.to(x.dtype)], dim=1)


def stage_channels(resolution: int, width: int) -> int:
    """Feature maps at a resolution: ``4w`` at 4 and 8 px, then halving (``2w`` at 16, ``w`` at 32, ...).
    ProGAN keeps 512 down to 32 px; at CPU scale the narrow high-resolution layers are what fits."""
    return max(8, width * 4 * 8 // max(resolution, 8))
