"""Shared checks for driving the CLI with bad input: the exit code, the single stderr line in the
``gankit: error: <what> (<how to fix>)`` form, and folders left byte-identical."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from gankit.cli import main


def run_cli(capsys, argv):
    """``gankit ARGV`` in this process: (exit code, stdout, stderr); argparse's exits included."""
    try:
        rc = main(argv)
    except SystemExit as e:
        rc = e.code
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_error(capsys, argv, *needles, code=2, fix=True):
    """Run ARGV and assert it failed with one ``gankit: error:`` line holding every needle.

    ``fix``: the line also names the fix, as ``(...)`` closing it (the convention of gankit.errors)."""
    rc, _, err = run_cli(capsys, argv)
    lines = err.strip().splitlines()
    assert rc == code and len(lines) == 1 and lines[0].startswith("gankit: error: "), (rc, err)
    line = lines[0]
    for needle in needles:
        assert needle in line, (needle, line)
    if fix:
        assert line.rstrip(".").endswith(")") and " (" in line, f"no '(how to fix)' part: {line}"
    return line


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (a symlink by its target's name) and its sha256."""
    out = {}
    for p in sorted(Path(folder).rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(folder))] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out
