"""The results files the long benchmarks share: ``OUT/commands.json`` (suite -> the command that
made it) and ``OUT/<suite>/results.jsonl`` (one JSON row per finished run, the latest row per slug wins)."""

from __future__ import annotations

import json
from pathlib import Path


def load_commands(out: Path) -> dict:
    path = out / "commands.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def latest_rows(path: Path, order: list[str]) -> list[dict]:
    """The last row of each slug in ``path``, in the suite's ``order`` (unknown slugs last)."""
    if not path.is_file():
        return []
    latest = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        latest[row["slug"]] = row
    return sorted(latest.values(), key=lambda r: order.index(r["slug"]) if r["slug"] in order else len(order))
