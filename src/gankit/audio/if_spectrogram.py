"""Waveform <-> (log-magnitude, instantaneous frequency) images, GANSynth's representation.

Engel et al. 2019 ("GANSynth: Adversarial Neural Audio Synthesis") found that a GAN generating
the STFT's log-magnitude and its *instantaneous frequency* (IF: the phase, unwrapped along time,
differentiated along time) makes far more coherent notes than one generating waveforms or raw
phase: a steady partial has a constant IF along time, an easy pattern for a conv net, while its
raw phase wraps around 2*pi at a rate that depends on the frequency.

Here, small for a CPU (the paper: 1024-sample frames, hop 256, a 128 x 1024 mel-IF image):

- STFT with a periodic Hann window of ``n_fft`` = 512 samples, hop 128 (75% overlap, as the
  paper), centred frames: 16384 samples -> 257 bins x 129 frames. The Nyquist bin and the last
  frame are dropped, so the image is 2 x 256 (frequency, low first) x 128 (time), powers of two
  for plain conv nets; :func:`to_waveform` puts a zero Nyquist bin back and repeats the last
  frame's magnitude, advancing its phase by its IF.
- channel 0: ``log(|X| + 1e-5)`` mapped linearly from [log 1e-5, log(sum of the window)] to
  [-1, 1] (sum of the window: the largest magnitude a signal in [-1, 1] can reach), so the scale
  is fixed, not fitted to a dataset as the paper's is;
- channel 1: IF = the phase difference between consecutive frames, wrapped to [-pi, pi) (that is
  the finite difference of the unwrapped phase), divided by pi; frame 0 holds its own phase.
  Summing IF along time gives the phase back exactly (mod 2 pi).

The round trip is exact up to the magnitude floor and the dropped Nyquist bin.
"""

from __future__ import annotations

import math

import torch

N_FFT = 512
HOP = 128
SAMPLES = 16384
MAG_FLOOR = 1e-5
#: the image :func:`to_if_spectrogram` makes of a 16384-sample clip: (channels, frequency, time)
SHAPE = (2, N_FFT // 2, SAMPLES // HOP)


def _window(device, dtype=torch.float32) -> torch.Tensor:
    return torch.hann_window(N_FFT, periodic=True, device=device, dtype=dtype)


def _log_range() -> tuple[float, float]:
    return math.log(MAG_FLOOR), math.log(N_FFT / 2)  # a periodic Hann window sums to n_fft / 2


def to_if_spectrogram(wave: torch.Tensor) -> torch.Tensor:
    """Waveforms (B, 1, 16384) (or (B, 16384)) in [-1, 1] -> images (B, 2, 256, 128) in [-1, 1]."""
    x = wave.reshape(wave.shape[0], -1).float()
    if x.shape[1] != SAMPLES:
        raise ValueError(f"expected clips of {SAMPLES} samples, got {x.shape[1]}")
    spec = torch.stft(x, N_FFT, HOP, window=_window(x.device), center=True, return_complex=True)
    spec = spec[:, : N_FFT // 2, : SAMPLES // HOP]  # drop the Nyquist bin and the last frame
    lo, hi = _log_range()
    logmag = (torch.log(spec.abs() + MAG_FLOOR) - lo) / (hi - lo) * 2 - 1
    phase = torch.angle(spec)
    dphase = torch.diff(phase, dim=-1, prepend=torch.zeros_like(phase[..., :1]))
    inst_freq = torch.remainder(dphase + math.pi, 2 * math.pi) - math.pi
    return torch.stack([logmag.clamp(-1, 1), inst_freq / math.pi], 1)


def to_waveform(image: torch.Tensor) -> torch.Tensor:
    """Images (B, 2, 256, 128) (log-magnitude, IF), as :func:`to_if_spectrogram` makes them or a
    generator draws them -> waveforms (B, 1, 16384) clipped to [-1, 1]."""
    image = image.float().clamp(-1, 1)
    lo, hi = _log_range()
    mag = torch.exp((image[:, 0] + 1) / 2 * (hi - lo) + lo) - MAG_FLOOR
    mag = mag.clamp(min=0)
    inst_freq = image[:, 1] * math.pi
    # the dropped last frame: the previous frame's magnitude, its phase advanced once more
    mag = torch.cat([mag, mag[..., -1:]], -1)
    inst_freq = torch.cat([inst_freq, inst_freq[..., -1:]], -1)
    phase = torch.cumsum(inst_freq, -1)
    spec = torch.polar(mag, phase)
    spec = torch.cat([spec, torch.zeros_like(spec[:, :1])], 1)  # a zero Nyquist bin
    wave = torch.istft(spec, N_FFT, HOP, window=_window(image.device), center=True, length=SAMPLES)
    return wave.clamp(-1, 1).unsqueeze(1)
