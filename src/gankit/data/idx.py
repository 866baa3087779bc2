"""MNIST-family datasets from their idx files (``fashion-mnist``, ``mnist``).

Where the files are looked for, in order:
1. ``--data-root`` (the folder itself, or torchvision's ``<root>/FashionMNIST/raw`` layout);
2. Debian's packages (``apt-get install dataset-fashion-mnist``: ``/usr/share/datasets/fashion-mnist``);
3. torchvision's download into ``--data-root`` (or ``~/.cache/gankit``), which needs a network.

The idx format is four bytes of magic (dtype code, number of dims), then big-endian dims, then
the raw array. Files may be gzipped or not. We parse them directly because torchvision's classes
with ``download=False`` expect their own folder layout and unpacked files.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from .base import Dataset, DataSpec

FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
DIGIT_CLASSES = tuple(str(i) for i in range(10))

_FAMILY = {
    # name: (torchvision class name, Debian folder, class names)
    "fashion-mnist": ("FashionMNIST", "/usr/share/datasets/fashion-mnist", FASHION_CLASSES),
    "mnist": ("MNIST", "/usr/share/datasets/mnist", DIGIT_CLASSES),
}
_SPLIT_PREFIX = {"train": "train", "test": "t10k"}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse one idx file (optionally gzipped) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise GankitError(f"cannot read {path}: {e} (re-download or reinstall the data files)") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _DTYPES:
        raise GankitError(f"{path} is not an idx file (point --data-root at the MNIST-format files)")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_DTYPES[raw[2]])
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - offset < expected:
        raise GankitError(f"{path} is truncated (re-download or reinstall the data files)")
    return np.frombuffer(raw, dtype=dtype, count=int(np.prod(dims)), offset=offset).reshape(dims)


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _candidate_folders(name: str, data_root: str | None) -> list[Path]:
    tv_name, debian, _ = _FAMILY[name]
    folders = []
    if data_root:
        root = Path(data_root).expanduser()
        folders += [root, root / name, root / tv_name / "raw"]
    folders.append(Path(debian))
    cache = Path(data_root).expanduser() if data_root else Path.home() / ".cache" / "gankit"
    folders.append(cache / tv_name / "raw")
    return folders


def locate(name: str, data_root: str | None = None) -> Path | None:
    """The first folder that holds all four idx files of ``name``, or None."""
    stems = [f"{p}-{kind}-idx{d}-ubyte" for p in _SPLIT_PREFIX.values() for kind, d in (("images", 3), ("labels", 1))]
    for folder in _candidate_folders(name, data_root):
        if all(_find(folder, s) for s in stems):
            return folder
    return None


def _download(name: str, data_root: str | None) -> Path:
    """torchvision's download, for users who are online. Raises a one-line error offline."""
    import torchvision.datasets as tvd

    tv_name, debian, _ = _FAMILY[name]
    root = Path(data_root).expanduser() if data_root else Path.home() / ".cache" / "gankit"
    hint = f"apt-get install dataset-{name}" if name == "fashion-mnist" else "download the idx files"
    try:
        for train in (True, False):
            getattr(tvd, tv_name)(str(root), train=train, download=True)
    except Exception as e:  # network errors come in many types; all mean "not available"
        raise GankitError(
            f"{name} files not found in {data_root or debian} and the download failed "
            f"({type(e).__name__}; {hint}, or pass --data-root DIR holding the idx files)"
        ) from None
    return root / tv_name / "raw"


def load_idx_dataset(name: str, split: str = "train", data_root: str | None = None, download: bool = True) -> Dataset:
    """Load a split (``train`` or ``test``) of an MNIST-family dataset as uint8 (N, 1, 28, 28)."""
    if split not in _SPLIT_PREFIX:
        raise GankitError(f"unknown split {split!r} (use train or test)")
    folder = locate(name, data_root)
    if folder is None:
        if data_root and not Path(data_root).expanduser().exists():
            raise GankitError(f"--data-root {data_root} does not exist (fix the path, or leave it out)")
        if not download:
            raise GankitError(f"{name} idx files not found (pass --data-root DIR holding them)")
        folder = _download(name, data_root)
    prefix = _SPLIT_PREFIX[split]
    images = read_idx(_find(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(folder, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.shape[0] != images.shape[0]:
        raise GankitError(f"{folder} holds idx files of unexpected shape (use the original MNIST-format files)")
    _, _, classes = _FAMILY[name]
    spec = DataSpec(name=name, kind="image", shape=(1, images.shape[1], images.shape[2]),
                    num_classes=len(classes), class_names=classes)
    data = torch.from_numpy(images.copy()).unsqueeze(1)
    return Dataset(spec, data, torch.from_numpy(labels.astype(np.int64)))
