"""16-bit PCM WAV in and out, and the one step that makes a synthesizer's output a dataset clip.

Why scipy.io.wavfile: it ships with scipy (already a dependency), reads and writes plain PCM WAV
without a native library, and torchaudio cannot be installed on our machines. Waves are float in
[-1, 1] inside gankit and int16 on disk and in the dataset caches (half the memory of float32, and
what every player expects); full scale is 32768, the same as :func:`gankit.data.base.to_model_space`.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError


def _as_mono(wave) -> np.ndarray:
    """float64 (samples,) from a tensor or array of shape (samples,) or (1, samples)."""
    x = wave.detach().cpu().double().numpy() if isinstance(wave, torch.Tensor) else np.asarray(wave, np.float64)
    if x.ndim == 2 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 1:
        raise GankitError(f"a wave must have shape (samples,) or (1, samples), not {tuple(x.shape)} "
                          "(pass one clip at a time)")
    return x


def to_int16(wave) -> np.ndarray:
    """Float waves in [-1, 1] (any shape, tensor or array) as int16 PCM: rounded, full scale 32768, clipped."""
    x = wave.detach().cpu().double().numpy() if isinstance(wave, torch.Tensor) else np.asarray(wave, np.float64)
    return np.clip(np.round(x * 32768.0), -32768, 32767).astype(np.int16)


def _check_rate(sample_rate) -> int:
    if not isinstance(sample_rate, (int, np.integer)) or int(sample_rate) <= 0:
        raise GankitError(f"sample rate must be a positive integer, not {sample_rate!r} (e.g. 16000)")
    return int(sample_rate)


def wav_bytes(wave, sample_rate: int) -> bytes:
    """The bytes of a mono 16-bit WAV file of ``wave`` (float in [-1, 1]): for ``<audio src=data:...>``
    in a web page or an HTML report, where no file should be written."""
    from scipy.io import wavfile

    buf = io.BytesIO()
    wavfile.write(buf, _check_rate(sample_rate), to_int16(_as_mono(wave)))
    return buf.getvalue()


def write_wav(path: str | Path, wave, sample_rate: int) -> Path:
    """Write ``wave`` (float in [-1, 1], (samples,) or (1, samples)) as mono 16-bit PCM, atomically
    (a temporary file renamed over ``path``: a crash never leaves half a WAV)."""
    from ..safe_write import atomic_output

    data = wav_bytes(wave, sample_rate)
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_bytes(data)
    return path


def read_wav(path: str | Path) -> tuple[torch.Tensor, int]:
    """(float32 tensor (channels, samples) in [-1, 1], sample rate) of a PCM or float WAV file."""
    from scipy.io import wavfile

    path = Path(path)
    if not path.is_file():
        raise GankitError(f"WAV file {path} not found (check the path)")
    try:
        rate, x = wavfile.read(path)
    except (ValueError, OSError) as e:
        raise GankitError(f"{path} is not a readable WAV file ({e}; write 16-bit PCM WAV)") from None
    if x.dtype == np.int16:
        y = x.astype(np.float32) / 32768.0
    elif x.dtype == np.int32:
        y = x.astype(np.float32) / 2147483648.0
    elif x.dtype == np.uint8:
        y = (x.astype(np.float32) - 128.0) / 128.0
    else:
        y = x.astype(np.float32)
    y = y[None, :] if y.ndim == 1 else y.T  # wavfile gives (samples, channels)
    return torch.from_numpy(np.ascontiguousarray(y)), int(rate)


def fit_clip(x: np.ndarray, length: int, peak: float = 0.9, threshold: float = 0.02) -> np.ndarray:
    """A synthesizer's mono output as a dataset clip: float64 of exactly ``length`` samples, peak ``peak``.

    The sound is the span between the first and last sample louder than ``threshold`` times the peak
    (silence around it dropped); it is centred in ``length`` samples with zeros either side, or, if
    longer, its middle ``length`` samples are kept. Peak normalization makes loudness no cue to the
    class (an espeak voice or a soundfont program is louder than another) and uses the int16 range
    without clipping. A silent input stays silent.
    """
    x = np.asarray(x, np.float64)
    top = np.abs(x).max() if x.size else 0.0
    out = np.zeros(length, np.float64)
    if top <= 0:
        return out
    loud = np.flatnonzero(np.abs(x) >= threshold * top)
    x = x[loud[0]:loud[-1] + 1]
    if len(x) > length:
        start = (len(x) - length) // 2
        x = x[start:start + length]
    start = (length - len(x)) // 2
    out[start:start + len(x)] = x * (peak / top)
    return out
