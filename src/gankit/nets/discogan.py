"""DiscoGAN's nets (Kim, Cha, Kim, Lee & Kim 2017, "Learning to Discover Cross-Domain Relations
with Generative Adversarial Networks", sec. 4 and Fig. 3).

DiscoGAN pairs two generators A -> B -> A with a reconstruction loss, like CycleGAN, but with
plain encoder-decoders: each translation has to pass the whole image through a small bottleneck,
which suits the paper's domain pairs whose relation is semantic (a handbag's shape -> a shoe's)
more than pixel-aligned, and keeps the nets small.

- G: an encoder of 4x4 stride-2 convs, each followed by LeakyReLU(0.2), then a decoder of 4x4
  stride-2 transposed convs, each followed by ReLU; tanh on the output (images in [-1, 1]); no
  skips. Batchnorm on every layer but the first conv and the output, as in the authors' code.
  Channels w, 2w, 4w, 8w down and back (``width`` w = 64).
- D: the same encoder, plus a last 4x4 conv to one logit (the paper's final sigmoid belongs to the
  loss here). ``forward(x, features=True)`` also returns the encoder's feature maps: the authors'
  code adds a feature-matching term on them, and DESIGN asks a Game to reach D only via forward.
- Depth: the paper's 64 px nets halve 4 times, to 4x4 ("four to five" layers by domain); here a
  size is halved while it is even and larger than 4: 64 -> 4 (4x4), 128 -> 5, 32 -> 3,
  28 -> 2 (7x7). D's last conv spans what is left (4x4 at 64 px, 7x7 at 28 px).

Weights start N(0, 0.02), batchnorm gamma N(1, 0.02), as in the DCGAN lineage the paper follows.
"""

from __future__ import annotations

import torch
from torch import nn

from .dcgan import init_dcgan_weights


def _downs(image_size: int) -> tuple[int, int]:
    """(number of stride-2 halvings, the size left): halve while even and larger than 4."""
    n, size = 0, image_size
    while size % 2 == 0 and size > 4:
        size //= 2
        n += 1
    if n == 0:
        raise ValueError(f"DiscoGAN nets need an image size that halves at least once to >= 4, not {image_size}")
    return n, size


def _encoder(in_channels: int, width: int, n: int) -> nn.ModuleList:
    blocks = nn.ModuleList()
    for i in range(n):
        c_in, c_out = (in_channels if i == 0 else width * 2 ** (i - 1)), width * 2**i
        layers = [nn.Conv2d(c_in, c_out, 4, 2, 1, bias=i == 0)]
        layers += [nn.BatchNorm2d(c_out)] if i > 0 else []
        blocks.append(nn.Sequential(*layers, nn.LeakyReLU(0.2, True)))
    return blocks


class DiscoGenerator(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, image_size: int, width: int = 64):
        super().__init__()
        n, _ = _downs(image_size)
        layers = list(_encoder(in_channels, width, n))
        for i in range(n - 1, 0, -1):
            layers += [nn.ConvTranspose2d(width * 2**i, width * 2 ** (i - 1), 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width * 2 ** (i - 1)), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(width, out_channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class DiscoDiscriminator(nn.Module):
    def __init__(self, in_channels: int, image_size: int, width: int = 64):
        super().__init__()
        n, base = _downs(image_size)
        self.encoder = _encoder(in_channels, width, n)
        self.head = nn.Conv2d(width * 2 ** (n - 1), 1, base)  # spans the base x base map: one logit
        init_dcgan_weights(self)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, features: bool = False):
        """(N,) logits; with ``features``, (logits, [each encoder block's output map]).
        ``y`` is unused: it keeps the house ``D(x, y)`` signature."""
        maps = []
        h = x
        for block in self.encoder:
            h = block(h)
            maps.append(h)
        logits = self.head(h).flatten()
        return (logits, maps) if features else logits
