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
import pickle
import shutil
from pathlib import Path

import torch

from .errors import GankitError
from .safe_write import atomic_output

FORMAT = "gankit-checkpoint-2"
FORMAT_1 = "gankit-checkpoint-1"


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
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"no checkpoint at {path} (train the run first, or pick a run folder with checkpoints/last.pt)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, ValueError, OSError) as e:
        first = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise GankitError(f"checkpoint {path} is corrupt or not a gankit checkpoint ({first}); "
                          "use another snapshot from checkpoints/") from None
    if isinstance(state, dict) and state.get("format") == FORMAT_1:
        return upgrade_format_1(state)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise GankitError(f"{path} is not a gankit checkpoint (expected format {FORMAT})")
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
