"""Reading the files of a run folder without loading any network (for pictures and reports).

Why not ``gankit.load_run``: a report must work on a run whose checkpoint is missing or from a
newer model, and a half-written last line of ``metrics.jsonl`` (a run killed mid-write) must not
stop it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

STEP_PNG = re.compile(r"step_(\d+)\.png$")


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The records of ``metrics.jsonl``; unreadable lines are skipped."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def sample_frames(run_dir: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every ``samples/step_NNNNNN.png``, by step."""
    folder = Path(run_dir) / "samples"
    if not folder.is_dir():
        return []
    frames = []
    for p in folder.iterdir():
        m = STEP_PNG.match(p.name)
        if m:
            frames.append((int(m.group(1)), p))
    return sorted(frames)


def read_json(path: str | Path) -> dict | list | None:
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, OSError):
        return None
