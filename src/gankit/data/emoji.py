"""``emoji``: the Noto Color Emoji glyphs as a small, offline, labelled RGB dataset.

Where it comes from: Debian's ``fonts-noto-color-emoji`` (the font) and ``unicode-data`` (the list
of emoji, ``emoji-test.txt``, Emoji 15.0): ``apt-get install fonts-noto-color-emoji unicode-data``.
Nothing is downloaded.

What it is: every ``fully-qualified`` emoji of ``emoji-test.txt`` (skin tones, ZWJ sequences and
flags included) outside the ``Component`` group, rendered once by Pillow (with libraqm, so that a
sequence is shaped into one glyph) from the bitmap font at its only size, 109, on a transparent
canvas; cropped to the glyph's alpha bounding box made square (centred), composited on white, and
resized with LANCZOS to 64x64 and 32x32 RGB. A sequence the font cannot show as one glyph (it comes
out as several, wider ones) is skipped. The label is the emoji's group, 9 classes in file order
(:data:`GROUPS`). With Debian 12's fonts-noto-color-emoji 2.042 and unicode-data 15.0.0 all 3,655
such emoji render as one glyph (none skipped), in 4.4 s on one core; the cache file is 56 MB. They
are imbalanced, People & Body (mostly skin-tone variants) being 59% of them:

    ====================  =====  =====  ====
    group                 all    train  test
    ====================  =====  =====  ====
    Smileys & Emotion       166    149    17
    People & Body          2148   1933   215
    Animals & Nature        152    137    15
    Food & Drink            133    120    13
    Travel & Places         218    196    22
    Activities               85     77     8
    Objects                 261    235    26
    Symbols                 223    201    22
    Flags                   269    242    27
    total                  3655   3290   365
    ====================  =====  =====  ====

Splits: ``train`` and ``test``, 90/10 stratified by group, fixed by seed 0. The order inside each
group comes from sha256(``"<seed>:<emoji>"``), not from an RNG, so it is the same on every machine
and with every torch/numpy version, and an emoji keeps its split when a newer font adds others.

The renders are cached once, uint8, in ``$GANKIT_HOME/emoji`` (default ``~/.cache/gankit/emoji``),
one file holding both sizes, the labels and the metadata, read back with ``torch.load(...,
weights_only=True)``. Its name carries :data:`CACHE_VERSION` and the size and mtime of the font
and of ``emoji-test.txt``, so a new font or emoji list re-renders.

Metadata for text-to-image work: :func:`emoji_metadata` gives, aligned with a split's images, the
emoji string, its CLDR name, ``unicodedata.name`` of its code point when it is a single one
(optionally followed by U+FE0F; None for sequences, and for code points newer than Python's
Unicode database: Python 3.11 knows Unicode 14.0, so the Emoji 15.0 additions get None there), and
the group index.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
from functools import lru_cache
from pathlib import Path

import torch

from ..errors import GankitError
from .base import Dataset, DataSpec
from .cache import read_blob, write_blob

FONT_PATH = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
EMOJI_TEST_PATH = Path("/usr/share/unicode/emoji/emoji-test.txt")
INSTALL_HINT = "apt-get install fonts-noto-color-emoji unicode-data"

GROUPS = (
    "Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
    "Activities", "Objects", "Symbols", "Flags",
)
SIZES = (32, 64)
SEED = 0
TEST_FRACTION = 0.1
CACHE_VERSION = 1

_FONT_SIZE = 109        # the bitmap strikes of Noto Color Emoji are 109 px; other sizes fail
_CANVAS = 160           # a single glyph is 136 x 128 at size 109
_SINGLE_GLYPH_WIDTH = 140
_SPLITS = ("train", "test")
_EMOJI_VERSION = re.compile(r"(?:^|\s)E\d+\.\d+\s+(.*\S)\s*$")


def _require_files() -> None:
    missing = [str(p) for p in (FONT_PATH, EMOJI_TEST_PATH) if not Path(p).is_file()]
    if missing:
        raise GankitError(f"emoji needs Debian's fonts-noto-color-emoji and unicode-data, {' and '.join(missing)} "
                          f"not found ({INSTALL_HINT})")


def parse_emoji_test(path: str | os.PathLike | None = None) -> list[dict]:
    """Every fully-qualified emoji of ``emoji-test.txt`` outside ``Component``, in file order:
    ``{"emoji", "name" (CLDR), "group" (index into GROUPS)}``."""
    path = Path(path or EMOJI_TEST_PATH)
    entries, group = [], None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            name = line.split(":", 1)[1].strip()
            group = GROUPS.index(name) if name in GROUPS else None  # Component (or anything new): dropped
            continue
        if not line.strip() or line.startswith("#") or group is None:
            continue
        fields, _, comment = line.partition("#")
        codes, _, status = fields.partition(";")
        if status.strip() != "fully-qualified":
            continue
        m = _EMOJI_VERSION.search(comment)
        emoji = "".join(chr(int(c, 16)) for c in codes.split())
        entries.append({"emoji": emoji, "name": m.group(1) if m else "", "group": group})
    return entries


def _unicode_name(emoji: str) -> str | None:
    base = emoji[:-1] if len(emoji) == 2 and emoji[1] == "\ufe0f" else emoji
    return unicodedata.name(base, None) if len(base) == 1 else None


def _font():
    from PIL import ImageFont, features

    if not features.check("raqm"):
        raise GankitError("emoji needs Pillow with libraqm to shape emoji sequences into one glyph "
                          "(apt-get install libraqm0, or pip install --force-reinstall pillow)")
    return ImageFont.truetype(str(FONT_PATH), _FONT_SIZE, layout_engine=ImageFont.Layout.RAQM)


def _render_one(emoji: str, font):
    """The emoji as {size: (S, S, 3) uint8 array} on white, or None if the font lacks it as one glyph."""
    import numpy as np
    from PIL import Image, ImageDraw

    canvas = Image.new("RGBA", (_CANVAS, _CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    left, _, right, _ = draw.textbbox((0, 0), emoji, font=font, embedded_color=True)
    if right - left > _SINGLE_GLYPH_WIDTH:  # several glyphs: the font has no single glyph for it
        return None
    draw.text((0, 0), emoji, font=font, embedded_color=True)
    box = canvas.getchannel("A").getbbox()
    if box is None:
        return None
    l, t, r, b = box
    side = max(r - l, b - t)
    x0, y0 = l - (side - (r - l)) // 2, t - (side - (b - t)) // 2
    square = canvas.crop((x0, y0, x0 + side, y0 + side))  # outside the canvas: transparent
    white = Image.new("RGBA", square.size, (255, 255, 255, 255))
    rgb = Image.alpha_composite(white, square).convert("RGB")
    return {s: np.asarray(rgb.resize((s, s), Image.LANCZOS)) for s in SIZES}


def render_all(entries: list[dict] | None = None) -> dict:
    """Render ``entries`` (default: the whole emoji-test.txt list): the cache's content."""
    import numpy as np

    _require_files()
    entries = parse_emoji_test() if entries is None else entries
    font = _font()
    start = time.perf_counter()
    images = {s: [] for s in SIZES}
    kept = []
    for e in entries:
        out = _render_one(e["emoji"], font)
        if out is None:
            continue
        for s in SIZES:
            images[s].append(out[s])
        kept.append(e)
    if not kept:
        raise GankitError(f"{FONT_PATH} rendered no emoji (reinstall fonts-noto-color-emoji)")
    blob = {"format": f"gankit-emoji-{CACHE_VERSION}", "groups": list(GROUPS)}
    for s in SIZES:
        blob[f"images{s}"] = torch.from_numpy(np.stack(images[s])).permute(0, 3, 1, 2).contiguous()
    blob["labels"] = torch.tensor([e["group"] for e in kept], dtype=torch.int64)
    blob["emoji"] = [e["emoji"] for e in kept]
    blob["names"] = [e["name"] for e in kept]
    blob["unicode_names"] = [_unicode_name(e["emoji"]) for e in kept]
    blob["skipped"] = len(entries) - len(kept)
    blob["render_seconds"] = round(time.perf_counter() - start, 2)
    return blob


def cache_path() -> Path:
    """Where the renders of the installed font and emoji list are (or will be) cached."""
    from ..metrics.weights import cache_home

    _require_files()
    f, t = FONT_PATH.stat(), EMOJI_TEST_PATH.stat()
    key = f"v{CACHE_VERSION}-font{f.st_size}-{int(f.st_mtime)}-list{t.st_size}-{int(t.st_mtime)}"
    return cache_home() / "emoji" / f"emoji-{key}.pt"


@lru_cache(maxsize=2)
def _load_blob(path_str: str) -> dict:
    path = Path(path_str)
    blob = read_blob(path, f"gankit-emoji-{CACHE_VERSION}")
    if blob is None:
        blob = render_all()
        write_blob(blob, path)
    return blob


def load_cache() -> dict:
    """The cached renders (rendered and saved first if needed)."""
    return _load_blob(str(cache_path()))


def split_indices(emoji: list[str], labels: torch.Tensor, split: str, seed: int = SEED) -> torch.Tensor:
    """Indices (ascending) of ``split``'s images: per group, the first 10% in sha256 order are test."""
    if split not in _SPLITS:
        raise GankitError(f"unknown split {split!r} (use train or test)")
    test = []
    for g in labels.unique().tolist():
        members = (labels == g).nonzero().flatten().tolist()
        members.sort(key=lambda i: hashlib.sha256(f"{seed}:{emoji[i]}".encode()).digest())
        test += members[:max(1, round(TEST_FRACTION * len(members)))]
    mask = torch.zeros(len(emoji), dtype=torch.bool)
    mask[test] = True
    return (mask if split == "test" else ~mask).nonzero().flatten()


def load_emoji(split: str = "train", size: int = 32) -> Dataset:
    """A split of ``emoji`` as uint8 (N, 3, size, size) with int64 group labels."""
    if split not in _SPLITS:
        raise GankitError(f"unknown split {split!r} (use train or test)")
    if not isinstance(size, int) or size < 1:
        raise GankitError(f"--image-size must be a positive integer, not {size!r} (e.g. --image-size 32)")
    blob = load_cache()
    idx = split_indices(blob["emoji"], blob["labels"], split)
    data = blob[f"images{size}" if size in SIZES else "images64"][idx]
    spec = DataSpec(name="emoji", kind="image", shape=tuple(data.shape[1:]), num_classes=len(GROUPS),
                    class_names=GROUPS)
    ds = Dataset(spec, data, blob["labels"][idx])
    if size not in SIZES:
        from . import _adapt

        ds = _adapt(ds, size, None)
    return ds


def emoji_metadata(split: str = "train") -> list[dict]:
    """``[{"emoji", "name", "unicode_name", "group"}, ...]`` aligned with ``load_emoji(split)``'s images."""
    blob = load_cache()
    idx = split_indices(blob["emoji"], blob["labels"], split)
    return [{"emoji": blob["emoji"][i], "name": blob["names"][i], "unicode_name": blob["unicode_names"][i],
             "group": int(blob["labels"][i])} for i in idx.tolist()]


def build_cache() -> Path:
    """Render and save the cache unless it is there (``scripts/ensure-data.sh`` calls this)."""
    path = cache_path()
    existed = path.is_file()
    blob = load_cache()
    if not existed:
        print(f"emoji: rendered {len(blob['emoji'])} images in {blob['render_seconds']:.0f} s "
              f"({blob['skipped']} sequences the font lacks skipped) into {path}")
    return path
