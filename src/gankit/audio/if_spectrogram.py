"""Waveform <-> (log-magnitude, instantaneous frequency) images, GANSynth's representation.

Engel et al. 2019 ("GANSynth: Adversarial Neural Audio Synthesis") found that a GAN generating
the STFT's log-magnitude and its *instantaneous frequency* (IF: the phase, unwrapped along time,
differentiated along time) makes far more coherent notes than one generating waveforms or raw
phase: a steady partial has a constant IF along time, an easy pattern for a conv net, while its
raw phase wraps around 2*pi at a rate that depends on the frequency.

Here, small for a CPU: the paper's STFT (1024-sample frames, hop 256: 75% overlap) on 1 s clips,
but only the lowest 128 frequency bins (0 to 2 kHz) are kept:

- STFT with a periodic Hann window of ``n_fft`` = 1024 samples, hop 256, centred frames:
  16384 samples -> 513 bins x 65 frames. The bins from 2 kHz up and the last frame are dropped,
  so the image is 2 x 128 (frequency, low first) x 64 (time), powers of two for plain conv nets;
  :func:`to_waveform` puts zero bins back above 2 kHz and repeats the last frame's magnitude,
  advancing its phase by its IF. Dropping the upper bins is a low-pass at 2 kHz: the notes of the
  ``notes`` set (C3..B4, 131..494 Hz) keep their fundamental and 4 to 15 harmonics, and YIN finds
  the pitch of every real test note after the round trip (measured, 240 notes); the paper keeps
  all 512 bins (to 8 kHz) and generates a 4x larger image than this one per second.
- channel 0: ``log(|X| + 1e-5)`` mapped linearly from [log 1e-5, log(sum of the window)] to
  [-1, 1] (sum of the window: the largest magnitude a signal in [-1, 1] can reach), so the scale
  is fixed, not fitted to a dataset as the paper's is;
- channel 1: IF = the phase difference between consecutive frames, wrapped to [-pi, pi) (that is
  the finite difference of the unwrapped phase), divided by pi; frame 0 holds its own phase.
  Summing IF along time gives the phase back exactly (mod 2 pi).

The round trip is exact for content below 2 kHz, up to the magnitude floor.
"""

from __future__ import annotations

import math

import torch

N_FFT = 1024
HOP = 256
BINS = 128  # kept: 0 .. BINS * 16000 / N_FFT = 2 kHz
SAMPLES = 16384
MAG_FLOOR = 1e-5
#: the image :func:`to_if_spectrogram` makes of a 16384-sample clip: (channels, frequency, time)
SHAPE = (2, BINS, SAMPLES // HOP)


def _window(device, dtype=torch.float32) -> torch.Tensor:
    return torch.hann_window(N_FFT, periodic=True, device=device, dtype=dtype)


def _log_range() -> tuple[float, float]:
    return math.log(MAG_FLOOR), math.log(N_FFT / 2)  # a periodic Hann window sums to n_fft / 2


def to_if_spectrogram(wave: torch.Tensor) -> torch.Tensor:
    """Waveforms (B, 1, 16384) (or (B, 16384)) in [-1, 1] -> images (B, 2, 128, 64) in [-1, 1]."""
    x = wave.reshape(wave.shape[0], -1).float()
    if x.shape[1] != SAMPLES:
        raise ValueError(f"expected clips of {SAMPLES} samples, got {x.shape[1]}")
    spec = torch.stft(x, N_FFT, HOP, window=_window(x.device), center=True, return_complex=True)
    spec = spec[:, :BINS, : SAMPLES // HOP]  # drop the bins from 2 kHz up and the last frame
    lo, hi = _log_range()
    logmag = (torch.log(spec.abs() + MAG_FLOOR) - lo) / (hi - lo) * 2 - 1
    phase = torch.angle(spec)
    dphase = torch.diff(phase, dim=-1, prepend=torch.zeros_like(phase[..., :1]))
    inst_freq = torch.remainder(dphase + math.pi, 2 * math.pi) - math.pi
    return torch.stack([logmag.clamp(-1, 1), inst_freq / math.pi], 1)


def to_waveform(image: torch.Tensor) -> torch.Tensor:
    """Images (B, 2, 128, 64) (log-magnitude, IF), as :func:`to_if_spectrogram` makes them or a
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
    spec = torch.cat([spec, spec.new_zeros(spec.shape[0], N_FFT // 2 + 1 - BINS, spec.shape[2])], 1)  # nothing from 2 kHz up
    wave = torch.istft(spec, N_FFT, HOP, window=_window(image.device), center=True, length=SAMPLES)
    return wave.clamp(-1, 1).unsqueeze(1)
