"""BigGAN's nets (Brock, Donahue & Simonyan 2019, "Large Scale GAN Training for High Fidelity Natural
Image Synthesis"), sized for 32x32 (and 64x64) images.

- G: z (120-d, the paper's) is split into ``blocks + 1`` equal chunks (skip-z, the paper's "hierarchical
  latent"). The first chunk goes through a linear layer to a 4x4 map; every residual up-block gets
  ``[shared_embedding(y), z_chunk]`` as its condition, from which each of its conditional
  batchnorms computes a per-channel gain (``1 + linear``) and bias (``linear``). The class
  embedding (128-d) is shared by all blocks, so each block adds only two small linear maps.
  Up-block: CBN, ReLU, 2x nearest upsampling, conv3x3, CBN, ReLU, conv3x3, plus a 1x1-conv skip of
  the upsampled input. Then BN, ReLU, conv3x3, tanh.
- D: pre-activation residual down-blocks (ReLU, conv3x3, ReLU, conv3x3, 2x average pooling, plus a
  1x1-conv + pooling skip; the first block has no leading ReLU and pools before its skip conv),
  one block without pooling, ReLU, global sum pooling to ``h``, and the projection head of Miyato &
  Koyama 2018: ``D(x, y) = w . h + embed(y) . h``.
- Spectral norm on every conv, linear and embedding of G and D except G's shared embedding (as
  in the authors' code); weights start orthogonal (the paper's ``ortho`` init).

Width: the authors' CIFAR model keeps 4ch = 256 channels in every G block (ch = 64); here G's
channels halve as resolution doubles, ``4w`` at 4 and 8 px, then ``2w, w`` (and D's double: ``w, 2w, 4w, 4w``), as in the
paper's ImageNet nets, with ``w`` = ``width`` (default 32, so about 0.1 G multiply-adds per 32x32
image for G): the constant-width net costs ~16x more and does not train in a CPU budget.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

SUPPORTED_SIZES = (32, 64)
EMBED_DIM = 128  # the shared class embedding (the paper's 128)


def _blocks(image_size: int) -> int:
    if image_size not in SUPPORTED_SIZES:
        raise ValueError(f"BigGAN nets support image sizes {SUPPORTED_SIZES}, not {image_size}")
    return int(math.log2(image_size // 4))


def _sn(m: nn.Module) -> nn.Module:
    nn.init.orthogonal_(m.weight)
    if getattr(m, "bias", None) is not None:
        nn.init.zeros_(m.bias)
    return spectral_norm(m, eps=1e-6)


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without its own affine; gain ``1 + W_g c`` and bias ``W_b c`` from a condition c."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gain = _sn(nn.Linear(cond_dim, channels, bias=False))
        self.bias = _sn(nn.Linear(cond_dim, channels, bias=False))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        gain = 1.0 + self.gain(cond)[:, :, None, None]
        return self.bn(x) * gain + self.bias(cond)[:, :, None, None]


class UpBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, cond_dim: int):
        super().__init__()
        self.bn1, self.bn2 = ConditionalBatchNorm(c_in, cond_dim), ConditionalBatchNorm(c_out, cond_dim)
        self.conv1 = _sn(nn.Conv2d(c_in, c_out, 3, 1, 1))
        self.conv2 = _sn(nn.Conv2d(c_out, c_out, 3, 1, 1))
        self.skip = _sn(nn.Conv2d(c_in, c_out, 1))

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = F.interpolate(F.relu(self.bn1(x, cond)), scale_factor=2, mode="nearest")
        h = self.conv2(F.relu(self.bn2(self.conv1(h), cond)))
        return h + self.skip(F.interpolate(x, scale_factor=2, mode="nearest"))


class BigGANGenerator(nn.Module):
    def __init__(self, z_dim: int, num_classes: int, image_size: int = 32, channels: int = 3, width: int = 32):
        super().__init__()
        n = _blocks(image_size)
        if z_dim % (n + 1):
            raise ValueError(f"z_dim {z_dim} does not split into {n + 1} equal chunks (skip-z); use e.g. 120")
        self.z_dim, self.num_classes, self.chunk = z_dim, num_classes, z_dim // (n + 1)
        ch = [width * 2 ** (n - 1)] + [width * 2 ** (n - 1 - i) for i in range(n)]  # 32px: 4w, 4w, 2w, w
        self.shared = nn.Embedding(num_classes, EMBED_DIM)
        nn.init.orthogonal_(self.shared.weight)
        self.linear = _sn(nn.Linear(self.chunk, ch[0] * 16))
        self.c0 = ch[0]
        self.blocks = nn.ModuleList(UpBlock(ch[i], ch[i + 1], EMBED_DIM + self.chunk) for i in range(n))
        self.out_bn = nn.BatchNorm2d(ch[-1])
        self.out_conv = _sn(nn.Conv2d(ch[-1], channels, 3, 1, 1))

    def ortho_parameters(self) -> list[nn.Parameter]:
        """The weights BigGAN's orthogonal regularization applies to: all matrices and filters, not
        the shared class embedding (as in the authors' code), before spectral norm."""
        shared = {id(p) for p in self.shared.parameters()}
        return [p for name, p in self.named_parameters() if p.dim() >= 2 and id(p) not in shared]

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("BigGAN's generator is class-conditional: it needs labels y")
        chunks = z.flatten(1).split(self.chunk, 1)
        embed = self.shared(y.long()).to(z.dtype)
        h = self.linear(chunks[0]).view(z.shape[0], self.c0, 4, 4)
        for block, zc in zip(self.blocks, chunks[1:]):
            h = block(h, torch.cat([embed, zc], 1))
        return torch.tanh(self.out_conv(F.relu(self.out_bn(h))))


class DownBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, down: bool = True, preactivate: bool = True):
        super().__init__()
        self.conv1 = _sn(nn.Conv2d(c_in, c_out, 3, 1, 1))
        self.conv2 = _sn(nn.Conv2d(c_out, c_out, 3, 1, 1))
        self.skip = _sn(nn.Conv2d(c_in, c_out, 1)) if (c_in != c_out or down) else None
        self.down, self.preactivate = down, preactivate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(x) if self.preactivate else x
        h = self.conv2(F.relu(self.conv1(h)))
        if self.down:
            h = F.avg_pool2d(h, 2)
        s = x
        if self.preactivate:  # conv then pool
            s = self.skip(s) if self.skip is not None else s
            s = F.avg_pool2d(s, 2) if self.down else s
        else:                 # the first block: pool then conv (its input is the image itself)
            s = self.skip(F.avg_pool2d(s, 2) if self.down else s)
        return h + s


class BigGANDiscriminator(nn.Module):
    """Residual D with a projection head; ``num_classes`` 0 drops the projection (unconditional)."""

    def __init__(self, num_classes: int, image_size: int = 32, channels: int = 3, width: int = 32):
        super().__init__()
        n = _blocks(image_size)
        ch = [channels] + [width * 2 ** min(i, 2) for i in range(n)]  # 32px: 3 -> w, 2w, 4w
        blocks = [DownBlock(ch[i], ch[i + 1], down=True, preactivate=i > 0) for i in range(n)]
        blocks.append(DownBlock(ch[-1], ch[-1], down=False))
        self.blocks = nn.Sequential(*blocks)
        self.feature_dim = ch[-1]
        self.head = _sn(nn.Linear(self.feature_dim, 1))
        self.embed = _sn(nn.Embedding(num_classes, self.feature_dim)) if num_classes else None

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return F.relu(self.blocks(x)).sum(dim=(2, 3))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.features(x)
        out = self.head(h).squeeze(1)
        if self.embed is not None:
            if y is None:
                raise ValueError("a projection discriminator needs labels y")
            out = out + (self.embed(y.long()).to(h.dtype) * h).sum(1)
        return out

