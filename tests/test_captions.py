"""Caption datasets for text-to-image models: ``fashion-captions`` and ``emoji-captions``."""

import json

import pytest
import torch

from gankit.data import DataSpec, get_dataset
from gankit.data import captions as C
from gankit.data import emoji as E
from gankit.errors import GankitError

needs_emoji = pytest.mark.skipif(not (E.FONT_PATH.is_file() and E.EMOJI_TEST_PATH.is_file()),
                                 reason="apt-get install fonts-noto-color-emoji unicode-data")


@pytest.fixture(scope="module")
def train():
    return C.load_fashion_captions("train")


@pytest.fixture(scope="module")
def test_split():
    return C.load_fashion_captions("test")


def _triples(ds):
    a = ds.attributes
    return set(zip(a["class"].tolist(), a["darkness"].tolist(), a["width"].tolist()))


def test_thresholds_are_the_tertiles_of_the_training_data(fashion_train):
    values = C.measure_values(fashion_train.data)
    measured = C.compute_thresholds(values, fashion_train.labels)
    for name, table in (("darkness", C.DARKNESS_THRESHOLDS), ("width", C.WIDTH_THRESHOLDS)):
        assert torch.allclose(measured[name], torch.tensor(table), atol=2e-4), name
    levels = C.levels_of(values, fashion_train.labels)
    for c in range(10):
        for name in C.ATTRIBUTES:
            share = torch.bincount(levels[name][fashion_train.labels == c], minlength=3) / 6000
            assert ((share > 0.32) & (share < 0.35)).all(), (c, name, share)


def test_held_out_combinations_never_train(train, test_split, fashion_train):
    assert not _triples(train) & set(C.HELD_OUT)
    held_captions = {t for triple in C.HELD_OUT for t in C.all_captions(*triple)}
    assert not held_captions & set(train.captions)
    assert not train.held_out.any()
    full = C.measure_attributes(fashion_train.data, fashion_train.labels)
    assert len(train) == 60000 - int(C.is_held_out(full).sum())
    # the test split keeps them all, flagged, and each held-out triple occurs there
    assert len(test_split) == 10000 and set(C.HELD_OUT) <= _triples(test_split)
    assert torch.equal(test_split.held_out, C.is_held_out(test_split.attributes))
    flagged = test_split.take(test_split.held_out.nonzero().flatten())
    assert _triples(flagged) == set(C.HELD_OUT) and set(flagged.captions) <= held_captions
    # every class keeps each of its other both-stated combinations in training
    both = {(c, d, w) for c in range(10) for d in (0, 2) for w in (0, 2)}
    assert both - set(C.HELD_OUT) <= _triples(train)
    assert train.spec.extra["held_out"] == [list(t) for t in C.HELD_OUT]


def test_captions_deterministic_per_seed_and_aligned(test_split):
    again, other = C.load_fashion_captions("test"), C.load_fashion_captions("test", seed=1)
    assert again.captions == test_split.captions and torch.equal(again.tokens, test_split.tokens)
    assert other.captions != test_split.captions
    for k in test_split.attributes:  # the wording changes with the seed, never the measured attributes
        assert torch.equal(other.attributes[k], test_split.attributes[k])
    vocab, a = test_split.vocab, test_split.attributes
    for i in range(0, 10000, 499):
        c, d, w = (int(a[k][i]) for k in ("class", "darkness", "width"))
        assert test_split.captions[i] in C.all_captions(c, d, w)
        assert vocab.decode(test_split.tokens[i]) == " ".join(C.tokenize(test_split.captions[i]))
    assert len({len(C.tokenize(t)) for t in test_split.captions}) > 4  # they state 0, 1 or 2 attributes


def test_caption_wording():
    assert C.caption_for(9, 2, 2) == "a dark, wide ankle boot"
    assert C.all_captions(9, 2, 2)[2] == "an ankle boot that is dark and wide"
    assert C.caption_for(9) == "an ankle boot" and C.caption_for(9, 2, 1) == "a dark ankle boot"
    assert C.caption_for(1, 0, 1, 2) == "a pair of trousers in a light shade"
    assert C.caption_for(0, 1, 0, 2) == "a photo of a narrow t-shirt"
    assert C.caption_for(4, 0, 2, 4) == C.caption_for(4, 0, 2, 0)  # wordings are taken modulo their count
    with pytest.raises(GankitError, match="levels 0, 1 or 2"):
        C.caption_for(3, 3, 0)


def _rectangle(size, width, height, value):
    img = torch.zeros(1, 1, size, size, dtype=torch.uint8)
    top, left = (size - height) // 2, (size - width) // 2
    img[..., top:top + height, left:left + width] = value
    return img


@pytest.mark.parametrize("label", [1, 8])  # the thresholds of trousers and of bags differ a lot
def test_hand_drawn_images_get_the_expected_levels(label):
    wide_dark = _rectangle(28, 26, 8, 250)
    narrow_light = _rectangle(28, 6, 24, 80)
    got = C.measure_attributes(torch.cat([wide_dark, narrow_light]), torch.tensor([label, label]))
    assert got["class"].tolist() == [label, label]
    assert got["darkness"].tolist() == [2, 0] and got["width"].tolist() == [2, 0]
    big = torch.cat([_rectangle(64, 60, 18, 250), _rectangle(64, 14, 54, 80)])  # other sizes: resized to 28
    assert C.measure_attributes(big, torch.tensor([label, label]))["width"].tolist() == [2, 0]
    blank = C.measure_values(torch.zeros(1, 1, 28, 28, dtype=torch.uint8))
    assert blank["darkness"].item() == 0 and blank["width"].item() == 1


def test_measure_errors():
    with pytest.raises(GankitError, match="one channel"):
        C.measure_attributes(torch.zeros(2, 3, 28, 28, dtype=torch.uint8), torch.tensor([0, 1]))
    with pytest.raises(GankitError, match="one class in 0..9 per image"):
        C.measure_attributes(torch.zeros(2, 1, 28, 28, dtype=torch.uint8), torch.tensor([0, 10]))


def test_vocabulary_round_trip_and_errors(test_split):
    vocab = test_split.vocab
    assert vocab.to_list()[0] == "<pad>" and vocab.max_len == C.FASHION_MAX_LEN == test_split.tokens.shape[1]
    rebuilt = C.Vocabulary.from_list(json.loads(json.dumps(vocab.to_list())), vocab.max_len)
    ids = rebuilt.encode("A dark, WIDE ankle-boot")
    assert ids.shape == (12,) and ids.dtype == torch.int64 and (ids[6:] == 0).all()
    assert torch.equal(ids, vocab.encode("a dark wide ankle boot"))
    assert rebuilt.decode(ids) == "a dark wide ankle boot"
    assert len(vocab) == 26 and {"light", "dark", "narrow", "wide", "trousers"} <= set(vocab.words)
    with pytest.raises(GankitError, match=r"unknown word 'purple' in the caption .*knows 25 words, e\.g\. "):
        vocab.encode("a purple dress")
    with pytest.raises(GankitError, match="has 13 words, more than the 12 this run allows"):
        vocab.encode(" ".join(["dark"] * 13))
    assert C.tokenize("Waving hand: medium-light skin tone") == ["waving", "hand", "medium", "light", "skin", "tone"]
    assert C.tokenize("flag: Bosnia & Herzegovina") == ["flag", "bosnia", "and", "herzegovina"]
    assert C.tokenize("man’s shoe") == ["man", "s", "shoe"] and C.tokenize("keycap: #")[-2:] == ["number", "sign"]


def test_spec_is_json_and_rebuilds_the_vocabulary(train):
    spec = DataSpec.from_dict(json.loads(json.dumps(train.spec.to_dict())))
    assert spec.extra["captions"] == "fashion-captions" and spec.num_classes == 10
    vocab = C.Vocabulary.from_list(spec.extra["vocab"], spec.extra["max_len"])
    assert torch.equal(vocab.encode(train.captions[0]), train.tokens[0])


def test_subset_keeps_fields_aligned(test_split):
    sub = test_split.subset(50, seed=3)
    assert isinstance(sub, C.CaptionDataset) and len(sub) == 50 and len(sub.captions) == 50
    assert torch.equal(sub.tokens, sub.vocab.encode_all(sub.captions))
    measured = C.measure_attributes(sub.data, sub.labels)
    for k in measured:
        assert torch.equal(measured[k], sub.attributes[k])
    assert torch.equal(sub.held_out, C.is_held_out(sub.attributes))


def test_sampler_batches_and_resumes_exactly(test_split):
    ds = test_split.subset(100, seed=0)  # 3 batches of 32 an epoch: the draws below cross an epoch
    sampler = ds.batch_sampler(32, "cpu", seed=5)
    first = sampler.next()
    idx = sampler.state_dict()["order"][:32]
    assert set(first) == {"x", "y", "text"} and first["text"].shape == (32, ds.tokens.shape[1])
    assert torch.equal(first["text"], ds.tokens[idx]) and torch.equal(first["y"], ds.labels[idx])
    assert torch.equal(first["x"], ds.to_model(ds.data[idx])) and first["x"].min() >= -1
    for _ in range(2):
        sampler.next()
    state = sampler.state_dict()
    expected = [sampler.next() for _ in range(2)]
    fresh = ds.batch_sampler(32, "cpu", seed=99)
    fresh.load_state_dict(state)
    for want in expected:
        got = fresh.next()
        assert all(torch.equal(got[k], want[k]) for k in want)
    assert fresh.epoch == 1


def test_get_dataset_fashion_captions(test_split):
    ds = get_dataset("fashion-captions", "test", image_size=32)
    assert isinstance(ds, C.CaptionDataset) and ds.spec.shape == (1, 32, 32) and ds.data.shape == (10000, 1, 32, 32)
    assert ds.spec.name == "fashion-captions" and ds.spec.extra == test_split.spec.extra
    assert torch.equal(ds.tokens, test_split.tokens) and ds.captions == test_split.captions
    # the attributes mostly survive the resize: measured again on the 32x32 images (resized back to 28;
    # measured 90.7% of darkness levels and 97.1% of width levels agree)
    again = C.measure_attributes(ds.data, ds.labels)
    agree = {k: (again[k] == ds.attributes[k]).float().mean() for k in C.ATTRIBUTES}
    assert agree["darkness"] > 0.88 and agree["width"] > 0.95, agree
    assert get_dataset("fashion-captions", "test").spec.shape == (1, 28, 28)
    with pytest.raises(GankitError, match="leave out --channels"):
        get_dataset("fashion-captions", "test", channels=3)


@needs_emoji
def test_emoji_captions():
    ds = get_dataset("emoji-captions", "train", image_size=64)
    meta = E.emoji_metadata("train")
    assert isinstance(ds, C.CaptionDataset) and ds.spec.shape == (3, 64, 64) and len(ds) == len(meta)
    assert ds.labels.tolist() == [m["group"] for m in meta]
    vocab = ds.vocab
    assert ds.tokens.shape == (len(ds), vocab.max_len) and ds.spec.extra["captions"] == "emoji-captions"
    prefixed = 0
    for i, (m, caption) in enumerate(zip(meta, ds.captions)):
        assert caption in (C.emoji_caption(m["name"], m["group"], 0), C.emoji_caption(m["name"], m["group"], 1))
        prefixed += caption != C.emoji_caption(m["name"], m["group"], 0)
        if i % 97 == 0:
            assert vocab.decode(ds.tokens[i]) == " ".join(C.tokenize(caption))
    assert 0.4 < prefixed / len(ds) < 0.6
    wave = ds.captions[[m["name"] for m in meta].index("waving hand: medium skin tone")]
    assert wave in ("waving hand, medium skin tone", "people and body: waving hand, medium skin tone")
    test = C.load_emoji_captions("test", size=32)  # one vocabulary for both splits
    assert test.spec.shape == (3, 32, 32) and test.spec.extra == ds.spec.extra
    assert json.dumps(ds.spec.to_dict())
    assert C.load_emoji_captions("train", seed=1).captions != ds.captions
