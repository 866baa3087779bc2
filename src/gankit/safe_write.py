"""Writing a file without ever leaving half of it, or writing somewhere else.

Every file gankit writes goes through :func:`atomic_output`: the bytes go to a temporary file in
the same folder whose name is unique to the process (pid and a random part, so two evals or two
reports never share one), it is flushed, and only then renamed over the target. A crash or a full
disk therefore keeps the previous file whole, and a rename replaces a planted symlink itself rather
than writing through it. :func:`append_line` (``metrics.jsonl``) opens with ``O_NOFOLLOW``.

:func:`inside` keeps a derived path (a cache file named from a classifier's metadata, a picture
named from a step) inside the folder it belongs to, and a symlinked folder inside a run is refused.
A full disk becomes the one-line ``no space left on device for PATH`` (:func:`disk_full`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path
from typing import Iterator

from .errors import GankitError


def temp_name(path: Path) -> Path:
    """A hidden sibling of ``path``, unique to this process and call, with ``path``'s suffix (so
    writers that pick a format from it, Pillow and matplotlib, still do)."""
    return path.with_name(f".{path.stem}.tmp-{os.getpid()}-{secrets.token_hex(3)}{path.suffix}")


def is_temp_name(name: str) -> bool:
    return name.startswith(".") and ".tmp-" in name


def disk_full(path: Path, error: OSError) -> GankitError:
    """The one-line error for ENOSPC/EDQUOT, naming the device's free space."""
    try:
        free = shutil.disk_usage(path.parent if not path.is_dir() else path).free / 2**20
    except OSError:
        free = 0.0
    return GankitError(f"no space left on device for {path} ({free:.0f} MB free; free some space or choose "
                       "another --out)")


def check_no_symlink(path: Path, root: Path | None = None) -> None:
    """Refuse ``path`` if it, or a folder between ``root`` and it, is a symlink (a planted link in a
    run folder must not make gankit write outside it)."""
    path = Path(path)
    parts = [path]
    if root is not None:  # and every folder between root and path
        parts += [p for p in path.parents if Path(root) in p.parents]
    for p in parts:
        if p.is_symlink():
            raise GankitError(f"refusing to write through the symlink {p} (remove it, or choose another output)")


@contextlib.contextmanager
def atomic_output(path: str | Path, root: str | Path | None = None) -> Iterator[Path]:
    """``with atomic_output(p) as tmp: write tmp``; on success ``tmp`` replaces ``p`` in one rename.

    ``root`` is the folder ``p`` belongs to (a run folder): a symlink on the way is refused."""
    path = Path(path)
    check_no_symlink(path, root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise one_line_error(e, path, "write") from None
    if path.is_dir():
        raise GankitError(f"cannot write {path}: it is a folder (give a file name)")
    tmp = temp_name(path)
    try:
        yield tmp
        if tmp.exists():
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise one_line_error(e, path, "write") from None
    except RuntimeError as e:  # torch.save reports a full disk as "[enforce fail ...] unexpected pos"
        if _disk_is_full(path.parent):
            raise disk_full(path, e) from None
        raise
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def _disk_is_full(folder: Path) -> bool:
    """Whether ``folder``'s file system is (all but) out of space: checked while the failed temp file still
    holds what it could write, so a full disk shows as less than a few blocks free."""
    try:
        stat = os.statvfs(folder)
    except OSError:
        return False
    return stat.f_bavail * stat.f_frsize < 16 * max(stat.f_bsize, 4096)


def _blocking_file(path: Path) -> Path:
    for p in [*reversed(path.parents), path]:
        if p.exists() and not p.is_dir():
            return p
    return path.parent


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists (what decides whether ``path`` can be made)."""
    path = Path(os.path.abspath(path))
    for p in [path, *path.parents]:
        if p.exists():
            return p
    return Path("/")


def _unwritable(folder: Path) -> str | None:
    """Why nothing can be created in ``folder``, or None. ``os.access`` reports a read-only file system
    even to root, who passes every permission bit."""
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    return "read-only file system" if read_only else "permission denied"


def check_output_file(path: str | Path, flag: str = "--out") -> Path:
    """Refuse, before any work, an output file that could not be written: a folder, a path under a
    file, or one in a folder that is read-only. (Minutes of sampling or training must not end in a
    traceback at the last write.)"""
    path = Path(path)
    if path.is_dir():
        raise GankitError(f"{flag} {path} is a folder (give a file name)")
    _check_creatable(path.parent, path, flag)
    return path


def check_output_folder(path: str | Path, flag: str = "--out") -> Path:
    """Like :func:`check_output_file`, for an output folder (it may exist, or be made)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise GankitError(f"{flag} {path} is a file (choose a folder name)")
    _check_creatable(path, path, flag)
    return path


def _check_creatable(folder: Path, target: Path, flag: str) -> None:
    existing = _first_existing(folder)
    if not existing.is_dir():
        raise GankitError(f"cannot write {flag} {target}: {_blocking_file(Path(os.path.abspath(folder)))} is a file "
                          "(choose another path)")
    why = _unwritable(existing)
    if why:
        raise GankitError(f"cannot write {flag} {target}: {existing} is not writable ({why}; choose a folder you "
                          "can write)")


def make_folder(path: str | Path, flag: str = "--out") -> Path:
    """``mkdir -p`` whose failures (a file in the way, no permission, a read-only or full disk) are
    one-line errors."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise one_line_error(e, path, f"create {flag}") from None
    return path


def one_line_error(error: OSError, path: Path, verb: str) -> Exception:
    """The user's one-line error for an OSError met while trying to ``verb`` ``path`` (a full or
    read-only disk, no permission, a file where a folder should be); other errors are returned as they
    are, to be raised unchanged."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return disk_full(path, error)
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return GankitError(f"cannot {verb} {path}: {os.strerror(error.errno).lower()} (choose a folder you can "
                           "write)")
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        return GankitError(f"cannot {verb} {path}: {_blocking_file(path)} is a file (choose another path)")
    return error


def write_text(path: str | Path, text: str, root: str | Path | None = None) -> Path:
    with atomic_output(path, root) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(path: str | Path, data: bytes, root: str | Path | None = None) -> Path:
    with atomic_output(path, root) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def append_line(path: str | Path, line: str) -> None:
    """Append one line, never through a symlink (``O_NOFOLLOW``); a full disk is the one-line error."""
    path = Path(path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise GankitError(f"refusing to write through the symlink {path} (remove it)") from None
        raise one_line_error(e, path, "write") from None
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode())
    except OSError as e:
        raise one_line_error(e, path, "write") from None
    finally:
        os.close(fd)


def inside(folder: str | Path, name: str) -> Path:
    """``folder / name``, refused when ``name`` would leave ``folder`` (``..``, an absolute path, a
    separator): derived names come from files a user may have crafted."""
    folder = Path(folder)
    candidate = folder / name
    if Path(name).is_absolute() or os.sep in name or name in ("", ".", "..") or \
            candidate.resolve().parent != folder.resolve():
        raise GankitError(f"refusing the file name {name!r}: it leaves {folder} (a crafted name?)")
    return candidate


def remove_stale_temps(folder: str | Path) -> list[Path]:
    """Delete temporary files left in ``folder`` by writers that were killed (another live process's
    own temp files carry its pid and are kept)."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for p in folder.iterdir():
        if not is_temp_name(p.name) or p.is_dir():
            continue
        pid = _pid_of(p.name)
        if pid is not None and pid != os.getpid() and _alive(pid):
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    return removed


def _pid_of(name: str) -> int | None:
    tail = name.split(".tmp-", 1)[1]
    digits = tail.split("-", 1)[0].split(".", 1)[0]
    return int(digits) if digits.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
