"""Checkpoints: written atomically, read safely.

Atomic: the state is written to a temporary file in the same folder, flushed to disk, then
renamed over the target, so a crash or a full disk mid-write never destroys the previous good
checkpoint. Safe: files are read with ``weights_only=True``, so loading a checkpoint cannot run
code; that is why a checkpoint holds only tensors, numbers, strings, lists and dicts.

Format 2 holds the Game's state (every net and buffer), one optimizer per phase that owns one,
EMA copies and images seen. Format 1 (one G, one D, an objective, before Games existed) is
upgraded on load, so runs written before still sample and resume.
"""

from __future__ import annotations

import os
import reprlib
import shutil
import warnings
from pathlib import Path

import torch

from .errors import GankitError
from .safe_write import atomic_output

FORMAT = "gankit-checkpoint-2"
FORMAT_1 = "gankit-checkpoint-1"
#: what a damaged checkpoint's error says to do
RESTORE = "copy an earlier checkpoints/step_*.pt over last.pt, or train the run again"
#: the keys every run's checkpoint holds, and their types: sampling and resuming read them unguarded
RUN_KEYS = {"model": str, "step": int, "game": dict, "ema": dict, "optimizers": dict}


def save_atomic(state: dict, path: str | Path) -> None:
    """``torch.save`` through a per-process temporary file and one rename (:mod:`gankit.safe_write`);
    a full disk is the one-line error and the previous checkpoint stays whole."""
    path = Path(path)
    with atomic_output(path, root=path.parent.parent) as tmp:
        with open(tmp, "wb") as f:
            torch.save(state, f)
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def snapshot(src: str | Path, dst: str | Path) -> None:
    """Keep a copy of a checkpoint under another name (a hard link when the filesystem allows)."""
    src, dst = Path(src), Path(dst)
    if dst.exists():
        dst.unlink()
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """A gankit checkpoint file as a dict (format 1 upgraded); anything else is a one-line error."""
    path = Path(path)
    if path.is_dir():
        raise GankitError(f"checkpoint {path} is a folder, not a file ({RESTORE})")
    if not path.is_file():
        raise GankitError(f"no checkpoint at {path} (train the run first, or pick a run folder with checkpoints/last.pt)")
    try:
        with warnings.catch_warnings():  # torch warns of odd pickle protocols in a garbled file: one line, not two
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - weights_only runs no code, so any failure is a damaged or foreign file
        first = str(e).strip().splitlines()[0].split(". ")[0][:100] if str(e).strip() else type(e).__name__
        raise GankitError(f"checkpoint {path} is corrupt or not a gankit checkpoint ({first}; {RESTORE})") from None
    if isinstance(state, dict) and state.get("format") == FORMAT_1:
        try:
            return upgrade_format_1(state)
        except (KeyError, TypeError, AttributeError):
            raise GankitError(f"checkpoint {path} is a damaged format-1 checkpoint ({RESTORE})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GankitError(f"{path} is not a gankit checkpoint (expected format {FORMAT}; {RESTORE})")
    return state


def load_run_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """:func:`load_checkpoint`, then the keys a run's sampling and resuming read (:data:`RUN_KEYS`):
    a checkpoint edited, cut short or written by other code is a one-line error here, not a KeyError
    halfway through rebuilding the networks."""
    path = Path(path)
    state = load_checkpoint(path, map_location)
    for key, kind in RUN_KEYS.items():
        if key not in state:
            raise GankitError(f"checkpoint {path} has no '{key}' ({RESTORE})")
        value = state[key]
        if not isinstance(value, kind) or isinstance(value, bool) or (key == "step" and value < 0):
            wanted = "an integer >= 0" if kind is int else f"a {kind.__name__}"
            raise GankitError(f"checkpoint {path} holds {key} = {reprlib.repr(value)}, not {wanted} ({RESTORE})")
    return state


def upgrade_format_1(state: dict) -> dict:
    """A format-1 checkpoint as format 2: its G, D and objective are the nets and buffers of the
    LatentGame every format-1 model now is; images seen are counted from the data sampler on load."""
    game = {f"nets.G.{k}": v for k, v in state["G"].items()}
    game.update({f"nets.D.{k}": v for k, v in state["D"].items()})
    game.update({f"objective.{k}": v for k, v in state["objective"].items()})
    return {"format": FORMAT, "model": state["model"], "step": state["step"], "images": None,
            "train_seconds": state.get("train_seconds", 0.0), "game": game, "ema": {},
            "optimizers": {"D": state["opt_d"], "G": state["opt_g"]}, "phase_counts": {},
            "scaler": state.get("scaler"), "data": state["sampler"], "rng": state["rng"]}
