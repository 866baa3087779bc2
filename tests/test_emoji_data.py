"""The offline ``emoji`` dataset (Noto Color Emoji from Debian's fonts-noto-color-emoji)."""

import shutil

import pytest
import torch

from gankit.data import emoji as E
from gankit.data import get_dataset
from gankit.errors import GankitError

have_sources = E.FONT_PATH.is_file() and E.EMOJI_TEST_PATH.is_file()
needs_sources = pytest.mark.skipif(not have_sources, reason="apt-get install fonts-noto-color-emoji unicode-data")


@pytest.fixture(autouse=True)
def _fresh_memory_cache():
    E._load_blob.cache_clear()
    yield
    E._load_blob.cache_clear()


@needs_sources
def test_parse_emoji_test():
    entries = E.parse_emoji_test()
    assert entries[0] == {"emoji": "\U0001F600", "name": "grinning face", "group": 0}
    by_emoji = {e["emoji"]: e for e in entries}
    assert by_emoji["\U0001F1EF\U0001F1F5"]["name"] == "flag: Japan"
    assert by_emoji["\U0001F1EF\U0001F1F5"]["group"] == E.GROUPS.index("Flags")
    wave = by_emoji["\U0001F44B\U0001F3FD"]
    assert wave["name"] == "waving hand: medium skin tone" and wave["group"] == E.GROUPS.index("People & Body")
    assert "\u263A" not in by_emoji and "\u263A\uFE0F" in by_emoji  # fully-qualified forms only
    assert "\U0001F3FB" not in by_emoji  # the Component group is dropped
    assert sorted({e["group"] for e in entries}) == list(range(9))
    assert len(entries) > 3500


@needs_sources
@pytest.mark.parametrize("size", [32, 64])
def test_splits_shapes_and_classes(size):
    train, test = get_dataset("emoji", "train", image_size=size), get_dataset("emoji", "test", image_size=size)
    for ds in (train, test):
        assert ds.spec.name == "emoji" and ds.spec.kind == "image" and ds.spec.shape == (3, size, size)
        assert ds.spec.num_classes == 9 and ds.spec.class_names == E.GROUPS
        assert ds.data.dtype == torch.uint8 and ds.data.shape[1:] == (3, size, size)
        assert ds.labels.dtype == torch.int64 and ds.labels.shape == (len(ds),)
        assert ds.spec.extra == {}  # the names live in emoji_metadata(split), not in every run's config
    assert len(train) > 3000 and 300 < len(test) < 450
    assert get_dataset("emoji").data.shape[-1] == 32  # the default size


@needs_sources
def test_splits_disjoint_stratified_and_aligned():
    meta = {s: E.emoji_metadata(s) for s in ("train", "test")}
    train, test = ({m["emoji"] for m in meta[s]} for s in ("train", "test"))
    assert not train & test and len(train) == len(meta["train"]) and len(test) == len(meta["test"])
    assert len(train) + len(test) == len(E.load_cache()["emoji"])
    for s in ("train", "test"):
        assert [m["group"] for m in meta[s]] == E.load_emoji(s).labels.tolist()
    counts = {s: torch.bincount(torch.tensor([m["group"] for m in meta[s]]), minlength=9) for s in meta}
    for g in range(9):
        total = int(counts["train"][g] + counts["test"][g])
        assert int(counts["test"][g]) == max(1, round(0.1 * total))
    # the split is fixed by seed 0 and the emoji strings alone
    again = E.split_indices(E.load_cache()["emoji"], E.load_cache()["labels"], "test")
    assert [E.load_cache()["emoji"][i] for i in again.tolist()] == [m["emoji"] for m in meta["test"]]


@needs_sources
def test_grinning_face_is_a_colorful_emoji_on_white():
    for split in ("train", "test"):
        meta = E.emoji_metadata(split)
        hits = [i for i, m in enumerate(meta) if m["emoji"] == "\U0001F600"]
        if hits:
            break
    assert len(hits) == 1
    m = meta[hits[0]]
    assert m == {"emoji": "\U0001F600", "name": "grinning face", "unicode_name": "GRINNING FACE", "group": 0}
    for size in (32, 64):
        img = E.load_emoji(split, size).data[hits[0]].int()
        assert img[:, 0, 0].tolist() == [255, 255, 255] and img[:, -1, -1].tolist() == [255, 255, 255]
        ink = (img < 250).any(0)
        assert ink.float().mean() > 0.5  # cropped to the glyph: the face fills the square
        saturation = (img.max(0).values - img.min(0).values)[ink].float().mean()
        assert saturation > 80  # yellow, not gray
        r, g, b = (img[c][ink].float().mean() for c in range(3))
        assert r > b + 60 and g > b + 30


@needs_sources
def test_metadata_names_and_other_sizes():
    meta = E.emoji_metadata("train") + E.emoji_metadata("test")
    by_emoji = {m["emoji"]: m for m in meta}
    assert by_emoji["\u263A\uFE0F"]["unicode_name"] == "WHITE SMILING FACE"  # code point + U+FE0F
    assert by_emoji["\U0001F1EF\U0001F1F5"]["unicode_name"] is None  # a sequence
    gray = get_dataset("emoji", "test", image_size=48, channels=1)
    assert gray.spec.shape == (1, 48, 48) and gray.data.shape[1:] == (1, 48, 48) and gray.spec.num_classes == 9
    with pytest.raises(GankitError, match="unknown split"):
        E.load_emoji("val")


@needs_sources
def test_cache_is_written_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_HOME", str(tmp_path))
    few = [e for e in E.parse_emoji_test() if e["group"] in (0, 8)][:40] + E.parse_emoji_test()[-30:]
    monkeypatch.setattr(E, "parse_emoji_test", lambda path=None: few)
    calls = []
    real = E._render_one
    monkeypatch.setattr(E, "_render_one", lambda *a: calls.append(1) or real(*a))
    first = E.load_emoji("train", 32)
    path = E.cache_path()
    assert calls and path.is_file() and path.parent == tmp_path / "emoji"
    assert f"v{E.CACHE_VERSION}-" in path.name and str(E.FONT_PATH.stat().st_size) in path.name
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    E._load_blob.cache_clear()
    calls.clear()
    second = E.load_emoji("train", 32)
    assert not calls and torch.equal(first.data, second.data) and torch.equal(first.labels, second.labels)
    # another font (size or mtime) is another cache file
    real_font, font = E.FONT_PATH, tmp_path / "NotoColorEmoji.ttf"
    shutil.copyfile(real_font, font)
    monkeypatch.setattr(E, "FONT_PATH", font)
    assert E.cache_path() != path
    # a corrupt cache file is rendered again
    path.write_bytes(b"garbage")
    monkeypatch.setattr(E, "FONT_PATH", real_font)
    E._load_blob.cache_clear()
    assert torch.equal(E.load_emoji("train", 32).data, first.data) and calls


def test_missing_font_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_HOME", str(tmp_path))
    monkeypatch.setattr(E, "FONT_PATH", tmp_path / "NotoColorEmoji.ttf")
    with pytest.raises(GankitError, match="apt-get install fonts-noto-color-emoji unicode-data") as info:
        get_dataset("emoji", "train")
    assert "\n" not in str(info.value) and "NotoColorEmoji.ttf" in str(info.value)
    assert not (tmp_path / "emoji").exists()


@needs_sources
def test_shipped_emoji_classifier():
    from gankit.metrics.features import classifier_extractor
    from gankit.metrics.weights import PACKAGE_WEIGHTS, load_classifier

    assert (PACKAGE_WEIGHTS / "emoji-classifier.pt").stat().st_size < 2_000_000
    model, meta, _ = load_classifier("emoji")
    assert meta["channels"] == 3 and meta["image_size"] == 32 and tuple(meta["class_names"]) == E.GROUPS
    test = get_dataset("emoji", "test")
    out = classifier_extractor("emoji")(test.data)
    assert out["features"].shape == (len(test), 128) and out["logits"].shape == (len(test), 9)
    assert (out["logits"].argmax(1) == test.labels).float().mean() == pytest.approx(meta["test_accuracy"], abs=1e-3)
    with torch.no_grad():  # fed at 32 px as trained, not resized
        assert torch.allclose(out["features"][:8], model.features(test.data[:8]), atol=1e-5)
