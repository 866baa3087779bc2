"""pix2pix's U-Net generator (Isola, Zhu, Zhou & Efros 2017, "Image-to-Image Translation with
Conditional Adversarial Networks", sec. 3.2.1 and appendix 6.1.1).

An image-to-image generator must keep the low-level structure of its input (edges stay where they
are), which a plain encoder-decoder has to squeeze through its bottleneck. The U-Net adds skip
connections that concatenate encoder layer i onto decoder layer n - i, so fine detail can go
straight across; the paper's ablation (Fig. 5, Table 2) shows the encoder-decoder without them
does much worse under the same losses.

- Encoder: ``Ck`` = 4x4 conv stride 2 -> batchnorm -> LeakyReLU(0.2), channels C64-C128-C256-C512
  and then C512 to the end (``width`` = ngf = 64 in the paper, capped at 8 * width). No batchnorm
  on the first layer (the paper), nor on a layer whose output is 1x1: over a single position per
  sample and the paper's batch of one, batchnorm would zero it (the authors' code leaves the
  innermost norm out too).
- Decoder: 4x4 transposed convs stride 2 -> batchnorm -> [dropout 0.5] -> ReLU, each one's output
  concatenated with the mirror encoder layer's, channels CD512-CD512-CD512-C512-C256-C128-C64 before
  the concatenation (the paper's CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128 counts them after);
  a last transposed conv maps to ``out_channels``, then tanh (images in [-1, 1]).
- Noise: G has no z. The paper found a z input ignored and gives G its stochasticity as dropout
  in the first three decoder layers, applied at training *and* test time; here dropout follows the
  module's mode, so a Game that wants the paper's test-time noise (and its test-batch batchnorm
  statistics) samples with ``G.train()``.
- Depth: down to a 1x1 bottleneck, as the paper (256 -> 8 halvings, 64 -> 6), so every output
  pixel sees the whole input. A size that is not a power of two is reflection-padded to the next
  one and the output cropped back: 28 -> 32 -> 5 halvings (unpadded, 28 halves only twice, to 7,
  and each output pixel would see a 10x10 patch: too little to fill a garment from its edges).
  ``depth`` overrides it (at most that number); ``pad=False`` keeps the image as it is (then
  the power of two in its size limits the depth).

Weights start as the paper's: N(0, 0.02), batchnorm gamma N(1, 0.02) (:func:`.dcgan.init_dcgan_weights`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .dcgan import init_dcgan_weights


def halvings(image_size: int) -> int:
    """How many times a 4x4 stride-2 conv can halve ``image_size`` and a transposed one undo it
    exactly: the power of two in it (28 -> 2, 64 -> 6, 256 -> 8)."""
    if image_size < 2:
        raise ValueError(f"image size must be at least 2, not {image_size}")
    n = 0
    while image_size % 2 == 0:
        image_size //= 2
        n += 1
    return n


def padded_size(image_size: int) -> int:
    """The power of two the U-Net pads ``image_size`` to (28 -> 32; 64 -> 64)."""
    return 1 << (image_size - 1).bit_length()


class UNetGenerator(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, image_size: int, width: int = 64,
                 depth: int | None = None, dropout: float = 0.5, pad: bool = True):
        super().__init__()
        self.image_size = image_size
        self.margin = (padded_size(image_size) - image_size) if pad else 0
        image_size += self.margin
        most = halvings(image_size)
        depth = most if depth is None else depth
        if not 1 <= depth <= most:
            raise ValueError(f"a U-Net on {image_size} px images takes depth 1..{most}, not {depth}")
        self.depth = depth
        ch = [min(width * 2**i, 8 * width) for i in range(depth)]  # encoder layer i's channels
        sizes = [image_size // 2 ** (i + 1) for i in range(depth)]  # its output size

        self.down = nn.ModuleList()
        for i in range(depth):
            norm = i > 0 and sizes[i] > 1
            layers = [nn.Conv2d(in_channels if i == 0 else ch[i - 1], ch[i], 4, 2, 1, bias=not norm)]
            layers += [nn.BatchNorm2d(ch[i])] if norm else []
            self.down.append(nn.Sequential(*layers, nn.LeakyReLU(0.2, True)))

        # up[j] takes the map at encoder layer (depth - 1 - j)'s size up to layer (depth - 2 - j)'s;
        # its input is the previous decoder output concatenated with that encoder layer's output
        self.up = nn.ModuleList()
        for j in range(depth - 1):
            src, dst = depth - 1 - j, depth - 2 - j
            c_in = ch[src] if j == 0 else 2 * ch[src]
            layers = [nn.ConvTranspose2d(c_in, ch[dst], 4, 2, 1, bias=False), nn.BatchNorm2d(ch[dst])]
            layers += [nn.Dropout(dropout)] if j < 3 and dropout > 0 else []
            self.up.append(nn.Sequential(*layers, nn.ReLU(True)))
        c_last = ch[0] if depth == 1 else 2 * ch[0]
        self.out = nn.Sequential(nn.ConvTranspose2d(c_last, out_channels, 4, 2, 1), nn.Tanh())
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.margin
        if m:
            x = F.pad(x, (m // 2, m - m // 2, m // 2, m - m // 2), mode="reflect")
        skips = []
        h = x
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        h = skips.pop()  # the bottleneck feeds the decoder directly
        for layer in self.up:
            h = torch.cat([layer(h), skips.pop()], 1)
        y = self.out(h)
        return y[..., m // 2: m // 2 + self.image_size, m // 2: m // 2 + self.image_size] if m else y
