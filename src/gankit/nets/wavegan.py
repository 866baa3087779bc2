"""WaveGAN's nets (Donahue, McAuley & Puckette 2019, "Adversarial Audio Synthesis").

DCGAN flattened to one dimension and stretched to 16384 samples (about 1 s at 16 kHz): every
5x5 stride-2 conv becomes a length-25 stride-4 conv, so five layers go 16 -> 16384 samples.

- G: dense z (100) -> 16 x 16d, ReLU, then five transposed conv1d (kernel 25, stride 4) halving
  the channels 16d -> 8d -> 4d -> 2d -> d -> 1, ReLU between them, tanh at the end. No batchnorm
  (the paper found it unnecessary with WGAN-GP).
- D: five conv1d (kernel 25, stride 4) 1 -> d -> ... -> 16d, LeakyReLU 0.2, :class:`PhaseShuffle`
  (n = 2) after every layer but the last, then dense 16 x 16d -> 1.

``d`` is the model size: 64 in the paper (19M parameters in G). The upsampling of transposed
convs leaves a periodic "checkerboard" pattern at the stride's frequencies, which a D could spot
by phase alone; phase shuffle moves each of D's feature maps by a random few samples so that it
cannot (the paper's section 3.3).
"""

from __future__ import annotations

from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

SAMPLES = 16384
KERNEL, STRIDE, PAD = 25, 4, 11  # length * 4 per transposed conv (with output_padding 1), / 4 per conv


class PhaseShuffle(nn.Module):
    """Shift each example's feature map in time by its own random k in [-n, n], filling the edge it
    leaves by reflection (WaveGAN's phase shuffle). Identity in eval mode, where D's judgement of a
    sample should not be random."""

    def __init__(self, n: int = 2):
        super().__init__()
        self.n = n

    def forward(self, x: torch.Tensor, shifts: torch.Tensor | None = None) -> torch.Tensor:
        if not self.training or self.n == 0:
            return x
        b, _, length = x.shape
        if shifts is None:
            shifts = torch.randint(-self.n, self.n + 1, (b,), device=x.device)
        n = self.n
        padded = F.pad(x, (n, n), mode="reflect")  # (B, C, L + 2n)
        # output[t] = input[t - k] (k > 0: content moves right), read from the padded copy at t - k + n
        index = torch.arange(length, device=x.device)[None, :] - shifts[:, None] + n  # (B, L)
        return padded.gather(2, index[:, None, :].expand(-1, x.shape[1], -1))

    def extra_repr(self) -> str:
        return f"n={self.n}"


class WaveGANGenerator(nn.Module):
    def __init__(self, z_dim: int = 100, d: int = 64):
        super().__init__()
        self.z_dim, self.d = z_dim, d
        self.fc = nn.Linear(z_dim, 16 * 16 * d)
        chans = [16 * d, 8 * d, 4 * d, 2 * d, d, 1]
        self.ups = nn.ModuleList(
            nn.ConvTranspose1d(a, b, KERNEL, STRIDE, padding=PAD, output_padding=1) for a, b in pairwise(chans))

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = F.relu(self.fc(z).view(len(z), 16 * self.d, 16))
        for i, up in enumerate(self.ups):
            h = up(h)
            h = torch.tanh(h) if i == len(self.ups) - 1 else F.relu(h)
        return h  # (B, 1, 16384)


class WaveGANDiscriminator(nn.Module):
    def __init__(self, d: int = 64, phase_shuffle: int = 2):
        super().__init__()
        self.d = d
        chans = [1, d, 2 * d, 4 * d, 8 * d, 16 * d]
        self.convs = nn.ModuleList(nn.Conv1d(a, b, KERNEL, STRIDE, padding=PAD) for a, b in pairwise(chans))
        self.shuffle = PhaseShuffle(phase_shuffle)
        self.feature_dim = 16 * 16 * d
        self.head = nn.Linear(self.feature_dim, 1)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = x
        for i, conv in enumerate(self.convs):
            h = F.leaky_relu(conv(h), 0.2)
            if i < len(self.convs) - 1:
                h = self.shuffle(h)
        return h.flatten(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)
