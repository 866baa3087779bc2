"""Making a run folder without losing the one it replaces.

``--overwrite`` used to delete the old run before the new one had shown it could start, so a new run
that failed on its data, its metrics or its config left the user with neither. Now the old folder is
set aside (renamed to a hidden sibling) and the new one is built in its place; once the new run has
made its first training step the old one is deleted, and if the new one fails before that, its
half-made folder is removed and the old run is put back. A new run that fails before its first step
(no old run) leaves no folder behind, so the same command can simply be run again.

:func:`check_location` refuses an ``--out`` that holds the current directory or the dataset: emptying
it would delete the user's working folder or data.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from . import run_lock
from .errors import GankitError
from .safe_write import make_folder


def check_location(out: Path, data_paths: list[str | None]) -> None:
    target = out.resolve()
    cwd = Path.cwd().resolve()
    if target == cwd or target in cwd.parents:
        raise GankitError(f"--out {out} is (or holds) the current directory; a run gets a folder of its own "
                          "(e.g. --out runs/NAME)")
    for data in data_paths:
        if not data:
            continue
        path = Path(data).expanduser()
        if path.exists() and (path.resolve() == target or target in path.resolve().parents):
            raise GankitError(f"--out {out} holds the dataset {data} (choose a run folder outside the data)")


class NewRunFolder:
    """``prepare()`` before anything is written, ``started()`` after the first step, ``failed()`` when
    training ends in an error, ``close()`` always (it releases the folder's lock)."""

    def __init__(self, out: Path, overwrite: bool):
        self.out, self.overwrite = Path(out), overwrite
        self.backup: Path | None = None
        self.created = False
        self.is_started = False
        self._lock = None

    def prepare(self) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise GankitError(f"--out {out} is a file (choose a folder name)")
        if out.is_symlink():
            raise GankitError(f"--out {out} is a symlink (give the real folder)")
        if out.is_dir() and any(out.iterdir()):
            if not self.overwrite:
                raise GankitError(f"run folder {out} already exists (use --resume {out} to continue it, "
                                  "--overwrite to replace it, or another --out)")
            if not (out / "config.yaml").is_file():
                raise GankitError(f"refusing to --overwrite {out}: it is not a gankit run folder (choose another --out)")
            old_lock = run_lock.acquire(out)  # not while another process trains it
            try:
                self.backup = out.with_name(f".{out.name}.replaced-{os.getpid()}")
                if self.backup.exists():
                    shutil.rmtree(self.backup)
                out.rename(self.backup)
            finally:
                old_lock.close()
        self.created = not out.is_dir()
        try:
            make_folder(out)
            self._lock = run_lock.acquire(out)
        except GankitError:  # e.g. a full disk: leave things as they were
            self.failed()
            raise

    def started(self) -> None:
        """The new run made its first step: the old one is gone for good."""
        if self.is_started:
            return
        self.is_started = True
        if self.backup is not None:
            shutil.rmtree(self.backup, ignore_errors=True)
            self.backup = None

    def failed(self) -> None:
        """The new run ended in an error: before its first step, leave things as they were."""
        if self.is_started:
            return
        self.close()
        if self.backup is not None or self.created:
            shutil.rmtree(self.out, ignore_errors=True)
        elif self.out.is_dir():  # it was an empty folder: empty again
            for child in self.out.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)
        self._restore()

    def _restore(self) -> None:
        if self.backup is not None and self.backup.exists():
            if self.out.exists():
                shutil.rmtree(self.out, ignore_errors=True)
            self.backup.rename(self.out)
            self.backup = None

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None
