"""A user's folder of translation data, in the layouts of pytorch-CycleGAN-and-pix2pix.

Three layouts (``split`` is ``train`` or ``test``; for ``test`` a ``val`` folder stands in when
there is no ``test`` one, as edges2shoes ships only train/ and val/):

- **unpaired** (CycleGAN's "unaligned"): ``trainA/ trainB/ testA/ testB/``, two sets of any sizes;
- **paired by name** (the input of pix2pix's ``combine_A_and_B.py``): ``A/train A/test B/train
  B/test``, an image of ``A/train`` pairs with the one of the same name (suffix aside) in
  ``B/train``; ``A/`` and ``B/`` holding images directly, with no split folders, are the train split;
- **side by side** (pix2pix's "aligned"): ``train/ test/`` of images that are A on the left half and
  B on the right half.

How a folder passed as ``--dataset`` is recognised (:func:`translation_layout`, used by
``get_dataset``), so that a plain folder of images in class subfolders keeps loading as before:
it is unpaired when it holds any of ``trainA testA trainB testB``; paired by name when ``A`` and
``B`` are its only subfolders; side by side when it holds ``train/`` with images directly inside and
the first of them (by name) is exactly twice as wide as high. Anything else is a plain image folder.
:func:`load_translation_folder` called directly also takes ``train/`` of any width as side by side.

Images are decoded once, at load time, by :mod:`~gankit.data.folder`'s reader. Channels: each side
takes its first image's (gray or RGB), or ``channels`` for both. Size: A and B must be square and of
one size, or ``image_size`` resizes every image of both sides to it (:func:`~gankit.data.base.resize_images`,
bilinear: a non-square image is squashed, not cropped, so that a pair stays aligned). Every way a
folder can be wrong (the confusions of that project's issue tracker: a missing split folder, A and B
of different sizes or counts, unmatched names, odd widths, empty folders, unreadable files) is a
one-line :class:`~gankit.errors.GankitError` naming the fix.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..errors import GankitError
from .base import resize_images
from .folder import IMAGE_SUFFIXES, _infer_channels, _open_image
from .pairs import TranslationDataset, translation_spec

UNPAIRED_FOLDERS = ("trainA", "trainB", "testA", "testB")
LAYOUTS = ("trainA/ trainB/ testA/ testB/ (unpaired), A/train A/test B/train B/test or A/ B/ (pairs with "
           "matching file names), or train/ test/ of side-by-side A|B images")
_SPLIT_FOLDERS = {"train": ("train",), "test": ("test", "val")}


# -- recognising a layout ----------------------------------------------------------------------

def _images_in(folder: Path, recursive: bool = False) -> list[Path]:
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _subfolders(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")}


def _twice_as_wide(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
    except (UnidentifiedImageError, OSError):
        return False
    return w == 2 * h


def translation_layout(root: str | Path) -> str | None:
    """``"unpaired"``, ``"paired"`` or ``"aligned"`` for a folder in a translation layout, else None
    (the rule in the module docstring: strict, so that plain image folders are left alone)."""
    root = Path(root).expanduser()
    if not root.is_dir():
        return None
    subs = _subfolders(root)
    if subs & set(UNPAIRED_FOLDERS):
        return "unpaired"
    if subs == {"A", "B"}:
        return "paired"
    if "train" in subs:
        images = _images_in(root / "train")
        if images and _twice_as_wide(images[0]):
            return "aligned"
    return None


def _layout_of(root: Path) -> str:
    """The layout of a folder handed to :func:`load_translation_folder` (lenient: any train/ is aligned)."""
    subs = _subfolders(root)
    if subs & set(UNPAIRED_FOLDERS):
        return "unpaired"
    if subs & {"A", "B"}:
        return "paired"
    if subs & {"train", "test", "val"}:
        return "aligned"
    raise GankitError(f"{root} is in no translation layout: it holds none of trainA/, A/ or train/ (use {LAYOUTS})")


def _split_folder(root: Path, split: str, names: tuple[str, ...], layout_hint: str) -> Path:
    for name in names:
        if (root / name).is_dir():
            return root / name
    raise GankitError(f"{root} has no {names[0]}/ for the {split} split ({layout_hint}; accepted layouts: {LAYOUTS})")


# -- reading images ----------------------------------------------------------------------------

def _read(path: Path, channels: int, image_size: int | None) -> torch.Tensor:
    """One image as uint8 (C, H, W), at ``image_size`` when given."""
    array = torch.from_numpy(_open_image(path, channels, None).copy())
    image = array.unsqueeze(0) if channels == 1 else array.permute(2, 0, 1)
    return _resized(image, image_size)


def _resized(image: torch.Tensor, image_size: int | None) -> torch.Tensor:
    return image if image_size is None else resize_images(image.unsqueeze(0), image_size)[0]


def _stack(images: list[torch.Tensor], files: list[Path], where: Path) -> torch.Tensor:
    """One side's images as (N, C, H, W), or the error naming two images of different sizes."""
    for image, path in zip(images, files):
        if image.shape != images[0].shape:
            raise GankitError(f"images in {where} have different sizes ({files[0].name}: "
                              f"{tuple(images[0].shape[1:])}, {path.name}: {tuple(image.shape[1:])}) "
                              "(pass --image-size N to resize them all)")
    return torch.stack(images).contiguous()


def _side_channels(files: list[Path], channels: int | None) -> int:
    if channels not in (None, 1, 3):
        raise GankitError(f"--channels must be 1 or 3, not {channels} (1 for gray, 3 for RGB)")
    return channels if channels is not None else _infer_channels(files[0])


def _require_images(files: list[Path], where: Path) -> None:
    if not files:
        raise GankitError(f"{where} has no images (put PNG/JPEG/BMP/WebP files in it)")


def _read_side(folder: Path, channels: int | None, image_size: int | None, recursive: bool = False) -> torch.Tensor:
    files = _images_in(folder, recursive)
    _require_images(files, folder)
    c = _side_channels(files, channels)
    return _stack([_read(p, c, image_size) for p in files], files, folder)


def _check_sizes(a: torch.Tensor, b: torch.Tensor, root: Path) -> None:
    """A and B square and of one size: what the translation nets need."""
    (ha, wa), (hb, wb) = a.shape[-2:], b.shape[-2:]
    if (ha, wa) != (hb, wb):
        raise GankitError(f"the A images of {root} are {ha}x{wa} and its B images {hb}x{wb} (pass --image-size N "
                          "to resize both sides to N x N)")
    if ha != wa:
        raise GankitError(f"the images of {root} are {ha}x{wa}, not square (pass --image-size N to resize both "
                          "sides to N x N)")


# -- the three layouts -------------------------------------------------------------------------

def _unpaired(root: Path, split: str, image_size, channels) -> tuple[torch.Tensor, torch.Tensor]:
    hint = "an unpaired folder holds trainA/ trainB/ for training and testA/ testB/ for testing"
    sides = []
    for side in "AB":
        folder = _split_folder(root, split, tuple(f"{s}{side}" for s in _SPLIT_FOLDERS[split]), hint)
        sides.append(_read_side(folder, channels, image_size))
    return sides[0], sides[1]


def _paired_folders(root: Path, split: str) -> tuple[Path, Path]:
    for side in "AB":
        if not (root / side).is_dir():
            raise GankitError(f"{root} has {'AB'.replace(side, '')}/ but no {side}/ (pairs by name need both A/ and "
                              f"B/; accepted layouts: {LAYOUTS})")
    split_named = any((root / side / s).is_dir() for side in "AB" for s in ("train", "test", "val"))
    if not split_named:
        if split != "train":
            raise GankitError(f"{root}/A and {root}/B hold images directly, which are the train split; there is no "
                              f"{split} split (put held-out pairs in A/test and B/test, with train pairs in A/train "
                              "and B/train)")
        return root / "A", root / "B"
    hint = "pairs by name sit in A/train and B/train, and A/test and B/test"
    return tuple(_split_folder(root / side, split, _SPLIT_FOLDERS[split], hint) for side in "AB")


def _by_name(folder: Path) -> dict[str, Path]:
    """The images of ``folder`` keyed by their path inside it without the suffix (a.png pairs with a.jpg)."""
    files = _images_in(folder, recursive=True)
    _require_images(files, folder)
    named: dict[str, Path] = {}
    for p in files:
        key = p.relative_to(folder).with_suffix("").as_posix()
        if key in named:
            raise GankitError(f"{folder} holds {named[key].name} and {p.name}, two images of one name (keep one of "
                              "them, so that each A image has one partner)")
        named[key] = p
    return named


def _match(fa: Path, fb: Path) -> list[tuple[Path, Path]]:
    """The pairs of ``fa`` and ``fb`` by name, or the error naming counts and unmatched examples."""
    na, nb = _by_name(fa), _by_name(fb)
    only_a, only_b = sorted(set(na) - set(nb)), sorted(set(nb) - set(na))
    if len(na) != len(nb):
        extra, side, other = (only_a, fa, fb) if len(na) > len(nb) else (only_b, fb, fa)
        example = f"; e.g. {side.name}/{extra[0]} has no partner in {other}" if extra else ""
        raise GankitError(f"{fa} has {len(na)} images and {fb} has {len(nb)}{example} (a paired folder needs one B "
                          "image for each A image, with the same file name)")
    if only_a:
        raise GankitError(f"the file names of {fa} and {fb} do not match: {na[only_a[0]].name} is only in A, "
                          f"{nb[only_b[0]].name} only in B (give each pair the same file name)")
    return [(na[k], nb[k]) for k in sorted(na)]


def _paired(root: Path, split: str, image_size, channels) -> tuple[torch.Tensor, torch.Tensor]:
    fa, fb = _paired_folders(root, split)
    pairs = _match(fa, fb)
    files_a, files_b = [p for p, _ in pairs], [q for _, q in pairs]
    ca, cb = _side_channels(files_a, channels), _side_channels(files_b, channels)
    a = _stack([_read(p, ca, image_size) for p in files_a], files_a, fa)
    b = _stack([_read(q, cb, image_size) for q in files_b], files_b, fb)
    return a, b


def _halves(path: Path, channels: int, image_size: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    image = _read(path, channels, None)
    w = image.shape[-1]
    if w % 2:
        raise GankitError(f"{path} is {w} pixels wide, which does not split into equal halves A|B (a side-by-side "
                          "image is A on the left half and B on the right half: crop or pad it to an even width)")
    return _resized(image[..., : w // 2], image_size), _resized(image[..., w // 2:], image_size)


def _aligned(root: Path, split: str, image_size, channels) -> tuple[torch.Tensor, torch.Tensor]:
    hint = "side-by-side A|B images sit in train/ and test/"
    folder = _split_folder(root, split, _SPLIT_FOLDERS[split], hint)
    files = _images_in(folder)
    _require_images(files, folder)
    c = _side_channels(files, channels)
    halves = [_halves(p, c, image_size) for p in files]
    return (_stack([h[0] for h in halves], files, folder), _stack([h[1] for h in halves], files, folder))


_READERS = {"unpaired": _unpaired, "paired": _paired, "aligned": _aligned}


def load_translation_folder(path: str | Path, split: str = "train", image_size: int | None = None,
                            channels: int | None = None) -> TranslationDataset:
    """A split of a user's translation folder (layouts and rules in the module docstring).

    The spec is named after the folder; ``extra["layout"]`` says which layout it was read as.
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise GankitError(f"dataset folder {path} does not exist (check the path)")
    if split not in _SPLIT_FOLDERS:
        raise GankitError(f"unknown split {split!r} (use train or test)")
    if image_size is not None and (not isinstance(image_size, int) or image_size < 1):
        raise GankitError(f"--image-size must be a positive integer, not {image_size!r} (e.g. --image-size 64)")
    layout = translation_layout(root) or _layout_of(root)  # the strict rule first, as get_dataset decides
    a, b = _READERS[layout](root, split, image_size, channels)
    _check_sizes(a, b, root)
    spec = translation_spec(str(root), a, b, paired=layout != "unpaired", layout=layout)
    return TranslationDataset(spec, a, b)
