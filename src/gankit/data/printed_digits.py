"""``printed-digits``: the digits 0-9 typeset in Debian's TrueType fonts, placed as MNIST places its digits.

Why: ``digits2mnist`` translates printed digits into handwritten ones (and back), and needs a printed
side that is offline, labelled and as varied as a handful of fonts allow. Debian's
``fonts-dejavu-core`` and ``fonts-liberation`` hold the 15 faces of :data:`FACES` (sans, narrow,
serif and mono; regular, bold and italic); the missing ones are skipped (the digits then differ, and
so does the cache name of ``digits2mnist``), and with none at all the loader says ``apt-get install
fonts-dejavu-core fonts-liberation``.

How one digit is made (all by Pillow): the character is drawn white (255) on black at one of
:data:`RENDER_SIZES` pixels, with a stroke of 0 or 1 pixel (thicker or thinner after scaling), rotated
by an angle in [-15, 15] degrees (bicubic), cropped to its bounding box, scaled (Lanczos, aspect kept)
so that its longer side is 20 pixels, and pasted into 28x28 with its centre of mass on the centre:
MNIST's own normalisation (LeCun et al.: "fit in a 20x20 box, centred by centre of mass in 28x28").

Determinism: the face, size, stroke and angle of image ``i`` of a split come from
sha256(``"<seed>:<split>:<i>"``), not from an RNG, so they are the same on every machine and with
every torch/numpy version (as for the emoji splits). Image ``i`` shows digit ``i % 10``: the classes
take turns, so the first images of a split (the fixed inputs of grids) show every digit. Splits
have 450 train and 50 test images per class, the counts of ``mnist5k``, the handwritten side.
The train and test splits draw from the same faces, so a test digit can look much like a train one:
the split is there to translate unseen *inputs*, not to hold out a font.

Rendering all 5,000 takes about 5 s on one core (1 ms a digit); ``digits2mnist``'s cache keeps the result.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from ..errors import GankitError
from .base import Dataset, DataSpec

FONT_ROOT = Path("/usr/share/fonts/truetype")
FACES = (  # those of fonts-dejavu-core and fonts-liberation only, so every machine that has both gets one set
    "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSerif-Bold.ttf", "dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf",
    "liberation/LiberationSans-Regular.ttf", "liberation/LiberationSans-Bold.ttf",
    "liberation/LiberationSans-Italic.ttf", "liberation/LiberationSansNarrow-Regular.ttf",
    "liberation/LiberationSerif-Regular.ttf", "liberation/LiberationSerif-Bold.ttf",
    "liberation/LiberationSerif-Italic.ttf", "liberation/LiberationMono-Regular.ttf",
    "liberation/LiberationMono-Bold.ttf",
)
INSTALL_HINT = "apt-get install fonts-dejavu-core fonts-liberation"
RENDER_SIZES = (24, 32, 40, 48)
MAX_ANGLE = 15.0
PER_CLASS = {"train": 450, "test": 50}
SEED = 0
VERSION = 1  # bump when the rendering changes: it is part of digits2mnist's cache name
CLASS_NAMES = tuple(str(d) for d in range(10))

_SIDE = 28
_BOX = 20


def available_faces() -> list[Path]:
    """The faces of :data:`FACES` installed here, in that order (a one-line error when none is)."""
    faces = [FONT_ROOT / f for f in FACES if (FONT_ROOT / f).is_file()]
    if not faces:
        raise GankitError(f"printed digits need the DejaVu or Liberation TrueType fonts, none found in "
                          f"{FONT_ROOT} ({INSTALL_HINT})")
    return faces


@lru_cache(maxsize=None)
def _font(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def params(split: str, i: int, n_faces: int, seed: int = SEED) -> dict:
    """Face index, render size, stroke and angle of image ``i`` of ``split``, from a hash."""
    d = hashlib.sha256(f"{seed}:{split}:{i}".encode()).digest()
    return {
        "face": int.from_bytes(d[0:4], "big") % n_faces,
        "size": RENDER_SIZES[d[4] % len(RENDER_SIZES)],
        "stroke": d[5] % 2,
        "angle": -MAX_ANGLE + 2 * MAX_ANGLE * int.from_bytes(d[6:10], "big") / 2 ** 32,
    }


def _glyph(digit: int, face: Path, size: int, stroke: int, angle: float):
    """The rotated digit cropped to its bounding box, as a PIL "L" image (white on black)."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (3 * size, 3 * size), 0)
    ImageDraw.Draw(canvas).text((1.5 * size, 1.5 * size), str(digit), fill=255, font=_font(str(face), size),
                                anchor="mm", stroke_width=stroke, stroke_fill=255)
    canvas = canvas.rotate(angle, resample=Image.Resampling.BICUBIC)
    return canvas.crop(canvas.getbbox())


def _fit_box(glyph) -> np.ndarray:
    """The glyph scaled (aspect kept) so that its longer side is 20 pixels."""
    from PIL import Image

    w, h = glyph.size
    scale = _BOX / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(glyph.resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)


def _centre_by_mass(patch: np.ndarray) -> np.ndarray:
    """``patch`` pasted into 28x28 so that its centre of mass falls on the centre (kept inside)."""
    h, w = patch.shape
    weights = patch.astype(np.float64)
    total = weights.sum() or 1.0
    cy = (weights.sum(1) * np.arange(h)).sum() / total
    cx = (weights.sum(0) * np.arange(w)).sum() / total
    top = int(np.clip(round((_SIDE - 1) / 2 - cy), 0, _SIDE - h))
    left = int(np.clip(round((_SIDE - 1) / 2 - cx), 0, _SIDE - w))
    out = np.zeros((_SIDE, _SIDE), dtype=np.uint8)
    out[top:top + h, left:left + w] = patch
    return out


def render_digit(digit: int, face: Path, size: int, stroke: int = 0, angle: float = 0.0) -> np.ndarray:
    """One digit as a uint8 (28, 28) array, white on black, placed like MNIST."""
    return _centre_by_mass(_fit_box(_glyph(digit, face, size, stroke, angle)))


@lru_cache(maxsize=2)
def _render_split(split: str, faces: tuple[Path, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    n = 10 * PER_CLASS[split]
    images = np.empty((n, 1, _SIDE, _SIDE), dtype=np.uint8)
    for i in range(n):
        p = params(split, i, len(faces))
        images[i, 0] = render_digit(i % 10, faces[p["face"]], p["size"], p["stroke"], p["angle"])
    labels = torch.arange(n, dtype=torch.int64) % 10
    return torch.from_numpy(images), labels


def load_printed_digits(split: str = "train") -> Dataset:
    """A split of the printed digits: uint8 (N, 1, 28, 28), int64 labels 0-9 (``i % 10``)."""
    if split not in PER_CLASS:
        raise GankitError(f"unknown split {split!r} (use train or test)")
    images, labels = _render_split(split, tuple(available_faces()))
    spec = DataSpec("printed-digits", "image", (1, _SIDE, _SIDE), 10, CLASS_NAMES)
    return Dataset(spec, images, labels)


def fingerprint() -> str:
    """What the renders depend on (the faces installed, their files, :data:`VERSION`), for cache names."""
    parts = [f"v{VERSION}"] + [f"{f.name}:{f.stat().st_size}" for f in available_faces()]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
