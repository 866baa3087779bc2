"""StyleGAN2's nets (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"),
sized for 32x32 (and 64x64) images, in plain PyTorch.

- G = mapping + synthesis. The mapping MLP turns z into an intermediate latent w; StyleGAN's
  argument is that W need not follow z's fixed distribution, so it can unwarp the factors of
  variation. The synthesis net starts from a learned 4x4 constant and every conv is *modulated*
  by its own copy of w (one per layer, the ``ws``), which lets styles be mixed per layer and
  truncated toward the average w, ``w_avg``, a running mean kept during training.
- Weight demodulation (sec. 2.2) replaces StyleGAN's AdaIN: the instance norm there made the
  generator smuggle signal strength through one spiky location (the "droplet" artefacts).
- Output skips (sec. 4.1): each resolution's toRGB is added to the upsampled image so far, with
  no progressive growing. Per-pixel noise scaled by a learned strength adds stochastic detail.
- Style mixing regularization (StyleGAN sec. 3.1): in training, part of the batch's layers take
  their w from a second z, so the net cannot assume adjacent styles are correlated.
- D is StyleGAN2's residual ("resnet") D with the minibatch stddev epilogue.

Simplifications: bilinear resampling and average pooling stand in for the paper's [1,3,3,1] FIR
filters (same interior maths, different borders), and the modulated conv is computed unfused
(scale inputs, conv, scale outputs), which is the same function and faster on CPU than grouped convs.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .karras import HE_GAIN, EqualizedConv2d, EqualizedLinear, MinibatchStddev, PixelNorm, stage_channels

SUPPORTED_SIZES = (32, 64)


def _resolutions(image_size: int) -> list[int]:
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(f"StyleGAN2 nets support image sizes {SUPPORTED_SIZES}, not {image_size}")
    return [4 * 2 ** i for i in range(int(math.log2(image_size // 4)) + 1)]


def _lrelu(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, 0.2) * HE_GAIN  # the sqrt(2) keeps unit-variance signals at unit variance


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class MappingNetwork(nn.Module):
    """z -> w: PixelNorm, then ``num_layers`` leaky-ReLU linears with learning rate x0.01 (StyleGAN's
    choice; a fast mapping net destabilizes training)."""

    def __init__(self, z_dim: int, w_dim: int, num_layers: int = 8, lr_mul: float = 0.01):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"the mapping network needs at least one layer, not {num_layers}")
        self.norm = PixelNorm()
        self.layers = nn.ModuleList(EqualizedLinear(z_dim if i == 0 else w_dim, w_dim, lr_mul=lr_mul)
                                    for i in range(num_layers))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.norm(z.flatten(1))
        for layer in self.layers:
            x = _lrelu(layer(x))
        return x


class ModulatedConv2d(nn.Module):
    """A conv whose input channels are scaled by styles ``s = affine(w)`` (bias 1, so s starts near 1).

    Demodulation: for input of unit variance, output channel o has std ``sqrt(sum_{i,k} (W_oik s_i)^2)``;
    dividing by it gives outputs of expected unit std. StyleGAN's AdaIN normalized the *actual*
    activations instead, which threw away their relative magnitudes; the generator then learned
    to add one strong spike (the droplet) that dominates the statistics and so rescales everything
    else at will. Demodulation normalizes by the statistics the weights *imply*, so there is no
    such spike to exploit, while the style still controls each feature's relative strength.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int, w_dim: int, demodulate: bool = True,
                 up: bool = False):
        super().__init__()
        self.affine = EqualizedLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, kernel, kernel))
        self.scale = 1.0 / math.sqrt(in_ch * kernel * kernel)  # equalized learning rate, gain 1
        self.demodulate, self.up, self.padding = demodulate, up, kernel // 2

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        s = self.affine(w)                                   # (N, in)
        weight = self.weight * self.scale
        x = x * s.to(x.dtype)[:, :, None, None]
        if self.up:
            x = _up(x)  # per-channel and linear, so it commutes with the modulation above
        x = F.conv2d(x, weight.to(x.dtype), padding=self.padding)
        if self.demodulate:
            energy = s.float().square() @ weight.float().square().sum(dim=(2, 3)).t()  # (N, out)
            x = x * torch.rsqrt(energy + 1e-8).to(x.dtype)[:, :, None, None]
        return x


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv, noise (learned strength, starts at 0), bias, leaky ReLU. In eval mode the
    noise is a fixed map drawn at construction from ``noise_seed``, so samples are deterministic."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, up: bool = False,
                 noise_seed: int = 0):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, 3, w_dim, up=up)
        self.noise_strength = nn.Parameter(torch.zeros(()))
        gen = torch.Generator().manual_seed(noise_seed)
        self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution, generator=gen))
        self.bias = nn.Parameter(torch.zeros(out_ch))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = self.conv(x, w)
        n, _, h, wd = x.shape
        noise = torch.randn(n, 1, h, wd, device=x.device, dtype=x.dtype) if self.training else self.noise_const
        x = x + self.noise_strength.to(x.dtype) * noise.to(x.dtype)
        return _lrelu(x + self.bias.to(x.dtype)[:, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv to image channels, not demodulated (its output is the image itself), linear."""

    def __init__(self, in_ch: int, channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        x = self.conv(x, w)
        return x + self.bias.to(x.dtype)[:, None, None]


class SynthesisBlock(nn.Module):
    """One resolution: (upsampling conv,) conv, toRGB. It reads ``num_ws`` consecutive ws; its toRGB's
    w is also the next block's first conv's (StyleGAN2's indexing)."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, channels: int):
        super().__init__()
        first = resolution == 4
        self.convs = nn.ModuleList(([] if first else [
            SynthesisLayer(in_ch, out_ch, w_dim, resolution, up=True, noise_seed=2 * resolution)]) + [
            SynthesisLayer(in_ch if first else out_ch, out_ch, w_dim, resolution, noise_seed=2 * resolution + 1)])
        self.torgb = ToRGB(out_ch, channels, w_dim)
        self.num_ws = len(self.convs) + 1

    def forward(self, x: torch.Tensor, img: torch.Tensor | None, ws: torch.Tensor):
        for conv, w in zip(self.convs, ws.unbind(1)):
            x = conv(x, w)
        y = self.torgb(x, ws[:, -1])
        return x, (y if img is None else _up(img).to(y.dtype) + y)


class StyleGenerator(nn.Module):
    """Unconditional StyleGAN2 G: ``G(z)`` gives images in about [-1, 1] (linear output, no tanh)."""

    def __init__(self, z_dim: int = 128, w_dim: int = 128, image_size: int = 32, channels: int = 3,
                 width: int = 32, mapping_layers: int = 8, mixing_prob: float = 0.9, w_avg_beta: float = 0.995):
        super().__init__()
        self.resolutions = _resolutions(image_size)
        self.z_dim, self.w_dim, self.image_size = z_dim, w_dim, image_size
        self.mixing_prob, self.w_avg_beta = mixing_prob, w_avg_beta
        self.map = MappingNetwork(z_dim, w_dim, mapping_layers)
        self.const = nn.Parameter(torch.randn(stage_channels(4, width), 4, 4))
        self.blocks = nn.ModuleList(
            SynthesisBlock(stage_channels(max(r // 2, 4), width), stage_channels(r, width), w_dim, r, channels)
            for r in self.resolutions)
        self.num_ws = 1 + 2 * (len(self.resolutions) - 1) + 1
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def layer_resolutions(self) -> list[int]:
        """For each ws index, the resolution of the conv it drives (the last index drives only the final
        toRGB, so it counts as the last resolution). Lets callers pick coarse/middle/fine bands."""
        return [4] + [r for r in self.resolutions[1:] for _ in range(2)] + [self.resolutions[-1]]

    def mapping(self, z: torch.Tensor, update_w_avg: bool = True) -> torch.Tensor:
        w = self.map(z)
        if self.training and update_w_avg:
            with torch.no_grad():
                self.w_avg.copy_(torch.lerp(w.detach().float().mean(0), self.w_avg, self.w_avg_beta))
        return w

    def ws(self, z: torch.Tensor, psi: float | None = None, cutoff: int | None = None,
           update_w_avg: bool = True) -> torch.Tensor:
        """(N, num_ws, w_dim). Truncation trick: layers below ``cutoff`` (all if None) move to
        ``w_avg + psi (w - w_avg)``, trading variety for typicality."""
        ws = self.mapping(z, update_w_avg).unsqueeze(1).repeat(1, self.num_ws, 1)
        if psi is not None:
            k = self.num_ws if cutoff is None else cutoff
            truncated = torch.lerp(self.w_avg.to(ws.dtype), ws[:, :k], psi)
            ws = torch.cat([truncated, ws[:, k:]], dim=1)
        return ws

    @staticmethod
    def mix(ws_a: torch.Tensor, ws_b: torch.Tensor, lo: int, hi: int) -> torch.Tensor:
        """``ws_a`` with layers ``[lo, hi)`` taken from ``ws_b``."""
        return torch.cat([ws_a[:, :lo], ws_b[:, lo:hi], ws_a[:, hi:]], dim=1)

    def synthesis(self, ws: torch.Tensor) -> torch.Tensor:
        x = self.const.unsqueeze(0).expand(ws.shape[0], -1, -1, -1).to(ws.dtype)
        img, i = None, 0
        for block in self.blocks:
            x, img = block(x, img, ws[:, i:i + block.num_ws])
            i += block.num_ws - 1
        return img

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None, *, psi: float | None = None,
                psi_cutoff: int | None = None, return_ws: bool = False):
        ws = self.ws(z, psi, psi_cutoff)
        if self.training and self.mixing_prob > 0 and torch.rand(()).item() < self.mixing_prob:
            cutoff = int(torch.randint(1, self.num_ws, ()).item())  # one crossover for the whole batch
            ws = self.mix(ws, self.ws(torch.randn_like(z), psi, psi_cutoff, update_w_avg=False),
                          cutoff, self.num_ws)
        images = self.synthesis(ws)
        return (images, ws) if return_ws else images


class DiscriminatorBlock(nn.Module):
    """conv3x3, conv3x3 to the next width, 2x average pooling; plus a pooled 1x1 skip. The sum is
    scaled by sqrt(1/2) so that adding two unit-variance paths keeps unit variance."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.conv0, self.conv1 = EqualizedConv2d(in_ch, in_ch, 3), EqualizedConv2d(in_ch, out_ch, 3)
        self.skip = EqualizedConv2d(in_ch, out_ch, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.avg_pool2d(_lrelu(self.conv1(_lrelu(self.conv0(x)))), 2)
        return (h + self.skip(F.avg_pool2d(x, 2))) * math.sqrt(0.5)


class StyleDiscriminator(nn.Module):
    """StyleGAN2's residual D: fromRGB at full resolution, one block per resolution down to 8, then at
    4x4 minibatch stddev, conv, linear (``features``) and the linear ``head``."""

    def __init__(self, image_size: int = 32, channels: int = 3, width: int = 32, mbstd_group: int = 4,
                 mbstd_channels: int = 1):
        super().__init__()
        res = _resolutions(image_size)[::-1]  # R, ..., 8, 4
        ch4 = stage_channels(4, width)
        self.from_rgb = EqualizedConv2d(channels, stage_channels(image_size, width), 1)
        self.blocks = nn.Sequential(*(DiscriminatorBlock(stage_channels(r, width), stage_channels(r // 2, width))
                                      for r in res[:-1]))
        self.mbstd = MinibatchStddev(mbstd_group, mbstd_channels)
        self.conv = EqualizedConv2d(ch4 + mbstd_channels, ch4, 3)
        self.fc = EqualizedLinear(ch4 * 16, ch4)
        self.feature_dim = ch4
        self.head = EqualizedLinear(ch4, 1)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.blocks(_lrelu(self.from_rgb(x)))
        h = _lrelu(self.conv(self.mbstd(h)))
        return _lrelu(self.fc(h.flatten(1)))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)
