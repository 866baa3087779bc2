"""Offline caption datasets for text-to-image GANs (Reed et al. 2016, StackGAN: Zhang et al. 2017).

``fashion-captions``: Fashion-MNIST with English captions built from the class and from two
attributes *measured* on each image, so that an evaluator can measure the same attributes on a
generated image and check it against the caption it was asked for:

* **darkness**: the mean intensity of the garment's ink (pixels above :data:`DARK_INK_THRESHOLD`,
  seen at 14x14 so that the blur of a resize moves it little: see :data:`DARKNESS_GRID`).
  Fashion-MNIST stores negated photos (Xiao et al. 2017: the product photo is converted to gray
  and its intensities negated), so a high stored value is a *dark* garment, although grids, which
  show the stored values, draw it bright. Level 0 is "light", level 2 "dark".
* **width**: the ink's horizontal spread over its vertical spread (the ratio of the standard
  deviations of the column and row coordinates, weighted by ink). A ratio, because Fashion-MNIST
  scales every product so that its longer side fills the 28 pixels: absolute width says nothing
  for a dress (always 28 high) and absolute height nothing for a sneaker (always 28 wide); the
  proportion is what varies. Moments rather than a bounding box, because they are continuous
  (tertiles split evenly; box widths are integers with many ties) and one stray pixel of a
  generated image barely moves them. Level 0 is "narrow", level 2 "wide".

Levels are the tertiles of each class's training images (:data:`DARKNESS_THRESHOLDS`,
:data:`WIDTH_THRESHOLDS`), since "wide" means something else for a sandal (ratio above 2.3) than
for a pair of trousers (above 0.41). The middle level states no word, so captions differ in how
many attributes they name. Left out, and why: *length* (the longer side always fills the image,
so it is the width ratio seen from the other side) and *sleeve length* (short for t-shirts, long
for pullovers, coats and shirts: the class says it, and at 28 pixels a sleeve is not reliably
separable from the body to be measured within a class).

To test composition, :data:`HELD_OUT` lists eight (class, darkness, width) triples, each of the
four light/dark x narrow/wide pairs twice; the training split drops every image measured in one
(5,517 of 60,000), the test split keeps all and flags them in ``held_out`` (970 of 10,000).

``emoji-captions``: the ``emoji`` images (64x64 by default) captioned by their CLDR names
("waving hand, medium skin tone"), half of them (by sha256 of seed and emoji) prefixed by the
group ("people and body: waving hand, medium skin tone").

The phrasing of each caption is chosen by sha256 of ``"<seed>:..."``, not by an RNG, so captions
are the same on every machine and torch version. Words are numbered by a :class:`Vocabulary`
kept in the spec's ``extra`` (a list of strings), so a saved run encodes new text as it was trained.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

import torch

from ..errors import GankitError
from .base import BatchSampler, Dataset, DataSpec, resize_images, to_model_space

# ---------------------------------------------------------------- tokenizer and vocabulary

_SYMBOLS = {"&": " and ", "#": " number sign ", "*": " asterisk "}  # keycap: #, keycap: *, Bosnia & Herzegovina
_WORD = re.compile(r"[^\W_]+")  # runs of letters/digits: ":", ",", "-", "'", "(" ... all separate words


def tokenize(text: str) -> list[str]:
    """Lowercase words of ``text``; punctuation separates words ("t-shirt" -> t, shirt; "man’s" -> man, s)."""
    text = unicodedata.normalize("NFKC", text).lower()
    for symbol, words in _SYMBOLS.items():
        text = text.replace(symbol, words)
    return _WORD.findall(text)


class Vocabulary:
    """Word-level ids: 0 is ``<pad>`` (what short captions are padded with), words from 1 on.

    There is no ``<unk>``: every caption a dataset makes is in its vocabulary, so an unknown word
    is a user's typo or an attribute the run never saw, and saying so beats silently ignoring it.
    """

    PAD = "<pad>"

    def __init__(self, words: list[str], max_len: int):
        if not words or words[0] != self.PAD or len(set(words)) != len(words):
            raise ValueError("a vocabulary list starts with <pad> and has no repeated word")
        self.words = list(words)
        self.max_len = int(max_len)
        self.ids = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, texts, max_len: int | None = None, margin: int = 2) -> "Vocabulary":
        """The sorted words of ``texts``; ``max_len`` defaults to the longest text plus ``margin``."""
        tokenized = [tokenize(t) for t in texts]
        words = sorted({w for t in tokenized for w in t})
        return cls([cls.PAD, *words], max_len or max(map(len, tokenized)) + margin)

    def to_list(self) -> list[str]:
        """The words by id (JSON/YAML-serializable; ``from_list(to_list(), max_len)`` rebuilds it)."""
        return list(self.words)

    @classmethod
    def from_list(cls, words: list[str], max_len: int) -> "Vocabulary":
        return cls(list(words), max_len)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: str) -> bool:
        return word in self.ids

    def encode(self, text: str) -> torch.Tensor:
        """``text`` as a LongTensor of ``max_len`` ids, padded with 0."""
        words = tokenize(text)
        if len(words) > self.max_len:
            raise GankitError(f"the caption {text!r} has {len(words)} words, more than the {self.max_len} this "
                              f"run allows (shorten it)")
        for w in words:
            if w not in self.ids:
                known = difflib.get_close_matches(w, self.words[1:], n=3)
                known += [k for k in self.words[1:] if k not in known][:6 - len(known)]
                raise GankitError(f"unknown word {w!r} in the caption {text!r} (this run knows "
                                  f"{len(self) - 1} words, e.g. {', '.join(known)}, ...; use those)")
        ids = torch.zeros(self.max_len, dtype=torch.int64)
        ids[:len(words)] = torch.tensor([self.ids[w] for w in words], dtype=torch.int64)
        return ids

    def encode_all(self, texts: list[str]) -> torch.Tensor:
        """(N, max_len) ids of ``texts`` (each distinct text encoded once)."""
        cache: dict[str, torch.Tensor] = {}
        rows = [cache[t] if t in cache else cache.setdefault(t, self.encode(t)) for t in texts]
        return torch.stack(rows) if rows else torch.zeros(0, self.max_len, dtype=torch.int64)

    def decode(self, ids: torch.Tensor) -> str | list[str]:
        """The words of (L,) ids joined by spaces, pads dropped; a list of strings for (N, L)."""
        if ids.dim() == 2:
            return [self.decode(row) for row in ids]
        return " ".join(self.words[i] for i in ids.tolist() if i != 0)


def _draws(keys, seed: int) -> list[int]:
    """One machine-independent integer per key, from sha256 of ``"<seed>:<key>"``."""
    return [int.from_bytes(hashlib.sha256(f"{seed}:{k}".encode()).digest()[:8], "big") for k in keys]


# ---------------------------------------------------------------- fashion-captions: attributes

FASHION_NOUNS = ("t-shirt", "pair of trousers", "pullover", "dress", "coat",
                 "sandal", "shirt", "sneaker", "bag", "ankle boot")
DARKNESS_WORDS = ("light", None, "dark")
WIDTH_WORDS = ("narrow", None, "wide")
ATTRIBUTES = ("darkness", "width")

#: A pixel above this (of 255) is ink: the garment, not Fashion-MNIST's black background (width).
INK_THRESHOLD = 32
#: Darkness is the mean of the pixels above DARK_INK_THRESHOLD once the image is resized to
#: DARKNESS_GRID x DARKNESS_GRID: every resize blurs, and at 28x28 the blur of a 28 -> 32 -> 28 round
#: trip (what a model trained at 32 or 64 is measured through) moved 37% of the test images to
#: another level; seen this coarse, and without the faint edge pixels, 9% (width: 3% at 28x28).
DARKNESS_GRID = 14
DARK_INK_THRESHOLD = 64

# Per class (FASHION_NOUNS order): (lower, upper) tertile of the measured value over that class's
# 6,000 training images (torch.quantile at 1/3 and 2/3, of measure_values on the whole training
# split, before any held-out image is dropped), rounded to 4 decimals. Level 0 below lower, 2 from
# upper on. tests/test_captions.py recomputes them from the data.
DARKNESS_THRESHOLDS = (
    (0.5041, 0.6796), (0.5520, 0.6430), (0.5021, 0.6849), (0.5579, 0.6935), (0.6188, 0.7154),
    (0.4095, 0.4921), (0.4444, 0.6439), (0.5204, 0.6024), (0.5912, 0.6832), (0.6149, 0.6809),
)
WIDTH_THRESHOLDS = (
    (0.5900, 0.6446), (0.3656, 0.4075), (0.7608, 0.8176), (0.3926, 0.4790), (0.6985, 0.7961),
    (1.4321, 2.2915), (0.6909, 0.7754), (2.2344, 2.7391), (1.0836, 1.4090), (1.0609, 1.3563),
)

#: (class, darkness level, width level) triples no training image has; each light/dark x narrow/wide
#: pair twice, over eight classes, so every class keeps its other combinations (and coat and shirt all).
HELD_OUT = (
    (1, 0, 0), (8, 0, 0),  # light narrow pair of trousers, light narrow bag
    (2, 0, 2), (9, 0, 2),  # light wide pullover, light wide ankle boot
    (3, 2, 0), (5, 2, 0),  # dark narrow dress, dark narrow sandal
    (0, 2, 2), (7, 2, 2),  # dark wide t-shirt, dark wide sneaker
)

FASHION_MAX_LEN = 12  # the longest captions ("a pair of trousers that is dark and wide") have 9 words


def measure_values(images: torch.Tensor) -> dict[str, torch.Tensor]:
    """Raw darkness (mean ink intensity in [0, 1], at 14x14) and width (horizontal / vertical ink
    spread, at 28x28) of uint8 (N, 1, H, W) images of any size. An image without ink has darkness 0 and width 1."""
    if images.dim() != 4 or images.shape[1] != 1:
        raise GankitError(f"fashion attributes are measured on gray (N, 1, H, W) images, not {tuple(images.shape)} "
                          "(convert to one channel)")
    x = resize_images(images, 28)[:, 0]
    ink = x * (x > INK_THRESHOLD)  # still uint8: float or bool arithmetic on 60k images is ten times slower
    cols, rows = ink.sum(1, dtype=torch.float32), ink.sum(2, dtype=torch.float32)  # (N, 28) ink profiles
    coarse = resize_images(x[:, None], DARKNESS_GRID)[:, 0]
    is_ink = coarse > DARK_INK_THRESHOLD
    count = is_ink.view(torch.uint8).sum((1, 2), dtype=torch.int32)
    mass = (coarse * is_ink).sum((1, 2), dtype=torch.float32)
    darkness = torch.where(count > 0, mass / count.clamp(min=1) / 255, torch.zeros_like(mass))

    def spread(profile: torch.Tensor) -> torch.Tensor:  # std of the coordinate under an (N, 28) ink profile
        pos = torch.arange(28.0)
        total = profile.sum(1).clamp(min=1e-6)
        mean = (profile * pos).sum(1) / total
        return ((profile * (pos - mean[:, None]) ** 2).sum(1) / total).sqrt()

    sx, sy = spread(cols), spread(rows)
    width = torch.where((sx > 0) & (sy > 0), sx / sy.clamp(min=1e-6), torch.ones_like(sx))
    return {"darkness": darkness, "width": width}


def compute_thresholds(values: dict[str, torch.Tensor], labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per class (10, 2) tertiles of each attribute: how the constants above were made."""
    q = torch.tensor([1 / 3, 2 / 3])
    return {a: torch.stack([torch.quantile(values[a][labels == c].double(), q.double()).float()
                            for c in range(len(FASHION_NOUNS))]) for a in ATTRIBUTES}


def _check_labels(labels: torch.Tensor, n: int) -> torch.Tensor:
    labels = torch.as_tensor(labels, dtype=torch.int64).flatten().cpu()
    if labels.numel() != n or (labels.numel() and not (0 <= int(labels.min()) and int(labels.max()) < 10)):
        raise GankitError(f"fashion attributes need one class in 0..9 per image, got {labels.numel()} for {n} images "
                          "(pass the classes the images were generated for)")
    return labels


def levels_of(values: dict[str, torch.Tensor], labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Levels 0/1/2 of raw values, by the thresholds of each image's class."""
    labels = _check_labels(labels, len(values["darkness"]))
    out = {"class": labels}
    for a, table in (("darkness", DARKNESS_THRESHOLDS), ("width", WIDTH_THRESHOLDS)):
        t = torch.tensor(table)[labels]  # (N, 2)
        v = values[a].cpu().float()
        out[a] = (v >= t[:, 0]).long() + (v >= t[:, 1]).long()
    return out


def measure_attributes(images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """``{"class", "darkness", "width"}`` LongTensors of uint8 (N, 1, H, W) images (generated or
    real, any size: resized to 28) meant as classes ``labels``: what a caption states of them."""
    return levels_of(measure_values(images.cpu()), labels)


def is_held_out(attributes: dict[str, torch.Tensor]) -> torch.Tensor:
    """Bool (N,): whether each (class, darkness, width) is one of :data:`HELD_OUT`."""
    key = attributes["class"] * 9 + attributes["darkness"] * 3 + attributes["width"]
    held = torch.tensor([c * 9 + d * 3 + w for c, d, w in HELD_OUT])
    return torch.isin(key, held)


# ---------------------------------------------------------------- fashion-captions: phrasing

# "{a}" is the article, resolved against the word after it. Keyed by (darkness stated, width stated).
_PHRASINGS = {
    (False, False): ("{a} {noun}", "a photo of {a} {noun}"),
    (True, False): ("{a} {d} {noun}", "{a} {noun} that is {d}", "{a} {noun} in a {d} shade"),
    (False, True): ("{a} {w} {noun}", "{a} {noun} that is {w}", "a photo of {a} {w} {noun}"),
    (True, True): ("{a} {d}, {w} {noun}", "{a} {w}, {d} {noun}", "{a} {noun} that is {d} and {w}",
                   "{a} {w} {noun} in a {d} shade"),
}
_ARTICLE = re.compile(r"\{a\} (\S)")


def phrasings(darkness: int = 1, width: int = 1) -> tuple[str, ...]:
    """The templates of a (darkness, width) level pair (how many words it can be said in)."""
    return _PHRASINGS[(DARKNESS_WORDS[darkness] is not None, WIDTH_WORDS[width] is not None)]


def caption_for(label: int, darkness: int = 1, width: int = 1, phrasing: int = 0) -> str:
    """The caption of class ``label`` with darkness and width levels (0, 1 = unstated, 2) in its
    ``phrasing``-th wording (taken modulo the number of wordings of that level pair)."""
    if not (0 <= label < 10 and darkness in (0, 1, 2) and width in (0, 1, 2)):
        raise GankitError(f"no fashion caption for class {label}, darkness {darkness}, width {width} "
                          "(classes are 0..9, levels 0, 1 or 2)")
    options = phrasings(darkness, width)
    text = options[phrasing % len(options)].replace(
        "{noun}", FASHION_NOUNS[label]).replace("{d}", DARKNESS_WORDS[darkness] or "").replace(
        "{w}", WIDTH_WORDS[width] or "")
    return _ARTICLE.sub(lambda m: ("an " if m.group(1) in "aeiou" else "a ") + m.group(1), text)


def all_captions(label: int, darkness: int = 1, width: int = 1) -> list[str]:
    """Every wording of one (class, darkness, width)."""
    return [caption_for(label, darkness, width, p) for p in range(len(phrasings(darkness, width)))]


def fashion_vocabulary() -> Vocabulary:
    """Every word any fashion caption can have (the same for every split and seed)."""
    texts = [t for c in range(10) for d in range(3) for w in range(3) for t in all_captions(c, d, w)]
    return Vocabulary.build(texts, FASHION_MAX_LEN)


# ---------------------------------------------------------------- the dataset and its sampler

@dataclass
class CaptionDataset(Dataset):
    """Images (``data``), classes (``labels``) and, aligned with them, each image's ``captions``,
    their ``tokens`` (N, max_len), the measured ``attributes`` levels (fashion) and ``held_out``
    (fashion: whether the image's attributes are a held-out combination)."""

    tokens: torch.Tensor | None = None
    captions: list[str] = field(default_factory=list)
    attributes: dict[str, torch.Tensor] = field(default_factory=dict)
    held_out: torch.Tensor | None = None

    @property
    def vocab(self) -> Vocabulary:
        return Vocabulary.from_list(self.spec.extra["vocab"], self.spec.extra["max_len"])

    def take(self, idx: torch.Tensor) -> "CaptionDataset":
        """The samples at ``idx``, every field kept aligned."""
        return dataclasses.replace(
            self, data=self.data[idx], labels=self.labels[idx] if self.labels is not None else None,
            tokens=self.tokens[idx], captions=[self.captions[i] for i in idx.tolist()],
            attributes={k: v[idx] for k, v in self.attributes.items()},
            held_out=self.held_out[idx] if self.held_out is not None else None)

    def subset(self, n: int, seed: int = 0) -> "CaptionDataset":
        if n >= len(self):
            return self
        return self.take(torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n])

    def adapt(self, image_size: int | None = None, channels: int | None = None) -> "CaptionDataset":
        """Resized for ``--image-size`` (captions unchanged); the channels are the dataset's own."""
        from . import _adapt

        c = self.spec.channels
        if channels not in (None, c):
            raise GankitError(f"{self.spec.name} has {c}-channel images and its captions describe them so "
                              f"(leave out --channels, or pass --channels {c})")
        plain = _adapt(Dataset(self.spec, self.data, self.labels), image_size, None)
        if plain.data is self.data:
            return self
        return dataclasses.replace(self, spec=dataclasses.replace(self.spec, shape=plain.spec.shape), data=plain.data)

    def batch_sampler(self, batch_size: int, device, seed: int, rank: int = 0, world_size: int = 1):
        return CaptionSampler(self, batch_size, device, seed, rank, world_size)


class CaptionSampler(BatchSampler):
    """The BatchSampler (same order, same state, same resume) with each image's tokens as ``"text"``."""

    def __init__(self, dataset: CaptionDataset, batch_size: int, device, seed: int, rank: int = 0,
                 world_size: int = 1):
        super().__init__(dataset, batch_size, device, seed, rank, world_size)
        self.tokens = dataset.tokens.to(device)

    def next(self, batch_size: int | None = None) -> dict[str, torch.Tensor]:
        """``{"x": images in [-1, 1], "y": classes, "text": (B, max_len) token ids}``."""
        idx = self.take(batch_size or self.batch_size)
        return {"x": to_model_space(self.data.index_select(0, idx), self.dataset.spec),
                "y": self.labels.index_select(0, idx), "text": self.tokens.index_select(0, idx)}


# ---------------------------------------------------------------- loaders

def load_fashion_captions(split: str = "train", data_root: str | None = None, seed: int = 0) -> CaptionDataset:
    """Fashion-MNIST ``split`` with captions (wording by ``seed``); train drops :data:`HELD_OUT` images."""
    from .idx import load_idx_dataset

    base = load_idx_dataset("fashion-mnist", split, data_root)
    attributes = measure_attributes(base.data, base.labels)
    draws = _draws((f"{split}:{i}" for i in range(len(base))), seed)
    captions = [caption_for(c, d, w, p) for c, d, w, p in zip(
        attributes["class"].tolist(), attributes["darkness"].tolist(), attributes["width"].tolist(), draws)]
    vocab = fashion_vocabulary()
    spec = DataSpec("fashion-captions", "image", base.spec.shape, 10, base.spec.class_names, extra={
        "captions": "fashion-captions", "vocab": vocab.to_list(), "max_len": vocab.max_len,
        "held_out": [list(t) for t in HELD_OUT]})
    held = is_held_out(attributes)
    ds = CaptionDataset(spec, base.data, base.labels, vocab.encode_all(captions), captions, attributes, held)
    return ds.take((~held).nonzero().flatten()) if split == "train" else ds


def emoji_caption(name: str, group: int, phrasing: int = 0) -> str:
    """An emoji's caption: its CLDR name lowercased (": " read as ", "), with the group in front
    for odd ``phrasing``s ("people and body: waving hand, medium skin tone")."""
    from .emoji import GROUPS

    text = name.lower().replace(": ", ", ")
    return f"{GROUPS[group].lower().replace('&', 'and')}: {text}" if phrasing % 2 else text


def emoji_vocabulary() -> Vocabulary:
    """Every word of the installed emoji names (train and test) and groups; ``max_len`` is the
    longest name behind the longest group prefix, plus 2."""
    from .emoji import GROUPS, load_cache

    names = load_cache()["names"]
    longest = max(len(tokenize(n)) for n in names) + max(len(tokenize(g)) for g in GROUPS)
    return Vocabulary.build([*names, *GROUPS], max_len=longest + 2)


def load_emoji_captions(split: str = "train", size: int = 64, seed: int = 0) -> CaptionDataset:
    """The ``emoji`` ``split`` at ``size`` with a caption per image (group prefix by ``seed``)."""
    from .emoji import emoji_metadata, load_emoji

    base = load_emoji(split, size)
    meta = emoji_metadata(split)
    draws = _draws((m["emoji"] for m in meta), seed)
    captions = [emoji_caption(m["name"], m["group"], p) for m, p in zip(meta, draws)]
    vocab = emoji_vocabulary()
    spec = DataSpec("emoji-captions", "image", base.spec.shape, base.spec.num_classes, base.spec.class_names,
                    extra={"captions": "emoji-captions", "vocab": vocab.to_list(), "max_len": vocab.max_len})
    return CaptionDataset(spec, base.data, base.labels, vocab.encode_all(captions), captions)


def class_caption(spec: DataSpec, label: int) -> str:
    """The plain caption of class ``label`` of a captioned dataset: what a class-conditional use of a
    text model (``--class k``, evaluation by class, the baseline) asks for ("a sandal"; an emoji group)."""
    if spec.extra.get("captions") == "fashion-captions":
        return caption_for(label)
    return spec.class_names[label].lower().replace("&", "and")
