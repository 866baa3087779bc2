"""Character-level text datasets for language GANs (SeqGAN, MaskGAN) and their MLE baseline.

Both come from Debian packages, so they are offline and the same on every machine with the package:

* ``words``: the English word list of ``wamerican`` (/usr/share/dict/american-english), lowercased,
  only words of the letters a-z (possessives "'s" and accented loan words dropped), 3..12 letters,
  each word once. Short, one mode per word, and a test split of unseen words: small enough that a
  CPU learns it in minutes, rich enough that BLEU against held-out words means something.
* ``fortunes``: the short texts of the ``fortunes`` package (/usr/share/games/fortunes: files of
  texts separated by lines holding one ``%``), whitespace collapsed to single spaces, kept when
  they are printable ASCII and at most :data:`FORTUNE_MAX_CHARS` characters (one-liners: the long
  ones are poems and dialogues that a character LSTM of this size cannot learn on a CPU), each
  text once. Only the default collections (the ``off/`` offensive ones are a separate package).

Tokens are characters: ``<pad>`` 0, ``<bos>`` 1, ``<eos>`` 2, then the characters in code point
order (the spec's ``vocab``, so a saved run decodes its samples without the data). A row of
``Dataset.data`` is the text's ids, then ``<eos>``, then ``<pad>`` to the length L (no ``<bos>``:
generators start from it themselves). The split is fixed: a seeded permutation of the sorted,
de-duplicated texts, 90% train and 10% test (:data:`SPLIT_SEED`), so test texts are never seen in
training, which is what makes BLEU against the test split a measure of generalization.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import torch

from ..errors import GankitError
from .base import Dataset, DataSpec

FORTUNES_DIR = Path("/usr/share/games/fortunes")
WORDS_FILE = Path("/usr/share/dict/american-english")
PAD, BOS, EOS = 0, 1, 2
SPECIALS = ["<pad>", "<bos>", "<eos>"]
#: fortunes longer than this (after collapsing whitespace) are left out
FORTUNE_MAX_CHARS = 64
WORD_LENGTHS = (3, 12)
SPLIT_SEED = 1234
TEST_SHARE = 0.1
SPLIT_RULE = (f"seeded permutation (seed {SPLIT_SEED}) of the sorted distinct texts: "
              f"{round(100 * (1 - TEST_SHARE))}% train, {round(100 * TEST_SHARE)}% test")
TEXT_DATASETS = ("fortunes", "words")

_PRINTABLE = re.compile(r"^[\x20-\x7e]+$")
_WORD = re.compile(r"^[a-z]+$")


def _missing(what: Path, package: str) -> GankitError:
    return GankitError(f"{what} is missing (install Debian's {package} package: apt-get install {package}, "
                       "or run make data)")


def read_fortunes(directory: Path | None = None, max_chars: int = FORTUNE_MAX_CHARS) -> list[str]:
    """The distinct short fortunes of every collection in ``directory`` (default :data:`FORTUNES_DIR`), sorted."""
    directory = Path(directory or FORTUNES_DIR)
    files = sorted(p for p in directory.glob("*") if p.is_file() and p.suffix not in (".dat", ".u8")) \
        if directory.is_dir() else []
    if not files:
        raise _missing(directory, "fortunes")
    texts = set()
    for path in files:
        raw = path.read_bytes().decode("utf-8", errors="replace")
        for chunk in re.split(r"^%\s*$", raw, flags=re.MULTILINE):
            text = " ".join(chunk.split())
            if text and len(text) <= max_chars and _PRINTABLE.match(text):
                texts.add(text)
    return sorted(texts)


def read_words(path: Path | None = None, lengths: tuple[int, int] = WORD_LENGTHS) -> list[str]:
    """The distinct lowercase a-z words of the list at ``path`` (default :data:`WORDS_FILE`) with
    ``lengths[0]..lengths[1]`` letters, sorted."""
    path = Path(path or WORDS_FILE)
    if not path.is_file():
        raise _missing(path, "wamerican")
    low, high = lengths
    words = {w.strip().lower() for w in path.read_text(encoding="utf-8", errors="replace").splitlines()}
    return sorted(w for w in words if low <= len(w) <= high and _WORD.match(w))


def make_spec(name: str, texts: list[str], length: int) -> DataSpec:
    chars = sorted(set("".join(texts)))
    return DataSpec(name, "text", (length,), extra={"vocab": SPECIALS + chars, "pad": PAD, "bos": BOS, "eos": EOS,
                                                    "unit": "char"})


def encode(texts: list[str], spec: DataSpec) -> torch.Tensor:
    """int64 (N, L): each text's character ids, ``<eos>``, then ``<pad>``; a character outside the vocabulary or a
    text longer than L - 1 is an error (no ``<unk>``: a silent substitute would change what is measured)."""
    vocab = spec.extra["vocab"]
    index = {tok: i for i, tok in enumerate(vocab) if i >= len(SPECIALS)}
    length, pad, eos = spec.shape[0], spec.extra["pad"], spec.extra["eos"]
    rows = []
    for text in texts:
        if len(text) > length - 1:
            raise GankitError(f"text {text[:30]!r}... has {len(text)} characters, more than the {length - 1} "
                              f"{spec.name} holds (shorten it)")
        try:
            ids = [index[c] for c in text]
        except KeyError as e:
            raise GankitError(f"character {e.args[0]!r} of {text!r} is not in {spec.name}'s vocabulary "
                              "(use only characters the dataset has)") from None
        rows.append(ids + [eos] + [pad] * (length - 1 - len(ids)))
    return torch.tensor(rows, dtype=torch.long).view(len(rows), length)


def decode(ids: torch.Tensor, spec: DataSpec) -> list[str]:
    """Texts of token ids (N, L): characters up to the first ``<eos>`` (or ``<pad>``); ``<bos>`` is skipped."""
    vocab = spec.extra["vocab"]
    stop = {spec.extra["eos"], spec.extra["pad"]}
    out = []
    for row in ids.tolist():
        chars = []
        for i in row:
            if i in stop:
                break
            if i >= len(SPECIALS):
                chars.append(vocab[i])
        out.append("".join(chars))
    return out


def tokens(text: str, spec: DataSpec) -> list[str]:
    """What BLEU counts as a token of ``text``: characters for ``words`` (a word has no smaller parts the
    model sees), words (split at spaces) for ``fortunes``, as Texygen and Caccia et al. 2020 score sentences."""
    return text.split() if spec.name == "fortunes" else list(text)


def text_split(texts: list[str], split: str) -> list[str]:
    order = torch.randperm(len(texts), generator=torch.Generator().manual_seed(SPLIT_SEED)).tolist()
    n_test = round(len(texts) * TEST_SHARE)
    chosen = order[:n_test] if split == "test" else order[n_test:]
    return [texts[i] for i in sorted(chosen)]


@functools.lru_cache(maxsize=4)
def _texts_cached(name: str, source: Path) -> tuple[str, ...]:
    return tuple(read_fortunes(source) if name == "fortunes" else read_words(source))


def _texts(name: str, source: Path) -> list[str]:
    """The texts of ``name`` read once per process (both splits and every test load the same files)."""
    return list(_texts_cached(name, source))


def load_text(name: str, split: str = "train") -> Dataset:
    """``fortunes`` or ``words`` (see the module's docstring), ``split`` "train" or "test"."""
    if name not in TEXT_DATASETS:
        raise GankitError(f"unknown text dataset {name!r} (use one of: {', '.join(TEXT_DATASETS)})")
    if split not in ("train", "test"):
        raise GankitError(f"unknown split {split!r} (use train or test)")
    texts = _texts(name, FORTUNES_DIR if name == "fortunes" else WORDS_FILE)
    # the vocabulary and length come from all texts, so train and test share one spec
    length = (FORTUNE_MAX_CHARS if name == "fortunes" else WORD_LENGTHS[1]) + 1
    spec = make_spec(name, texts, length)
    return Dataset(spec, encode(text_split(texts, split), spec), split_rule=SPLIT_RULE)
