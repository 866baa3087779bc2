"""Which data a run was trained on: where it is (resolved) and what it holds (a content hash).

A folder typed as ``./digits`` means nothing from another directory, and the same folder typed two
ways must find the same trained classifier and the same cached features. So a run stores the
resolved path, and lookups go by content:

- a folder's hash is SHA-256 over its image files (relative path and bytes, sorted), so it does
  not change with the path it is reached by, the size it is loaded at, or the split rule; it is
  what ``gankit features train`` names a folder's classifier by (:func:`gankit.metrics.weights.user_weights_path`);
- a built-in set's hash is that of its training images and labels as the run loaded them.

Both are 16 hex digits, recorded in ``config.yaml`` as ``runtime.dataset.hash``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import torch

from ..errors import GankitError
from .folder import folder_split, image_files


def is_folder(name: str | None) -> bool:
    """True when ``name`` is a folder on disk rather than a built-in set's name."""
    from . import DATASETS

    return bool(name) and name not in DATASETS and Path(name).expanduser().is_dir()


def resolve_dataset(name: str) -> str:
    """A folder's absolute path (``~`` and ``..`` resolved); a built-in name unchanged."""
    return str(Path(name).expanduser().resolve()) if is_folder(name) else name


def resolve_path(path: str | None) -> str | None:
    """``--data-root`` made absolute, so the run finds its data from any directory."""
    return str(Path(path).expanduser().resolve()) if path else path


def tensor_hash(*tensors: torch.Tensor | None) -> str:
    """SHA-256 (16 hex) of tensors' shapes and bytes (None ones skipped): images, then labels."""
    h = hashlib.sha256()
    for t in tensors:
        if t is not None:
            h.update(str(tuple(t.shape)).encode())
            h.update(t.contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def folder_hash(root: str | Path) -> str:
    """SHA-256 (16 hex) of a folder's image files: each one's relative path and bytes, sorted."""
    root = Path(root).expanduser().resolve()
    files = image_files(root)
    return _folder_hash(str(root), tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))


@lru_cache(maxsize=16)
def _folder_hash(root: str, files: tuple) -> str:  # cached per listing: eval and its classifier lookup read it twice
    h = hashlib.sha256()
    for path, _, _ in files:  # image files only, sorted (image_files)
        p = Path(path)
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()[:16]


def dataset_record(name: str, data_root: str | None, dataset) -> dict:
    """What ``config.yaml`` keeps under ``runtime.dataset``: the name as given, the resolved path of
    a folder (or of ``--data-root``), the content hash, the image counts and how the test split is made."""
    record = {"name": name, "path": None, "hash": None, "train_images": len(dataset), "test_split": None,
              "test_images": None}
    if is_folder(name):
        from .translation_folder import translation_layout

        record.update(path=resolve_dataset(name), hash=folder_hash(name))
        if translation_layout(name) is None:
            try:
                _, files, rule = folder_split(name, "test")
                record.update(test_split=rule, test_images=len(files))
            except GankitError:  # too few images to hold any out: there is no test split
                record.update(test_split="none (too few images to hold out a test split)", test_images=0)
        else:
            record["test_split"] = "the folder's test side (testA/ testB/, or test/)"
        return record
    record["path"] = resolve_path(data_root)
    if hasattr(dataset, "paired"):  # a translation task: both domains
        record["hash"] = tensor_hash(dataset.a, dataset.b)
    else:
        record["hash"] = tensor_hash(dataset.data, dataset.labels)
    kind = getattr(getattr(dataset, "spec", None), "kind", "image")
    record["test_split"] = "an independent draw of the mixture (seed 1)" if kind == "points" else "the official test split"
    return record
