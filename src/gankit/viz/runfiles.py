"""Reading the files of a run folder without loading any network (for pictures, reports and compare).

Why not ``gankit.load_run``: a report must work on a run whose checkpoint is missing or from a
newer model.

Why every reader here is tolerant: a run folder is written by a process that can be killed
mid-write (a half-written last line of ``metrics.jsonl``), copied half-way off a cluster (a cut
PNG) or edited by hand, and a report of it is wanted most exactly then. :class:`RunFiles` keeps what
parses, leaves the rest out, and says once per file what it left out and why, as
``gankit: warning: skipped <what> (<why>)`` on stderr. A file a run may simply not have yet
(``eval.json``, ``diagnostics.json``, ``samples/``, ``metrics.jsonl``) is no warning. Nothing here
writes.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

STEP_PNG = re.compile(r"step_(\d+)\.png$")
#: reasons listed in one warning line; the rest are counted
MAX_REASONS = 3


@dataclass(frozen=True)
class Skip:
    """Something left out of a run folder: ``what`` names the file (and how much of it), ``why`` the reason."""

    what: str
    why: str

    def __str__(self) -> str:
        return f"skipped {self.what} ({self.why})"


def print_warning(skip: Skip) -> None:
    print(f"gankit: warning: {skip}", file=sys.stderr)


def is_real(value) -> bool:
    """An int or float, not a bool (an evaluated number may be inf: the PSNR of identical images)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_number(value) -> bool:
    """A finite real: what a logged number must be to be plotted, summed or sorted."""
    return is_real(value) and math.isfinite(value)


def _is_step(value) -> bool:
    return isinstance(value, int) and is_real(value) and value >= 0


def _name(key) -> str:
    """A key as it reads in a warning (one line, short)."""
    return json.dumps(str(key))[1:-1][:40]


def _show(value) -> str:
    """A value as JSON on one line, cut short (it is quoted in a warning)."""
    text = json.dumps(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string"}.get(type(value), "a number" if is_number(value)
                                                                    else _show(value))


def _reasons(reasons: list[str]) -> str:
    more = len(reasons) - MAX_REASONS
    return "; ".join(reasons[:MAX_REASONS]) + (f"; and {more} more" if more > 0 else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def read_metrics(run_dir: str | Path) -> list[dict]:
    """The records of ``metrics.jsonl`` as :attr:`RunFiles.metrics` keeps them, without warnings
    (``Run.metrics()`` and the end-of-training curves)."""
    return RunFiles(run_dir, warn=None).metrics


def sample_frames(run_dir: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every ``samples/step_NNNNNN.png``, by step (by name: not checked to be readable)."""
    folder = Path(run_dir) / "samples"
    if not folder.is_dir():
        return []
    frames = []
    for p in folder.iterdir():
        m = STEP_PNG.match(p.name)
        if m:
            frames.append((int(m.group(1)), p))
    return sorted(frames)


def eval_features(info: dict) -> str | None:
    """The feature extractor id an ``eval.json`` ``info`` records (a dict with ``id`` or a plain name)."""
    extractor = info.get("extractor")
    extractor = extractor.get("id") if isinstance(extractor, dict) else extractor
    return extractor if isinstance(extractor, str) else None


class RunFiles:
    """The readable parts of one run folder. Each file is read once, on first use; what is left out
    is in :attr:`skipped` and passed to ``warn`` (default: one stderr line each; None: silent)."""

    def __init__(self, run_dir: str | Path, warn: Callable[[Skip], None] | None = print_warning):
        self.path = Path(run_dir)
        self.warn = warn
        self.skipped: list[Skip] = []
        self._pictures: dict[Path, bool] = {}

    def skip(self, what, why: str) -> None:
        skip = Skip(str(what), why)
        self.skipped.append(skip)
        if self.warn:
            self.warn(skip)

    def _bytes(self, path: Path) -> bytes | None:
        """The bytes of a file; None when it is absent (silently) or cannot be read (skipped)."""
        if not os.path.lexists(path):
            return None
        if path.is_dir():
            self.skip(path, "a folder, not a file")
            return None
        try:
            return path.read_bytes()
        except OSError as e:
            self.skip(path, f"cannot read it: {e.strerror or e}")
            return None

    def _json(self, name: str, fix: str = ""):
        """The JSON document in ``name``; None when absent or not JSON (skipped, with ``fix`` after the reason)."""
        path = self.path / name
        data = self._bytes(path)
        if data is None:
            return None
        try:
            return json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            self.skip(path, f"binary, not JSON text{fix}")
        except (ValueError, RecursionError):
            self.skip(path, f"not JSON{fix}" if data.strip() else f"empty{fix}")
        return None

    @cached_property
    def config(self) -> dict:
        """``config.yaml`` as a dict ({} when absent or not a YAML mapping)."""
        import yaml

        path = self.path / "config.yaml"
        data = self._bytes(path)
        if data is None:
            return {}
        try:
            doc = yaml.safe_load(data.decode("utf-8"))
        except (UnicodeDecodeError, yaml.YAMLError, RecursionError):
            doc = None
        if not isinstance(doc, dict):
            self.skip(path, "not a YAML mapping of train, data and runtime settings")
            return {}
        return doc

    def section(self, name: str) -> dict:
        """One section of the config (``train``, ``data``, ``runtime``), {} when it is not a mapping."""
        value = self.config.get(name)
        return value if isinstance(value, dict) else {}

    @cached_property
    def metrics(self) -> list[dict]:
        """The records of ``metrics.jsonl``: each line that is a JSON object with a ``step`` number.

        Within a kept record a value is dropped where it cannot be what the other records hold: a
        key that holds a finite number in most records that have it must hold one in every record
        (a string, null, NaN, a list there is garbage), and ``alarms`` must be a list of names."""
        path = self.path / "metrics.jsonl"
        data = self._bytes(path)
        if data is None:
            return []
        kept, bad_lines = [], []
        for i, line in enumerate(data.decode("utf-8", errors="replace").split("\n"), 1):  # as numbered in an editor
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                bad_lines.append(f"line {i}: not JSON")
                continue
            if not isinstance(record, dict):
                bad_lines.append(f"line {i}: {_kind(record)}, not a record")
            elif not _is_step(record.get("step")):
                bad_lines.append(f"line {i}: no step number")
            else:
                kept.append((i, record))
        bad_values = _drop_odd_values(kept)
        if bad_lines or bad_values:
            what = " and ".join(_plural(n, word) for n, word in ((len(bad_lines), "line"), (len(bad_values), "value"))
                                if n)
            self.skip(f"{what} of {path}", _reasons(bad_lines + bad_values))
        return [record for _, record in kept]

    @cached_property
    def eval(self) -> dict | None:
        """``eval.json`` as ``gankit eval`` writes it, or None when absent or unusable: ``metrics``
        and ``baseline`` (translation runs) hold only numbers (inf and NaN too) and lists of numbers,
        nested in dicts; ``info`` is a dict."""
        fix = f"; gankit eval {self.path} writes it anew"
        data = self._json("eval.json", fix)
        if data is None:
            return None
        path = self.path / "eval.json"
        if not isinstance(data, dict) or not isinstance(data.get("metrics"), dict):
            self.skip(path, ("no metrics object in it" if isinstance(data, dict) else
                             f"{_kind(data)}, not an object with metrics") + fix)
            return None
        bad: list[str] = []
        doc = {**data, "metrics": _numbers_only(data["metrics"], "metrics", bad),
               "baseline": _numbers_only(data.get("baseline", {}), "baseline", bad)}
        if not isinstance(data.get("info", {}), dict):
            bad.append(f"info is {_kind(data['info'])}")
        doc["info"] = data["info"] if isinstance(data.get("info"), dict) else {}
        if bad:
            self.skip(f"{_plural(len(bad), 'value')} of {path}", _reasons(bad))
        return doc

    @cached_property
    def episodes(self) -> list[dict] | None:
        """The alarm episodes of ``diagnostics.json`` (``alarm``, ``first_step``, ``last_step``,
        ``message``); None when it is absent or unreadable, so that the caller rebuilds them from
        the ``alarms`` of ``metrics.jsonl``."""
        data = self._json("diagnostics.json")
        if data is None:
            return None
        path = self.path / "diagnostics.json"
        episodes = data.get("episodes") if isinstance(data, dict) else None
        if not isinstance(episodes, list):
            if not isinstance(data, dict):
                why = f"{_kind(data)}, not an object with an episodes list"
            else:
                why = "no episodes list in it" if episodes is None else f"episodes is {_kind(episodes)}, not a list"
            self.skip(path, why)
            return None
        kept = [e for e in episodes if isinstance(e, dict) and isinstance(e.get("alarm"), str)]
        if len(kept) < len(episodes):
            self.skip(f"{len(episodes) - len(kept)} of {_plural(len(episodes), 'episode')} of {path}",
                      "not an object naming its alarm")
        step = lambda v: v if _is_step(v) else None  # noqa: E731
        return [{"alarm": e["alarm"], "first_step": step(e.get("first_step")), "last_step": step(e.get("last_step")),
                 "message": e.get("message") if isinstance(e.get("message"), str) else ""} for e in kept]

    def picture(self, path: Path) -> bool:
        """Whether ``path`` is a picture Pillow decodes whole. An absent one is False silently; a cut
        or unreadable one, or a folder in its place, is skipped (once)."""
        path = Path(path)
        if path not in self._pictures:
            there = os.path.lexists(path)
            why = _picture_problem(path) if there else None
            if why:
                self.skip(path, why)
            self._pictures[path] = there and why is None
        return self._pictures[path]

    @cached_property
    def frames(self) -> list[tuple[int, Path]]:
        """The readable ``samples/step_NNNNNN.png`` grids, by step."""
        return [(step, p) for step, p in sample_frames(self.path) if self.picture(p)]


def _picture_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole picture, or None."""
    from PIL import Image

    if path.is_dir():
        return "a folder, not a picture"
    try:
        with Image.open(path) as im:
            im.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        return f"not a whole picture: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    return None


def _drop_odd_values(kept: list[tuple[int, dict]]) -> list[str]:
    """Drop, in place, the values of ``(line number, record)`` pairs that cannot be what their key holds
    (see :attr:`RunFiles.metrics`); returns why each went."""
    votes: Counter = Counter()
    for _, record in kept:
        for key, value in record.items():
            votes[key] += 1 if is_number(value) else -1
    reasons = []
    for i, record in kept:
        for key, value in list(record.items()):
            if key == "alarms":
                odd = not (isinstance(value, list) and all(isinstance(a, str) for a in value))
            else:
                odd = votes[key] > 0 and not is_number(value)
            if odd:
                del record[key]
                reasons.append(f"line {i}: {_name(key)} is {_show(value)}, not "
                               + ("a list of alarm names" if key == "alarms" else "a number"))
    return reasons


def _numbers_only(values, where: str, bad: list[str]) -> dict:
    """The numbers, lists of numbers and (recursively) dicts of them in ``values``; why each other
    value went is added to ``bad``."""
    if not isinstance(values, dict):
        bad.append(f"{where} is {_kind(values)}")
        return {}
    out = {}
    for key, value in values.items():
        if isinstance(value, dict):
            out[key] = _numbers_only(value, f"{where}.{_name(key)}", bad)
        elif is_real(value) or (isinstance(value, list) and all(is_real(v) for v in value)):
            out[key] = value
        else:
            bad.append(f"{where}.{_name(key)} is {_show(value)}")
    return out
