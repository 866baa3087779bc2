"""``notes``: single instrument notes rendered by fluidsynth from Debian's General MIDI soundfont.

Why: a pitched-note set in the manner of the musical-note sets audio GANs are shown on (GANSynth's),
that needs no download: ``apt-get install fluidsynth fluid-soundfont-gm``. A note's pitch is known
exactly (it is the MIDI note asked for), so a generator's pitch can be checked by
:func:`gankit.metrics.audio.pitch_accuracy`.

What it is: :data:`PITCHES` (24 MIDI notes, C3..B4, 131..494 Hz) x :data:`INSTRUMENTS` (20 melodic
General MIDI programs) x :data:`VELOCITIES` (5) = 2,400 notes. Each program's notes are written by hand
into one small MIDI file (header, one track: tempo, program change, then every note held 0.75 s, an
"all sound off" 1.5 s after its onset and the next note 2 s after it), rendered once by
``fluidsynth -F`` with ``/usr/share/sounds/sf2/FluidR3_GM.sf2`` straight at 16 kHz, reverb and chorus
off (so each note is dry and the render is the same on every run). A clip is the 16,384 samples
(1.024 s) from its note's onset: the attack at the start, the release inside, as in those sets;
the two stereo channels are averaged and every clip is peak-normalized to 0.9 of full scale (the
velocity layers then differ in timbre, not in loudness). Stored as int16.

Labels are the pitch's index in :data:`PITCHES` (class names like ``"C4"``); ``spec.extra`` holds
``sample_rate``, ``midi_pitches`` (the MIDI number of each class) and ``instruments`` (GM program
names), ``programs`` (their 0-based GM numbers).

Split, by instrument: the four programs of :data:`TEST_INSTRUMENTS` (Electric Piano 1, Electric
Guitar (jazz), Cello, Clarinet: each a cousin of a train instrument) are *test*, the other 16 are
*train* (1,920 train and 480 test notes). Every pitch and velocity is in both splits (labels balanced:
80 train and 20 test notes per pitch); a test timbre is never heard in training.

The cache, built once (17 s measured, two fluidsynth processes; 76 MB), lives in
``$GANKIT_HOME/notes/v<N>/`` (default ``~/.cache/gankit``): ``clips.npy`` (int16, N x 16384),
``labels.npy``, ``notes.json`` (program, pitch, velocity of every clip), written to a temporary folder
renamed into place; loading it needs no fluidsynth.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from .base import Dataset, DataSpec
from .clip_cache import read_clip_cache, write_clip_cache

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
INSTALL_HINT = "apt-get install fluidsynth fluid-soundfont-gm, or run make data"
#: (0-based General MIDI program, name)
INSTRUMENTS = (
    (0, "Acoustic Grand Piano"), (4, "Electric Piano 1"), (6, "Harpsichord"), (11, "Vibraphone"),
    (12, "Marimba"), (19, "Church Organ"), (21, "Accordion"), (24, "Acoustic Guitar (nylon)"),
    (26, "Electric Guitar (jazz)"), (33, "Electric Bass (finger)"), (40, "Violin"), (42, "Cello"),
    (48, "String Ensemble 1"), (56, "Trumpet"), (57, "Trombone"), (65, "Alto Sax"), (68, "Oboe"),
    (71, "Clarinet"), (73, "Flute"), (80, "Lead 1 (square)"),
)
TEST_INSTRUMENTS = (4, 26, 42, 71)
PITCHES = tuple(range(48, 72))          # C3 .. B4
VELOCITIES = (40, 64, 88, 112, 127)
SAMPLE_RATE = 16000
LENGTH = 16384
PEAK = 0.9
CACHE_VERSION = 1
_SLOT_SECONDS = 2.0
_HOLD_SECONDS = 0.75
_SILENCE_SECONDS = 1.5
_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_SPLITS = ("train", "test")

SPLIT_RULE = ("by instrument: GM programs " + ", ".join(name for p, name in INSTRUMENTS if p in TEST_INSTRUMENTS)
              + " are test, the other 16 train; every pitch and velocity is in both")


def note_name(midi: int) -> str:
    """``60`` -> ``"C4"`` (scientific pitch notation, middle C = C4)."""
    return f"{_NAMES[midi % 12]}{midi // 12 - 1}"


CLASS_NAMES = tuple(note_name(p) for p in PITCHES)


def _require_tools() -> str:
    exe = shutil.which("fluidsynth")
    if exe is None:
        raise GankitError(f"fluidsynth not found, the notes dataset is rendered with it ({INSTALL_HINT})")
    if not SOUNDFONT.is_file():
        raise GankitError(f"soundfont {SOUNDFONT} not found, the notes dataset is rendered with it ({INSTALL_HINT})")
    return exe


def _vlq(n: int) -> bytes:
    """A MIDI variable-length quantity (7 bits a byte, high bit = more follow)."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def midi_file(program: int, notes: list[tuple[int, int]], ticks_per_beat: int = 480) -> bytes:
    """A format-0 Standard MIDI File: ``program`` on channel 0 playing ``notes`` ((pitch, velocity)),
    one every 2 s, each held 0.75 s and silenced (controller 120, all sound off) 1.5 s after its onset.
    Tempo 120 bpm, so 960 ticks a second."""
    tps = 2 * ticks_per_beat
    hold = round(_HOLD_SECONDS * tps)
    silence = round(_SILENCE_SECONDS * tps) - hold
    rest = round(_SLOT_SECONDS * tps) - hold - silence
    track = _vlq(0) + bytes([0xFF, 0x51, 3]) + (500_000).to_bytes(3, "big")  # 0.5 s a beat
    track += _vlq(0) + bytes([0xC0, program])
    gap = 0
    for pitch, velocity in notes:
        track += _vlq(gap) + bytes([0x90, pitch, velocity])
        track += _vlq(hold) + bytes([0x80, pitch, 0])
        track += _vlq(silence) + bytes([0xB0, 120, 0])
        gap = rest
    track += _vlq(rest) + bytes([0xFF, 0x2F, 0])
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, ticks_per_beat)
    return header + b"MTrk" + struct.pack(">I", len(track)) + track


def render_program(program: int, notes: list[tuple[int, int]], exe: str | None = None) -> np.ndarray:
    """int16 (len(notes), 16384): each note's first 1.024 s, mono, peak-normalized."""
    from scipy.io import wavfile

    from ..audio.wav import to_int16

    exe = exe or _require_tools()
    with tempfile.TemporaryDirectory(prefix="gankit-notes-") as tmp:
        mid, wav = Path(tmp) / "notes.mid", Path(tmp) / "notes.wav"
        mid.write_bytes(midi_file(program, notes))
        run = subprocess.run([exe, "-ni", "-q", "-C0", "-R0", "-g", "0.5", "-r", str(SAMPLE_RATE), "-T", "wav",
                              "-F", str(wav), str(SOUNDFONT), str(mid)], capture_output=True, timeout=600, check=False)
        if run.returncode != 0 or not wav.is_file():
            raise GankitError(f"fluidsynth failed to render GM program {program} "
                              f"({run.stderr.decode(errors='replace').strip()[:200]}; reinstall fluidsynth)")
        rate, x = wavfile.read(wav)
    if rate != SAMPLE_RATE:
        raise GankitError(f"fluidsynth rendered at {rate} Hz, not {SAMPLE_RATE} (upgrade fluidsynth)")
    x = x.astype(np.float64).reshape(len(x), -1).mean(axis=1) / 32768.0
    slot = round(_SLOT_SECONDS * SAMPLE_RATE)
    x = np.pad(x, (0, max(0, slot * len(notes) - len(x))))
    clips = x[:slot * len(notes)].reshape(len(notes), slot)[:, :LENGTH]
    peak = np.abs(clips).max(axis=1, keepdims=True)
    clips = np.where(peak > 0, clips * (PEAK / np.maximum(peak, 1e-12)), 0.0)
    return to_int16(clips)


def build(workers: int = 2) -> dict:
    """Render every note: ``{"clips" int16 (N, 16384), "labels" int64 (N,), "meta" dict}``."""
    exe = _require_tools()
    notes = [(p, v) for p in PITCHES for v in VELOCITIES]
    start = time.perf_counter()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        parts = list(pool.map(lambda prog: render_program(prog[0], notes, exe), INSTRUMENTS))
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout.splitlines()
    n = len(notes)
    meta = {
        "format": f"gankit-notes-{CACHE_VERSION}",
        "fluidsynth": version[0] if version else "",
        "soundfont": str(SOUNDFONT),
        "soundfont_bytes": SOUNDFONT.stat().st_size,
        "instruments": [{"program": p, "name": name, "split": "test" if p in TEST_INSTRUMENTS else "train"}
                        for p, name in INSTRUMENTS],
        "clip_instrument": [i for i in range(len(INSTRUMENTS)) for _ in range(n)],
        "clip_pitch": [p for _ in INSTRUMENTS for p, _v in notes],
        "clip_velocity": [v for _ in INSTRUMENTS for _p, v in notes],
        "sample_rate": SAMPLE_RATE,
        "build_seconds": round(time.perf_counter() - start, 1),
    }
    labels = np.array([PITCHES.index(p) for p in meta["clip_pitch"]], np.int64)
    return {"clips": np.concatenate(parts), "labels": labels, "meta": meta}


def cache_dir() -> Path:
    from ..metrics.weights import cache_home

    return cache_home() / "notes" / f"v{CACHE_VERSION}"


def _read(folder: Path) -> dict | None:
    return read_clip_cache(folder, "notes.json", f"gankit-notes-{CACHE_VERSION}", LENGTH, "clip_pitch")


def _write(blob: dict, folder: Path) -> None:
    write_clip_cache(blob, folder, "notes.json")


@lru_cache(maxsize=1)
def _load(folder_str: str) -> dict:
    folder = Path(folder_str)
    blob = _read(folder)
    if blob is None:
        blob = build()
        _write(blob, folder)
    return blob


def load_cache() -> dict:
    """The whole set (rendered and cached first if needed)."""
    return _load(str(cache_dir()))


def split_indices(meta: dict, split: str) -> np.ndarray:
    if split not in _SPLITS:
        raise GankitError(f"notes has the splits train and test, not {split!r} (use train or test)")
    test = np.array([i["split"] == "test" for i in meta["instruments"]])[np.asarray(meta["clip_instrument"])]
    return np.flatnonzero(test if split == "test" else ~test)


def spec() -> DataSpec:
    return DataSpec(name="notes", kind="audio", shape=(1, LENGTH), num_classes=len(PITCHES), class_names=CLASS_NAMES,
                    extra={"sample_rate": SAMPLE_RATE, "midi_pitches": list(PITCHES),
                           "instruments": [name for _, name in INSTRUMENTS],
                           "programs": [p for p, _ in INSTRUMENTS], "velocities": list(VELOCITIES), "peak": PEAK})


def load_notes(split: str = "train") -> Dataset:
    """A split as int16 (N, 1, 16384) clips at 16 kHz with int64 pitch labels (index into PITCHES)."""
    if split not in _SPLITS:
        raise GankitError(f"notes has the splits train and test, not {split!r} (use train or test)")
    blob = load_cache()
    idx = split_indices(blob["meta"], split)
    data = torch.from_numpy(blob["clips"][idx]).unsqueeze(1).contiguous()
    return Dataset(spec(), data, torch.from_numpy(blob["labels"][idx]).contiguous(), split_rule=SPLIT_RULE)


def clip_info(split: str = "train") -> list[dict]:
    """``[{"instrument", "program", "midi", "velocity"}, ...]`` aligned with ``load_notes(split)``."""
    meta = load_cache()["meta"]
    out = []
    for i in split_indices(meta, split):
        inst = meta["instruments"][meta["clip_instrument"][i]]
        out.append({"instrument": inst["name"], "program": inst["program"], "midi": meta["clip_pitch"][i],
                    "velocity": meta["clip_velocity"][i]})
    return out


def build_cache() -> Path:
    """Render and save the cache unless it is there (``scripts/ensure-data.sh`` calls this)."""
    folder = cache_dir()
    existed = _read(folder) is not None
    blob = load_cache()
    if not existed:
        print(f"notes: rendered {len(blob['labels'])} notes in {blob['meta']['build_seconds']:.0f} s into {folder}")
    return folder


if __name__ == "__main__":
    build_cache()
