"""A folder of images as a dataset (``--dataset path/to/dir``).

Images (PNG, JPEG, BMP, WebP) are found recursively. If the images sit in subfolders of the root,
each subfolder is a class and gives the label. Every image is decoded, converted and resized
once, here, at load time; training then never touches PIL.

The test split, so that no number is measured on the images G was trained on:

- a ``test/`` subfolder when there is one (laid out like the rest: class subfolders or flat); the
  training split is then ``train/`` when it exists, else every other image of the folder;
- else a seeded held-out share: :data:`TEST_FRACTION` of each class, the images whose
  ``sha256(seed:relative path)`` sorts first. Per file, not per position, so adding an image to
  the folder moves no other image between the splits. The rule is recorded in a run's
  ``config.yaml`` (``runtime.dataset.test_split``) and printed beside every number.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from .base import Dataset, DataSpec

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
#: the share of each class held out as the test split of a folder without a test/ subfolder
TEST_FRACTION = 0.1
#: the salt of the held-out choice (recorded with the run; changing it would change every folder's split)
SPLIT_SEED = 0


def _open_image(path: Path, channels: int, size: int | None):
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            im = _to_8_bit(im).convert("L" if channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise GankitError(f"cannot read image {path}: {e} (remove or replace the file)") from None
    if size is not None:
        im = _resize_center_crop(im, size)
    return np.asarray(im, dtype=np.uint8)


def _to_8_bit(im):
    """16-bit gray (modes I;16*, and I as Pillow opens 16-bit PNGs) scaled to 0..255: Pillow's own
    convert("L") clips it instead, so nearly every pixel turned white."""
    from PIL import Image

    if not (im.mode.startswith("I;16") or im.mode == "I"):
        return im
    array = np.asarray(im).astype(np.float64)
    top = 65535.0 if array.max(initial=0) > 255 or im.mode.startswith("I;16") else 255.0
    return Image.fromarray(np.clip(np.round(array * 255.0 / top), 0, 255).astype(np.uint8), "L")


def _resize_center_crop(im, size: int):
    """Scale the shorter side to ``size`` (Lanczos), then crop the centre square."""
    from PIL import Image

    w, h = im.size
    scale = size / min(w, h)
    nw, nh = max(size, round(w * scale)), max(size, round(h * scale))
    im = im.resize((nw, nh), Image.Resampling.LANCZOS)
    left, top = (nw - size) // 2, (nh - size) // 2
    return im.crop((left, top, left + size, top + size))


def _infer_channels(path: Path) -> int:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            return 1 if im.mode in ("1", "L", "LA", "I", "I;16", "F") else 3
    except (UnidentifiedImageError, OSError) as e:
        raise GankitError(f"cannot read image {path}: {e} (remove or replace the file)") from None


def image_files(folder: Path) -> list[Path]:
    """Every image file under ``folder``, sorted (the order labels and hashes are made in)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def folder_split(root: str | Path, split: str = "train") -> tuple[Path, list[Path], str]:
    """(the folder the classes are read from, the image files of ``split``, how the split is made).

    See the module docstring for the rule. Raises when ``split`` would be empty."""
    if split not in ("train", "test"):
        raise GankitError(f"unknown split {split!r} of a folder dataset (use train or test)")
    root = Path(root).expanduser()
    test_dir = root / "test"
    if test_dir.is_dir():
        train_dir = root / "train"
        base = test_dir if split == "test" else (train_dir if train_dir.is_dir() else root)
        files = [p for p in image_files(base) if base != root or test_dir not in p.parents]
        rule = {"test": "the test/ subfolder", "train": "train/" if base == train_dir else "all but test/"}[split]
        return base, files, rule
    files = image_files(root)
    held_out = set(_held_out(root, files))
    if split == "test":
        if not held_out:
            raise GankitError(f"{root} has too few images ({len(files)}) to hold out {TEST_FRACTION:.0%} as a test "
                              "split (add a test/ subfolder of images, or evaluate with --split train)")
        return root, [p for p in files if p in held_out], f"{TEST_FRACTION:.0%} of each class held out, seed {SPLIT_SEED}"
    return root, [p for p in files if p not in held_out], f"all but the {TEST_FRACTION:.0%} held out for test"


def _held_out(root: Path, files: list[Path]) -> list[Path]:
    """The round(TEST_FRACTION * n) files of each class (first subfolder, or the root) whose salted
    path hash sorts first."""
    by_class: dict[str, list[Path]] = {}
    for p in files:
        rel = p.relative_to(root)
        by_class.setdefault(rel.parts[0] if len(rel.parts) > 1 else "", []).append(p)
    def key(p: Path) -> str:
        return hashlib.sha256(f"{SPLIT_SEED}:{p.relative_to(root).as_posix()}".encode()).hexdigest()

    out = []
    for members in by_class.values():
        out += sorted(members, key=key)[:round(TEST_FRACTION * len(members))]
    return out


def load_image_folder(root: str, image_size: int | None = None, channels: int | None = None,
                      split: str = "train") -> Dataset:
    """Load the ``split`` images of the folder ``root``; see the module docstring for labels, the
    test split and resizing."""
    root_path = Path(root).expanduser()
    if not root_path.is_dir():
        raise GankitError(f"dataset folder {root} does not exist (check the path)")
    if not image_files(root_path):
        raise GankitError(
            f"no images found in {root} (put PNG/JPEG/BMP/WebP files in it or in class subfolders)"
        )
    base, files, rule = folder_split(root_path, split)
    if not files:
        raise GankitError(f"the {split} split of {root} ({rule}) has no images (put images in it)")
    if channels is None:
        channels = _infer_channels(files[0])
    if channels not in (1, 3):
        raise GankitError(f"--channels must be 1 or 3, not {channels} (1 for gray, 3 for RGB)")

    class_names = _class_names(root_path)
    stray = [p for p in files if p.parent == base]
    if class_names and stray:  # a stray file must not silently turn every label off
        names = ", ".join(p.name for p in stray[:3]) + (" ..." if len(stray) > 3 else "")
        print(f"gankit: warning: {base} has class subfolders ({len(class_names)}) and {len(stray)} image(s) at its "
              f"root ({names}); the root images are not used (move them into a class folder)", file=sys.stderr)
        files = [p for p in files if p.parent != base]
    labelled = bool(class_names)
    class_index = {name: i for i, name in enumerate(class_names)}
    unknown = sorted({p.relative_to(base).parts[0] for p in files} - set(class_index)) if labelled else []
    if unknown:
        raise GankitError(f"{base} has class folder(s) {', '.join(unknown[:3])} that the training split lacks "
                          "(give both splits the same class subfolders)")

    arrays, labels = [], []
    for p in files:
        a = _open_image(p, channels, image_size)
        if arrays and a.shape != arrays[0].shape:
            raise GankitError(
                f"images have different sizes ({files[0].name}: {arrays[0].shape[:2]}, {p.name}: "
                f"{a.shape[:2]}) (pass --image-size N to resize them all)"
            )
        arrays.append(a)
        if labelled:
            labels.append(class_index[p.relative_to(base).parts[0]])

    stack = np.stack(arrays)
    data = torch.from_numpy(stack).unsqueeze(1) if channels == 1 else torch.from_numpy(stack).permute(0, 3, 1, 2)
    h, w = data.shape[-2:]
    if h != w:
        raise GankitError(f"images in {root} are {h}x{w}, not square (pass --image-size N to crop them)")
    spec = DataSpec(
        name=str(root_path.resolve()),
        kind="image",
        shape=(channels, h, w),
        num_classes=len(class_names) if labelled else 0,
        class_names=tuple(class_names) if labelled else (),
    )
    labels_t = torch.tensor(labels, dtype=torch.int64) if labelled else None
    return Dataset(spec, data.contiguous(), labels_t, split_rule=rule)


def _class_names(root: Path) -> list[str]:
    """The class subfolders of the training side (``train/``, or the root without ``test/``): the
    test split's labels index the same list."""
    base = root / "train" if (root / "test").is_dir() and (root / "train").is_dir() else root
    skip = {"test"} if base == root else set()
    return sorted({p.relative_to(base).parts[0] for p in image_files(base)
                   if p.parent != base and p.relative_to(base).parts[0] not in skip})
