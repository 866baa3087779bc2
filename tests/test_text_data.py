"""The text datasets (words, fortunes): fixed disjoint split, lossless encoding, parsing, one-line errors."""

import pytest
import torch

import gankit
from gankit.data import text
from gankit.data.base import BatchSampler
from gankit.errors import GankitError


@pytest.mark.parametrize("name", ["words", "fortunes"])
def test_split_is_fixed_disjoint_and_complete(name):
    train, test = gankit.data.get_dataset(name, "train"), gankit.data.get_dataset(name, "test")
    assert train.spec == test.spec and train.spec.kind == "text" and train.data.dtype == torch.int64
    a, b = text.decode(train.data, train.spec), text.decode(test.data, test.spec)
    everything = text.read_words() if name == "words" else text.read_fortunes()
    assert set(a).isdisjoint(b) and sorted(a + b) == everything
    assert len(b) == round(0.1 * len(everything)) and "90% train" in train.split_rule
    assert text.decode(text.load_text(name, "test").data, test.spec) == b  # the same on every load


@pytest.mark.parametrize("name", ["words", "fortunes"])
def test_decode_inverts_encode_and_rows_end_with_eos_then_pad(name):
    test = text.load_text(name, "test")
    spec = test.spec
    texts = text.decode(test.data, spec)
    assert torch.equal(text.encode(texts, spec), test.data)
    assert text.decode(text.encode(texts, spec), spec) == texts
    x = spec.extra
    assert spec.extra["vocab"][:3] == ["<pad>", "<bos>", "<eos>"] and (x["pad"], x["bos"], x["eos"]) == (0, 1, 2)
    lengths = torch.tensor([len(t) for t in texts])
    rows = torch.arange(len(texts))
    assert (test.data[rows, lengths] == x["eos"]).all()
    after = torch.arange(spec.shape[0]).unsqueeze(0) > lengths.unsqueeze(1)
    assert (test.data[after] == x["pad"]).all() and (test.data[~after] != x["pad"]).all()
    assert (test.data != x["bos"]).all()


def test_words_are_lowercase_letters_of_3_to_12():
    words = text.decode(text.load_text("words", "train").data, text.load_text("words", "train").spec)
    assert all(w.isalpha() and w.islower() and w.isascii() and 3 <= len(w) <= 12 for w in words)
    assert "aardvark" in words or "aardvark" in text.decode(text.load_text("words", "test").data,
                                                           text.load_text("words", "test").spec)


def test_fortunes_parsing(tmp_path):
    (tmp_path / "one").write_text("Short  and\n   sweet.\n%\nA caf\u00e9 is not ASCII.\n%\n" + "x" * 80 + "\n%\n"
                                  "Short and sweet.\n%\n\n%\nLast one")
    (tmp_path / "one.dat").write_bytes(b"\x00\x01 binary index, skipped")
    assert text.read_fortunes(tmp_path) == ["Last one", "Short and sweet."]


def test_encode_refuses_unknown_characters_and_overlong_texts():
    spec = text.load_text("words", "test").spec
    with pytest.raises(GankitError, match="not in words's vocabulary"):
        text.encode(["Hello"], spec)
    with pytest.raises(GankitError, match="more than the 12"):
        text.encode(["a" * 13], spec)


def test_missing_sources_name_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(text, "WORDS_FILE", tmp_path / "nope")
    monkeypatch.setattr(text, "FORTUNES_DIR", tmp_path / "none")
    for name, package in (("words", "wamerican"), ("fortunes", "fortunes")):
        with pytest.raises(GankitError) as e:
            gankit.data.get_dataset(name, "train")
        message = str(e.value)
        assert "\n" not in message and f"apt-get install {package}" in message and "make data" in message


def test_batches_reach_a_game_as_long_ids():
    test = text.load_text("words", "test")
    batch = BatchSampler(test, 8, "cpu", seed=0).next()
    assert set(batch) == {"x"} and batch["x"].dtype == torch.long and batch["x"].shape == (8, 13)
