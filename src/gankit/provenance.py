"""How a run was made, recorded in its ``config.yaml`` so a shared result can be made again:
the exact command line and the commit of gankit's own source.

The CLI tells this module its argv (:func:`set_command`); a run started from Python records the
interpreter's argv instead, marked ``python:``, since no gankit command line exists. The commit
is read with ``git`` from the folder gankit is imported from: an editable checkout has one (with
``-dirty`` when files differ from it), an installed wheel has none and records null; its
version is recorded beside it either way (``runtime.gankit``).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

_command: str | None = None
#: set by ``--nproc`` for the processes it starts: their own argv lacks ``--nproc N``
COMMAND_ENV = "GANKIT_COMMAND"


def set_command(argv: list[str]) -> None:
    """Called by :func:`gankit.cli.main` with the arguments after ``gankit``."""
    global _command
    _command = os.environ.get(COMMAND_ENV) or shlex.join(["gankit", *argv])


def command_line() -> str:
    """The gankit command that is running, or ``python: <argv>`` for the Python API."""
    return _command or "python: " + shlex.join(sys.argv)


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """gankit's source commit (40 hex, ``-dirty`` when the checkout has changes), or None."""
    source = Path(__file__).resolve().parent
    try:  # a wheel installed in a venv inside some other repository is not that repository's code
        tracked = subprocess.run(["git", "-C", str(source), "ls-files", "--error-unmatch", "__init__.py"],
                                 capture_output=True, text=True, timeout=5, check=False)
        head = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=False)
        if tracked.returncode != 0 or head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--untracked-files=no", "--", "."],
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):  # no git, or a hung one: the version alone says enough
        return None
    return head.stdout.strip() + ("-dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def record() -> dict:
    """What ``runtime`` gains: ``command`` and ``git_commit``."""
    return {"command": command_line(), "git_commit": git_commit()}
