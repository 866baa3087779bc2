"""One training process per run folder: an exclusive ``fcntl`` lock held for the life of training.

Two trainings of one folder (two ``--overwrite``, two ``--resume``) would interleave their
``metrics.jsonl`` and race on ``last.pt``. The lock lives in ``RUN/.lock``, holds the holder's pid
for the message, and is released by the kernel when the process ends however it ends (a SIGKILL
leaves no stale lock to clean up, unlike a pid file).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Iterator

from .errors import GankitError
from .safe_write import one_line_error

LOCK_NAME = ".lock"


def acquire(run_dir: str | Path):
    """Take the lock of ``run_dir`` (created if needed); returns the open file that holds it.
    Another holder: a one-line error naming its pid."""
    path = Path(run_dir) / LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        raise GankitError(f"cannot lock {run_dir} ({os.strerror(e.errno).lower()}; check the folder's "
                          "permissions)") from None
    f = os.fdopen(fd, "r+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = f.read().strip() or "another process"
        f.close()
        raise GankitError(f"run folder {run_dir} is being trained by pid {holder} (wait for it to finish, stop "
                          "it, or choose another --out)") from None
    try:  # unbuffered, so a full disk fails here and not again when the file is closed
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    except OSError as e:  # a full disk: nothing could be trained here anyway
        f.close()
        raise one_line_error(e, path, "write") from None
    return f


def holder(run_dir: str | Path) -> int | None:
    """The pid training ``run_dir`` now, or None when no process holds its lock."""
    path = Path(run_dir) / LOCK_NAME
    if not path.is_file():
        return None
    with open(path, "r+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            text = f.read().strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(f, fcntl.LOCK_UN)
    return None


@contextlib.contextmanager
def locked(run_dir: str | Path, enabled: bool = True) -> Iterator[None]:
    handle = acquire(run_dir) if enabled else None
    try:
        yield
    finally:
        if handle is not None:
            handle.close()
