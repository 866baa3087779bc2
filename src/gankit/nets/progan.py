"""ProGAN's nets (Karras, Aila, Laine & Lehtinen 2018, "Progressive Growing of GANs for Improved
Quality, Stability, and Variation"): G and D as mirror images that grow from 4x4.

Both nets are built for the final resolution with every block allocated from the start, so an
optimizer, a checkpoint or a distributed wrapper always sees the same parameters; which blocks
run is set by two buffers, ``stage`` (0 = 4x4, 1 = 8x8, ...) and ``alpha`` (the fade-in of the
newest block, 0 -> 1), that the Game sets from the images seen (:mod:`gankit.games.progressive`).
Being buffers they are saved with the nets and copied into the EMA copy, so a loaded run samples
at the resolution it had reached.

Images in and out are always at the final resolution, as in the authors' code: G's output at
the active stage is upsampled (nearest neighbour) to full size, and D reads the active stage off
its input by taking one pixel per block. Everything D is shown in training is constant over those
blocks (G's upsampled output, the real images pooled by the Game, their interpolates), so this
equals average pooling; but the gradient penalty then measures D's slope at the stage's own
resolution. With average pooling, ``||grad_x D||`` at full size is ``1/f`` of the slope at a stage
``f`` times coarser, so WGAN-GP asks the 4x4 critic of a 32x32 run for a slope of 8: measured at
4x4, the penalty stayed near 0.5 and the critic scored fakes above reals (``d_real - d_fake`` -2.3
after 400 steps) instead of +0.2..1.1 with one pixel per block. So samples, grids and metrics need
no special case, and an early grid shows the coarse 4x4 image blown up.

- G: z normalized to the unit hypersphere (pixel norm on z), a dense layer to 4x4, then per stage
  2x nearest upsampling and two 3x3 convs, leaky ReLU 0.2 and pixel norm after every conv, and a
  1x1 toRGB per stage. Fading in: ``lerp(upsample(toRGB_prev(h_prev)), toRGB(h), alpha)``.
- D: a 1x1 fromRGB per stage, then per stage two 3x3 convs and 2x average pooling; fading in:
  ``lerp(fromRGB_prev(avgpool(x)), block(fromRGB(x)), alpha)``. At 4x4: minibatch stddev, a 3x3
  conv, a dense layer and the linear score. No normalization in D (WGAN-GP's critic).
- Every layer is equalized-LR (:mod:`gankit.nets.karras`); ``equalized``, ``pixel_norm`` and
  ``mbstd_group`` (0 = off) exist for the ablation of the paper's Table 1.

Channels: ``stage_channels`` (4w at 4 and 8 px, halving after), not the paper's 512: CPU scale.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .karras import HE_GAIN, EqualizedConv2d, EqualizedLinear, MinibatchStddev, PixelNorm, stage_channels

SUPPORTED_SIZES = (16, 32, 64)


def num_stages(image_size: int) -> int:
    """Stages from 4x4 to ``image_size`` (32 -> 4: 4, 8, 16, 32)."""
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(f"ProGAN nets support image sizes {SUPPORTED_SIZES}, not {image_size}")
    return int(math.log2(image_size)) - 1


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2)


class _Growing(nn.Module):
    """The growth state both nets share: the active stage and the fade-in alpha, as buffers."""

    def __init__(self, image_size: int):
        super().__init__()
        self.image_size = image_size
        self.stages = num_stages(image_size)
        self.register_buffer("stage", torch.tensor(self.stages - 1))  # built fully grown: a plain net
        self.register_buffer("alpha", torch.tensor(1.0))

    def set_growth(self, stage: int, alpha: float) -> None:
        if not 0 <= stage < self.stages:
            raise ValueError(f"stage must be in 0..{self.stages - 1}, not {stage}")
        self.stage.fill_(stage)
        self.alpha.fill_(float(alpha))

    def growth(self) -> tuple[int, float]:
        return int(self.stage), float(self.alpha)


class ProGANGenerator(_Growing):
    normalizes_latent = True  # z is put on the unit sphere: shrinking it (truncation "shrink") changes nothing

    def __init__(self, z_dim: int = 128, image_size: int = 32, channels: int = 3, width: int = 32,
                 pixel_norm: bool = True, equalized: bool = True):
        super().__init__(image_size)
        self.z_dim = z_dim
        eq = dict(equalized=equalized)
        self.norm = PixelNorm() if pixel_norm else nn.Identity()
        self.latent_norm = PixelNorm()  # z on the unit hypersphere: the paper's latent normalization
        ch = [stage_channels(4 * 2 ** s, width) for s in range(self.stages)]
        # the authors' dense layer to 4x4 uses gain sqrt(2)/4: each of its 16 outputs per map is one "pixel"
        self.dense = EqualizedLinear(z_dim, ch[0] * 16, gain=HE_GAIN / 4, **eq)
        self.first_conv = EqualizedConv2d(ch[0], ch[0], 3, gain=HE_GAIN, **eq)
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualizedConv2d(ch[s - 1], ch[s], 3, gain=HE_GAIN, **eq),
                           EqualizedConv2d(ch[s], ch[s], 3, gain=HE_GAIN, **eq)])
            for s in range(1, self.stages))
        self.to_rgb = nn.ModuleList(EqualizedConv2d(c, channels, 1, gain=1.0, **eq) for c in ch)
        self._channels0 = ch[0]

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        stage, alpha = self.growth()
        h = self.dense(self.latent_norm(z.flatten(1))).view(len(z), self._channels0, 4, 4)
        h = self.norm(_lrelu(h))
        h = self.norm(_lrelu(self.first_conv(h)))
        previous = None
        for s in range(1, stage + 1):
            previous = h
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            for conv in self.blocks[s - 1]:
                h = self.norm(_lrelu(conv(h)))
        img = self.to_rgb[stage](h)
        if stage > 0 and alpha < 1.0:
            coarse = F.interpolate(self.to_rgb[stage - 1](previous), scale_factor=2, mode="nearest")
            img = torch.lerp(coarse, img, alpha)
        factor = self.image_size // img.shape[-1]
        return F.interpolate(img, scale_factor=factor, mode="nearest") if factor > 1 else img


class ProGANDiscriminator(_Growing):
    def __init__(self, image_size: int = 32, channels: int = 3, width: int = 32, mbstd_group: int = 4,
                 equalized: bool = True):
        super().__init__(image_size)
        eq = dict(equalized=equalized)
        ch = [stage_channels(4 * 2 ** s, width) for s in range(self.stages)]
        self.from_rgb = nn.ModuleList(EqualizedConv2d(channels, c, 1, gain=HE_GAIN, **eq) for c in ch)
        # blocks[s - 1] takes stage s (resolution 4 * 2**s) down to stage s - 1
        self.blocks = nn.ModuleList(
            nn.ModuleList([EqualizedConv2d(ch[s], ch[s], 3, gain=HE_GAIN, **eq),
                           EqualizedConv2d(ch[s], ch[s - 1], 3, gain=HE_GAIN, **eq)])
            for s in range(1, self.stages))
        self.mbstd = MinibatchStddev(mbstd_group) if mbstd_group else None
        extra = 1 if mbstd_group else 0
        self.last_conv = EqualizedConv2d(ch[0] + extra, ch[0], 3, gain=HE_GAIN, **eq)
        self.dense = EqualizedLinear(ch[0] * 16, ch[0], gain=HE_GAIN, **eq)
        self.head = EqualizedLinear(ch[0], 1, gain=1.0, **eq)
        self.feature_dim = ch[0]

    def _down(self, h: torch.Tensor, s: int) -> torch.Tensor:
        for conv in self.blocks[s - 1]:
            h = _lrelu(conv(h))
        return F.avg_pool2d(h, 2)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        stage, alpha = self.growth()
        size = 4 * 2 ** stage
        if x.shape[-1] != size:  # one pixel per block: see the module docstring
            step = x.shape[-1] // size
            x = x[..., ::step, ::step]
        h = self._down(_lrelu(self.from_rgb[stage](x)), stage) if stage > 0 else _lrelu(self.from_rgb[0](x))
        if stage > 0 and alpha < 1.0:
            coarse = _lrelu(self.from_rgb[stage - 1](F.avg_pool2d(x, 2)))
            h = torch.lerp(coarse, h, alpha)
        for s in range(stage - 1, 0, -1):
            h = self._down(h, s)
        if self.mbstd is not None:
            h = self.mbstd(h)
        h = _lrelu(self.last_conv(h))
        return _lrelu(self.dense(h.flatten(1)))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y)).squeeze(1)
