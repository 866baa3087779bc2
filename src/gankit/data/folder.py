"""A folder of images as a dataset (``--dataset path/to/dir``).

Images (PNG, JPEG, BMP, WebP) are found recursively. If the images sit in subfolders of the root,
each subfolder is a class and gives the label. Every image is decoded, converted and resized
once, here, at load time; training then never touches PIL.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from .base import Dataset, DataSpec

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}


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


def load_image_folder(root: str, image_size: int | None = None, channels: int | None = None) -> Dataset:
    """Load every image under ``root``; see the module docstring for labels and resizing."""
    root_path = Path(root).expanduser()
    if not root_path.is_dir():
        raise GankitError(f"dataset folder {root} does not exist (check the path)")
    files = sorted(p for p in root_path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise GankitError(
            f"no images found in {root} (put PNG/JPEG/BMP/WebP files in it or in class subfolders)"
        )
    if channels is None:
        channels = _infer_channels(files[0])
    if channels not in (1, 3):
        raise GankitError(f"--channels must be 1 or 3, not {channels} (1 for gray, 3 for RGB)")

    class_names = sorted({p.relative_to(root_path).parts[0] for p in files if p.parent != root_path})
    stray = [p for p in files if p.parent == root_path]
    if class_names and stray:  # a stray file must not silently turn every label off
        names = ", ".join(p.name for p in stray[:3]) + (" ..." if len(stray) > 3 else "")
        print(f"gankit: warning: {root} has class subfolders ({len(class_names)}) and {len(stray)} image(s) at its "
              f"root ({names}); the root images are not used (move them into a class folder)", file=sys.stderr)
        files = [p for p in files if p.parent != root_path]
    labelled = bool(class_names)
    class_index = {name: i for i, name in enumerate(class_names)}

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
            labels.append(class_index[p.relative_to(root_path).parts[0]])

    stack = np.stack(arrays)
    data = torch.from_numpy(stack).unsqueeze(1) if channels == 1 else torch.from_numpy(stack).permute(0, 3, 1, 2)
    h, w = data.shape[-2:]
    if h != w:
        raise GankitError(f"images in {root} are {h}x{w}, not square (pass --image-size N to crop them)")
    spec = DataSpec(
        name=str(root_path),
        kind="image",
        shape=(channels, h, w),
        num_classes=len(class_names) if labelled else 0,
        class_names=tuple(class_names) if labelled else (),
    )
    return Dataset(spec, data.contiguous(), torch.tensor(labels, dtype=torch.int64) if labelled else None)
