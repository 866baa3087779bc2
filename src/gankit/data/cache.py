"""Cached renders of the offline datasets (emoji, translation tasks): one file per build, read back
with ``weights_only=True`` and written atomically, so a crash or a second process never leaves a
half-written cache behind."""

from __future__ import annotations

import os
from pathlib import Path

import torch


def read_blob(path: Path, format_tag: str) -> dict | None:
    """The cached dict at ``path`` if it exists and carries ``format_tag``, else None (build again)."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # missing, truncated or foreign
        return None
    if not isinstance(blob, dict) or blob.get("format") != format_tag:
        return None
    return blob


def write_blob(blob: dict, path: Path) -> None:
    """Save ``blob`` to ``path`` via a temporary file and an atomic rename; a read-only home skips it."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(blob, tmp)
        os.replace(tmp, path)
    except OSError:  # the data are used without being cached
        tmp.unlink(missing_ok=True)
