"""``spoken-digits``: the words "zero".."nine" spoken by Debian's espeak-ng, as 1-second 16 kHz clips.

Why: a spoken-digit set in the manner of the Speech Commands digits (the usual benchmark of audio
GANs) that needs no download: ``apt-get install espeak-ng`` is all. The speech is synthetic and
cleaner than real recordings, but it varies where a GAN must learn to vary: accent, voice, speed and
pitch.

What it is: every word spoken by every *voice*, a voice being one of :data:`ACCENTS` (espeak-ng's
eight English language voices) combined with one of :data:`VARIANTS` (sixteen of its voice variants:
male m1..m8, female f1..f5, and three Klatt-synthesizer voices), so 128 voices. Each voice speaks
each word at the same :data:`SETTINGS_PER_VOICE` (rate, pitch) settings, four of the 3 x 3 grid
:data:`RATES` x :data:`PITCHES`, picked by sha256 of the voice name (deterministic on every
machine). 128 voices x 4 settings x 10 words = 5,120 clips, 512 per word.

Each clip: espeak-ng's 22,050 Hz output, resampled to 16 kHz by ``scipy.signal.resample_poly``
(320/441, polyphase with an anti-aliasing filter), the silence around the word dropped, centred in
16,384 samples (1.024 s; the longest word at the slowest rate is shorter) with zeros either side, and
peak-normalized to 0.9 of full scale (:func:`gankit.audio.wav.fit_clip`), stored as int16.

Split, by voice: a voice (accent index ``a``, variant index ``v``) is *test* when ``(a + v) % 5 == 0``,
else *train*. So the test voices (26 of 128: 1,040 clips) are never heard in training, while every
accent and every variant still appears in both splits (in other combinations): a classifier or a GAN
is measured on voices it has not met. Labels are balanced in both splits (every voice says every word
equally often).

The cache, built once (98 s measured, two espeak-ng processes on a shared 2-core machine; 161 MB),
lives in ``$GANKIT_HOME/spoken-digits/v<N>/`` (default ``~/.cache/gankit``): ``clips.npy`` (int16,
N x 16384), ``labels.npy`` (int64) and ``voices.json`` (the voice, rate and pitch of every clip, and the
espeak-ng version). It is written to a temporary folder renamed into place, so a crash never leaves
half a cache; loading it needs no espeak-ng.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from .base import Dataset, DataSpec
from .clip_cache import read_clip_cache, write_clip_cache

INSTALL_HINT = "apt-get install espeak-ng, or run make data"
CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
#: espeak-ng's English language voices (its own voices, not the mbrola ones, which need extra packages)
ACCENTS = ("en", "en-us", "en-gb-scotland", "en-gb-x-gbclan", "en-gb-x-rp", "en-gb-x-gbcwmd", "en-029",
           "en-us-nyc")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
            "klatt4")
RATES = (130, 165, 200)     # words per minute (espeak-ng's default is 175)
PITCHES = (30, 50, 70)      # espeak-ng's 0..99 pitch scale (default 50)
SETTINGS_PER_VOICE = 4
SAMPLE_RATE = 16000
LENGTH = 16384
ESPEAK_RATE = 22050
TEST_MODULUS = 5
CACHE_VERSION = 1
_SPLITS = ("train", "test")


def voices() -> list[dict]:
    """Every voice: ``{"name": "en-us+m3", "accent", "variant", "split"}`` in (accent, variant) order."""
    out = []
    for a, accent in enumerate(ACCENTS):
        for v, variant in enumerate(VARIANTS):
            split = "test" if (a + v) % TEST_MODULUS == 0 else "train"
            out.append({"name": f"{accent}+{variant}", "accent": accent, "variant": variant, "split": split})
    return out


def settings_of(voice: str) -> list[tuple[int, int]]:
    """The (rate, pitch) settings ``voice`` speaks at: the first few of the grid in sha256 order."""
    grid = [(r, p) for r in RATES for p in PITCHES]
    grid.sort(key=lambda rp: hashlib.sha256(f"{voice}:{rp[0]}:{rp[1]}".encode()).digest())
    return sorted(grid[:SETTINGS_PER_VOICE])


SPLIT_RULE = (f"by voice (espeak-ng accent+variant): accent a, variant v is test when (a + v) % {TEST_MODULUS} == 0 "
              f"(26 of 128 voices); test voices never speak in train")


def espeak_path() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        raise GankitError(f"espeak-ng not found, spoken-digits is synthesized with it ({INSTALL_HINT})")
    return path


def espeak_version(exe: str | None = None) -> str:
    out = subprocess.run([exe or espeak_path(), "--version"], capture_output=True, text=True, timeout=30, check=False)
    return out.stdout.strip()


def _pcm_of(wav: bytes) -> np.ndarray:
    """The int16 samples of espeak-ng's ``--stdout`` WAV (its header gives no real length: a stream)."""
    at = wav.find(b"data")
    if not wav.startswith(b"RIFF") or at < 0:
        raise GankitError("espeak-ng wrote no WAV data (reinstall it: apt-get install --reinstall espeak-ng)")
    body = wav[at + 8:]
    return np.frombuffer(body[:len(body) // 2 * 2], dtype="<i2")


def synthesize(word: str, voice: str, rate: int, pitch: int, exe: str | None = None) -> np.ndarray:
    """One clip: int16 (16384,) at 16 kHz of ``voice`` saying ``word`` (see the module doc for the steps)."""
    from scipy.signal import resample_poly

    from ..audio.wav import fit_clip, to_int16

    run = subprocess.run([exe or espeak_path(), "-v", voice, "-s", str(rate), "-p", str(pitch), "--stdout", word],
                         capture_output=True, timeout=60, check=False)
    if run.returncode != 0:
        raise GankitError(f"espeak-ng failed on {word!r} with voice {voice} "
                          f"({run.stderr.decode(errors='replace').strip()[:200]}; reinstall espeak-ng)")
    x = _pcm_of(run.stdout).astype(np.float64) / 32768.0
    x = resample_poly(x, SAMPLE_RATE // 50, ESPEAK_RATE // 50)  # 320/441
    return to_int16(fit_clip(x, LENGTH))


def build(workers: int = 2) -> dict:
    """Synthesize every clip: ``{"clips" int16 (N, 16384), "labels" int64 (N,), "meta" dict}``.

    ``workers`` espeak-ng processes run at once (threads wait on them; the resampling is small)."""
    exe = espeak_path()
    jobs = []
    for vi, v in enumerate(voices()):
        for rate, pitch in settings_of(v["name"]):
            for label, word in enumerate(CLASS_NAMES):
                jobs.append((vi, rate, pitch, label, word))
    start = time.perf_counter()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        clips = list(pool.map(lambda j: synthesize(j[4], voices()[j[0]]["name"], j[1], j[2], exe), jobs))
    meta = {
        "format": f"gankit-spoken-digits-{CACHE_VERSION}",
        "espeak": espeak_version(exe),
        "voices": voices(),
        "clip_voice": [j[0] for j in jobs],
        "clip_rate": [j[1] for j in jobs],
        "clip_pitch": [j[2] for j in jobs],
        "sample_rate": SAMPLE_RATE,
        "build_seconds": round(time.perf_counter() - start, 1),
    }
    return {"clips": np.stack(clips), "labels": np.array([j[3] for j in jobs], np.int64), "meta": meta}


def cache_dir() -> Path:
    from ..metrics.weights import cache_home

    return cache_home() / "spoken-digits" / f"v{CACHE_VERSION}"


def _read(folder: Path) -> dict | None:
    return read_clip_cache(folder, "voices.json", f"gankit-spoken-digits-{CACHE_VERSION}", LENGTH, "clip_voice")


def _write(blob: dict, folder: Path) -> None:
    write_clip_cache(blob, folder, "voices.json")


@lru_cache(maxsize=1)
def _load(folder_str: str) -> dict:
    folder = Path(folder_str)
    blob = _read(folder)
    if blob is None:
        blob = build()
        _write(blob, folder)
    return blob


def load_cache() -> dict:
    """The whole set (built and cached first if needed)."""
    return _load(str(cache_dir()))


def split_indices(meta: dict, split: str) -> np.ndarray:
    if split not in _SPLITS:
        raise GankitError(f"spoken-digits has the splits train and test, not {split!r} (use train or test)")
    test_voice = np.array([v["split"] == "test" for v in meta["voices"]])
    is_test = test_voice[np.asarray(meta["clip_voice"])]
    return np.flatnonzero(is_test if split == "test" else ~is_test)


def spec() -> DataSpec:
    return DataSpec(name="spoken-digits", kind="audio", shape=(1, LENGTH), num_classes=len(CLASS_NAMES),
                    class_names=CLASS_NAMES,
                    extra={"sample_rate": SAMPLE_RATE, "source": "espeak-ng", "peak": 0.9})


def load_spoken_digits(split: str = "train") -> Dataset:
    """A split as int16 (N, 1, 16384) clips at 16 kHz with int64 word labels (0 = "zero")."""
    if split not in _SPLITS:
        raise GankitError(f"spoken-digits has the splits train and test, not {split!r} (use train or test)")
    blob = load_cache()
    idx = split_indices(blob["meta"], split)
    data = torch.from_numpy(blob["clips"][idx]).unsqueeze(1).contiguous()
    labels = torch.from_numpy(blob["labels"][idx]).contiguous()
    return Dataset(spec(), data, labels, split_rule=SPLIT_RULE)


def clip_voices(split: str = "train") -> list[str]:
    """The voice name of every clip of ``split``, aligned with ``load_spoken_digits(split)``."""
    meta = load_cache()["meta"]
    names = [v["name"] for v in meta["voices"]]
    return [names[meta["clip_voice"][i]] for i in split_indices(meta, split)]


def build_cache() -> Path:
    """Synthesize and save the cache unless it is there (``scripts/ensure-data.sh`` calls this)."""
    folder = cache_dir()
    existed = _read(folder) is not None
    blob = load_cache()
    if not existed:
        print(f"spoken-digits: synthesized {len(blob['labels'])} clips in {blob['meta']['build_seconds']:.0f} s "
              f"into {folder}")
    return folder


if __name__ == "__main__":
    build_cache()
