"""Cached renders of the offline datasets (emoji, translation tasks): one file per build, read back
with ``weights_only=True`` and written atomically, so a crash or a second process never leaves a
half-written cache behind."""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import GankitError
from ..safe_write import atomic_output


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
    try:
        with atomic_output(path) as tmp:
            torch.save(blob, tmp)
    except (OSError, GankitError):  # the data are used without being cached
        pass
