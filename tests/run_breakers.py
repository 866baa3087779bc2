"""Ways to damage one file of a run folder, for the tests that show gankit reads past them: each
returns ``breaks(run)``, which damages ``run / name``."""

from __future__ import annotations

from pathlib import Path


def write(name: str, data: str | bytes):
    """Replace the file's content (text or bytes)."""
    def breaks(run: Path) -> None:
        path = run / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return breaks


def cut(name: str):
    """Keep the first half of a file (a copy that stopped half-way)."""
    def breaks(run: Path) -> None:
        path = run / name
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    return breaks


def replace_by_folder(name: str):
    """A folder where the file was."""
    def breaks(run: Path) -> None:
        (run / name).unlink()
        (run / name).mkdir()
    return breaks
