"""The fundamental frequency of a note: YIN (de Cheveigne & Kawahara 2002), batched in torch.

Why YIN: plain autocorrelation peaks at multiples of the period as much as at the period, so it
makes octave errors on the bright, harmonic-rich notes of the ``notes`` set; YIN's cumulative-mean
normalized difference takes the *first* lag whose dip goes under a threshold, which is the period
for all but breathy notes, and it needs nothing but a few FFTs.

How: in each of ``frames`` windows of 2,048 samples spread over the clip's steady part (from 0.1 s:
after the attack), the difference function d(tau) = sum (x_j - x_{j+tau})^2 is computed through the
FFT autocorrelation, normalized (d'(tau) = d(tau) tau / sum_{k<=tau} d(k)), and the first minimum
under ``threshold`` (else the smallest) is refined by a parabola through its neighbours. The clip's
f0 is the median over frames with sound (silent frames are ignored). A silent clip gives NaN.
"""

from __future__ import annotations

import math

import torch

from ..errors import GankitError


def midi_of(hz) -> torch.Tensor:
    """MIDI note number (float) of a frequency: 69 + 12 log2(f / 440); NaN for f <= 0 or NaN."""
    hz = torch.as_tensor(hz, dtype=torch.float64)
    out = 69.0 + 12.0 * torch.log2(hz / 440.0)
    return torch.where(hz > 0, out, torch.full_like(out, math.nan))


def hz_of(midi) -> torch.Tensor:
    """Frequency of a MIDI note number: 440 * 2 ** ((m - 69) / 12)."""
    return 440.0 * 2.0 ** ((torch.as_tensor(midi, dtype=torch.float64) - 69.0) / 12.0)


def cents_off(hz, midi) -> torch.Tensor:
    """How far ``hz`` is from the pitch of MIDI note ``midi``, in cents (100 a semitone); NaN stays NaN."""
    return 100.0 * (midi_of(hz) - torch.as_tensor(midi, dtype=torch.float64))


def _frames(x: torch.Tensor, sample_rate: int, window: int, max_lag: int, frames: int) -> torch.Tensor:
    """(N, frames, window + max_lag) segments of (N, T), evenly spread from 0.1 s (or the start)."""
    need = window + max_lag
    t = x.shape[1]
    if t < need:
        x = torch.nn.functional.pad(x, (0, need - t))
        t = need
    first = min(int(0.1 * sample_rate), t - need)
    starts = torch.linspace(first, t - need, frames).round().long() if frames > 1 else torch.tensor([first])
    idx = (starts[:, None] + torch.arange(need)[None]).to(x.device)
    return x[:, idx]


def estimate_f0(waves: torch.Tensor, sample_rate: int, fmin: float = 50.0, fmax: float = 2000.0,
                threshold: float = 0.15, frames: int = 5, window: int = 2048) -> torch.Tensor:
    """f0 in Hz (float64, shape (N,)) of each clip of ``waves`` ((N, 1, T), (N, T) or (T,)); NaN if silent."""
    from .spectrogram import _batch

    if not (0 < fmin < fmax < sample_rate / 2):
        raise GankitError(f"pitch range {fmin}..{fmax} Hz must lie within 0..{sample_rate / 2} Hz "
                          "(pass fmin < fmax below half the sample rate)")
    x = _batch(waves).double()
    n = x.shape[0]
    min_lag = max(2, math.floor(sample_rate / fmax))
    max_lag = math.ceil(sample_rate / fmin) + 2
    seg = _frames(x, sample_rate, window, max_lag, frames).reshape(n * frames, -1)
    seg = seg - seg.mean(1, keepdim=True)
    a = seg[:, :window]
    size = 1 << (window + max_lag - 1).bit_length()  # no wrap-around reaches lags 0..max_lag
    corr = torch.fft.irfft(torch.fft.rfft(seg, size).mul(torch.fft.rfft(a, size).conj()), size)[:, :max_lag + 1]
    sq = torch.nn.functional.pad(seg.pow(2).cumsum(1), (1, 0))
    lags = torch.arange(max_lag + 1, device=x.device)
    e_shift = sq[:, lags + window] - sq[:, lags]        # sum_{j<window} x_{j+tau}^2
    d = (sq[:, window:window + 1] + e_shift - 2 * corr).clamp_min(0)
    cum = d[:, 1:].cumsum(1)
    dn = torch.ones_like(d)
    dn[:, 1:] = d[:, 1:] * lags[1:] / cum.clamp_min(1e-300)

    # the first lag (>= min_lag) under the threshold, walked down to its local minimum
    region = dn[:, min_lag:max_lag]
    under = region < threshold
    has = under.any(1)
    first = torch.where(has, under.float().argmax(1), region.argmin(1))
    tau = first + min_lag
    # walk down to the local minimum: the first lag from tau on whose next lag is no lower
    stop = torch.ones_like(dn, dtype=torch.bool)
    stop[:, :-1] = dn[:, 1:] >= dn[:, :-1]
    stop &= lags[None] >= tau[:, None]
    tau = stop.float().argmax(1).clamp(min=1, max=max_lag - 1)
    # parabolic interpolation around tau
    left = dn.gather(1, (tau - 1)[:, None])[:, 0]
    mid = dn.gather(1, tau[:, None])[:, 0]
    right = dn.gather(1, (tau + 1).clamp(max=max_lag)[:, None])[:, 0]
    denom = left - 2 * mid + right
    shift = torch.where(denom.abs() > 1e-12, 0.5 * (left - right) / denom, torch.zeros_like(denom)).clamp(-1, 1)
    f0 = sample_rate / (tau.double() + shift)

    energy = a.pow(2).mean(1)
    loud = energy > 1e-8
    f0 = torch.where(loud, f0, torch.full_like(f0, math.nan)).reshape(n, frames)
    return f0.nanmedian(1).values
