"""Small GANSynth nets (after Engel et al. 2019, "GANSynth: Adversarial Neural Audio Synthesis").

They draw and judge 2 x 128 x 64 images (log-magnitude and instantaneous frequency over
frequency x time, see :mod:`gankit.audio.if_spectrogram`). The paper grows ProGAN-style nets
progressively to 128 x 1024 (time x frequency) with pixel norm and equalized learning rates; here the same layout is
trained at its final resolution in one go (no growing), which a small CPU model can afford:

- G: ``[z, onehot(pitch)]`` -> dense -> 8w x 8 x 4 (frequency x time), then four x2 nearest upsamplings each followed by a
  3x3 conv, LeakyReLU 0.2 and pixel norm (ProGAN's, which keeps G's features from escalating
  without batchnorm), channels halving from 8w to w, and a 1x1 conv to 2 channels, clamped to
  [-1, 1] (both channels' range) with a straight-through gradient: D sees exactly what
  :func:`~gankit.audio.if_spectrogram.to_waveform` turns into sound, and G keeps its gradient where
  it is clamped. (A tanh fell silent, every bin at the floor with zero gradient, within 50 steps;
  a plain linear output went below the floor, which D alone could see, and G fell silent too.)
- D: a 1x1 conv 2 -> w, four 3x3 stride-2 convs doubling to 8w (LeakyReLU 0.2, no normalization:
  WGAN-GP's penalty is per sample), then two heads on the 8w x 8 x 4 features: the critic's score
  and the auxiliary pitch classifier's logits (the paper's pitch loss, trained on real notes only:
  :class:`~gankit.games.audio.AuxWassersteinGP`).
  ``D(x, y)`` is the critic alone (what the gradient penalty differentiates);
  ``D(x, y, classify=True)`` returns ``(score, pitch_logits)`` from one pass.
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

START = (8, 4)   # frequency x time of G's first feature map
LEVELS = 4       # x2 each: 8 x 4 -> 128 x 64


class PixelNorm(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(1, keepdim=True) + 1e-8)


def _widths(w: int) -> list[int]:
    return [8 * w, 8 * w, 4 * w, 2 * w, w]  # at 8x4, 16x8, ..., 128x64


class GANSynthGenerator(nn.Module):
    def __init__(self, z_dim: int, num_classes: int, w: int = 16):
        super().__init__()
        self.z_dim, self.num_classes = z_dim, num_classes
        chans = _widths(w)
        self.fc = nn.Linear(z_dim + num_classes, chans[0] * START[0] * START[1])
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, padding=1) for a, b in pairwise(chans))
        self.norm = PixelNorm()
        self.out = nn.Conv2d(chans[-1], 2, 1)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("GANSynth's generator is pitch-conditional: it needs labels y")
        h = torch.cat([z, F.one_hot(y.long(), self.num_classes).to(z.dtype)], 1)
        h = self.norm(F.leaky_relu(self.fc(h).view(len(z), -1, *START), 0.2))
        for conv in self.convs:
            h = F.interpolate(h, scale_factor=2, mode="nearest")
            h = self.norm(F.leaky_relu(conv(h), 0.2))
        x = self.out(h)  # (B, 2, 128, 64)
        return x + (x.clamp(-1, 1) - x).detach()  # the value clamped, the gradient straight through


class GANSynthDiscriminator(nn.Module):
    def __init__(self, num_classes: int, w: int = 16):
        super().__init__()
        chans = _widths(w)[::-1]
        self.inp = nn.Conv2d(2, chans[0], 1)
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, stride=2, padding=1) for a, b in pairwise(chans))
        self.feature_dim = chans[-1] * START[0] * START[1]
        self.head = nn.Linear(self.feature_dim, 1)
        self.classifier = nn.Linear(self.feature_dim, num_classes)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.leaky_relu(self.inp(x), 0.2)
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
        return h.flatten(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None, classify: bool = False):
        h = self.features(x)
        score = self.head(h).squeeze(1)
        return (score, self.classifier(h)) if classify else score
