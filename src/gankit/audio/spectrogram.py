"""Spectrograms of waves with ``torch.stft``: the features of the audio classifier and the pictures of
audio samples.

Why torch.stft and a hand-built mel filterbank: torchaudio cannot be installed here, and both are a
few lines; everything stays a batched tensor op (on the GPU when the waves are there).

Waves are float in [-1, 1], shaped (N, 1, T), (N, T) or (T,). Magnitudes are scaled so that a
full-scale sine reads about 1.0 (0 dB) whatever ``n_fft`` is: a Hann window's gain is ``n_fft / 2``
and a real sine of amplitude 1 puts half its amplitude in its bin, hence the division by ``n_fft / 4``.
That absolute scale lets a picture of a generator's output be compared with one of real clips (a quiet
generator looks dark instead of being stretched to full contrast).
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..errors import GankitError


def _batch(waves: torch.Tensor) -> torch.Tensor:
    """(N, T) float from (N, 1, T), (N, T) or (T,)."""
    if not isinstance(waves, torch.Tensor):
        waves = torch.as_tensor(waves)
    if waves.dim() == 3:
        if waves.shape[1] != 1:
            raise GankitError(f"audio must be mono (N, 1, samples), not {tuple(waves.shape)} (average the channels)")
        waves = waves[:, 0]
    elif waves.dim() == 1:
        waves = waves[None]
    elif waves.dim() != 2:
        raise GankitError(f"audio must be shaped (N, 1, samples), (N, samples) or (samples,), not "
                          f"{tuple(waves.shape)} (reshape it)")
    return waves.float()


def magnitude(waves: torch.Tensor, n_fft: int = 512, hop: int = 128) -> torch.Tensor:
    """|STFT| (N, n_fft // 2 + 1, frames), Hann window, centred frames; a full-scale sine is about 1."""
    x = _batch(waves)
    window = torch.hann_window(n_fft, device=x.device)
    spec = torch.stft(x, n_fft, hop_length=hop, window=window, center=True, pad_mode="constant",
                      return_complex=True)
    return spec.abs() / (n_fft / 4)


def log_spectrogram(waves: torch.Tensor, n_fft: int = 512, hop: int = 128, floor_db: float = -100.0) -> torch.Tensor:
    """Log magnitude in dB (N, n_fft // 2 + 1, frames), floored at ``floor_db`` (silence has no log)."""
    mag = magnitude(waves, n_fft, hop)
    return 20.0 * torch.log10(mag.clamp_min(10 ** (floor_db / 20)))


def hz_to_mel(hz):
    """The HTK mel scale: 2595 log10(1 + f / 700)."""
    return 2595.0 * math.log10(1.0 + hz / 700.0) if isinstance(hz, (int, float)) else 2595.0 * torch.log10(1.0 + hz / 700.0)


def mel_to_hz(mel):
    return 700.0 * (10 ** (mel / 2595.0) - 1.0)


@lru_cache(maxsize=16)
def _mel_cpu(n_mels: int, n_fft: int, sample_rate: int, fmin: float, fmax: float) -> torch.Tensor:
    bins = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    edges = mel_to_hz(torch.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2, dtype=torch.float64))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (bins[None] - lower) / (centre - lower)
    down = (upper - bins[None]) / (upper - centre)
    bank = torch.clamp(torch.minimum(up, down), min=0.0)
    # a band narrower than a bin would be empty at low frequencies: give it its nearest bin
    empty = bank.sum(1) == 0
    if empty.any():
        nearest = (bins[None] - centre[empty]).abs().argmin(1)
        bank[empty.nonzero().flatten(), nearest] = 1.0
    return bank.float()  # peak 1 at each band's centre (HTK): a band sums the power of its bins


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, fmin: float = 0.0,
                   fmax: float | None = None, device=None) -> torch.Tensor:
    """Triangular HTK-mel filters (n_mels, n_fft // 2 + 1), 1 at each band's centre frequency."""
    fmax = sample_rate / 2 if fmax is None else fmax
    return _mel_cpu(int(n_mels), int(n_fft), int(sample_rate), float(fmin), float(fmax)).to(device)


def log_mel_spectrogram(waves: torch.Tensor, sample_rate: int = 16000, n_fft: int = 1024, hop: int = 128,
                        n_mels: int = 128, fmin: float = 0.0, floor_db: float = -100.0) -> torch.Tensor:
    """Log mel power in dB (N, n_mels, frames): the power of the bins under each triangular band, over the
    Hann window's noise bandwidth (1.5 bins), so that a full-scale sine still reads about 0 dB in any band
    (a sine's power spreads over about 1.5 bins), while broadband sound reads higher in the wider, high bands."""
    power = magnitude(waves, n_fft, hop).pow(2)
    mel = torch.matmul(mel_filterbank(n_mels, n_fft, sample_rate, fmin, device=power.device), power) / 1.5
    return 10.0 * torch.log10(mel.clamp_min(10 ** (floor_db / 10)))


def spectrogram_image(waves: torch.Tensor, sample_rate: int = 16000, mel: bool = True, db_range: float = 80.0,
                      n_fft: int = 1024, hop: int = 128, n_mels: int = 128) -> torch.Tensor:
    """uint8 (N, 1, H, W) pictures of the waves' spectrograms for picture grids: 0 dB (a full-scale
    sine) is white, ``-db_range`` dB and below black, low frequencies at the bottom, time left to right.

    With the defaults a 16,384-sample clip is a 128 x 128 picture (128 mel bands, 128 frames: the last,
    half-empty frame is dropped), the size gankit's image grids handle.
    """
    if mel:
        db = log_mel_spectrogram(waves, sample_rate, n_fft, hop, n_mels)
    else:
        db = log_spectrogram(waves, n_fft, hop)
    if db.shape[-1] > 1:
        db = db[..., :-1]
    scaled = (db + db_range) / db_range * 255.0
    return scaled.clamp(0, 255).round().to(torch.uint8).flip(1).unsqueeze(1)
