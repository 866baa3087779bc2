"""The on-disk cache of a synthesized sound dataset (spoken-digits, notes): ``clips.npy`` (int16,
N x samples), ``labels.npy`` and a JSON of how it was made, in one folder per cache version.

Why a folder written whole: building takes a minute or two of synthesizer calls, and two processes
(make data and a test) may build at once; writing into a temporary sibling and renaming it means a
reader sees the whole cache or none, never clips without their labels.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np


def read_clip_cache(folder: Path, meta_file: str, format_tag: str, length: int, per_clip: str) -> dict | None:
    """``{"clips", "labels", "meta"}`` from ``folder``, or None when it is absent, of another format or
    not whole (``meta[per_clip]`` must list one entry per clip)."""
    try:
        meta = json.loads((folder / meta_file).read_text())
        if meta.get("format") != format_tag:
            return None
        clips = np.load(folder / "clips.npy")
        labels = np.load(folder / "labels.npy")
    except (OSError, ValueError):
        return None
    if clips.dtype != np.int16 or clips.shape != (len(labels), length) or len(meta[per_clip]) != len(labels):
        return None
    return {"clips": clips, "labels": labels, "meta": meta}


def write_clip_cache(blob: dict, folder: Path, meta_file: str) -> None:
    """Into a temporary sibling folder, then one rename; a read-only home leaves nothing behind (the
    clips are then used without being cached)."""
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        np.save(tmp / "clips.npy", blob["clips"])
        np.save(tmp / "labels.npy", blob["labels"])
        (tmp / meta_file).write_text(json.dumps(blob["meta"], indent=1))
        if folder.exists():  # another process finished first, or a stale cache: replace it
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
