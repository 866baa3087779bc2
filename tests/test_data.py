import gzip
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from gankit.data import BatchSampler, get_dataset, load_image_folder, mode_coverage
from gankit.data.idx import read_idx
from gankit.errors import GankitError


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_read_idx_plain_and_gzip(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "x-idx3-ubyte").write_bytes(_idx_bytes(a))
    with gzip.open(tmp_path / "y-idx3-ubyte.gz", "wb") as f:
        f.write(_idx_bytes(a))
    assert np.array_equal(read_idx(tmp_path / "x-idx3-ubyte"), a)
    assert np.array_equal(read_idx(tmp_path / "y-idx3-ubyte.gz"), a)


def test_read_idx_truncated_and_garbage(tmp_path):
    a = np.zeros((5, 4, 4), dtype=np.uint8)
    (tmp_path / "t").write_bytes(_idx_bytes(a)[:-3])
    with pytest.raises(GankitError, match="truncated"):
        read_idx(tmp_path / "t")
    (tmp_path / "g").write_bytes(b"hello world")
    with pytest.raises(GankitError, match="not an idx file"):
        read_idx(tmp_path / "g")


def test_mnist_family_from_data_root(tmp_path):
    """A --data-root with the four idx files is used before anything else."""
    for prefix, n in (("train", 7), ("t10k", 3)):
        (tmp_path / f"{prefix}-images-idx3-ubyte").write_bytes(_idx_bytes(np.full((n, 28, 28), 9)))
        (tmp_path / f"{prefix}-labels-idx1-ubyte").write_bytes(_idx_bytes(np.arange(n) % 10))
    ds = get_dataset("mnist", "test", data_root=str(tmp_path))
    assert ds.data.shape == (3, 1, 28, 28) and ds.data.dtype == torch.uint8
    assert ds.labels.tolist() == [0, 1, 2]


def test_fashion_mnist_real_files(fashion_train):
    assert fashion_train.data.shape == (60000, 1, 28, 28)
    assert torch.bincount(fashion_train.labels).tolist() == [6000] * 10
    assert get_dataset("fashion-mnist", "test").data.shape == (10000, 1, 28, 28)


def test_fashion_resized_to_rgb32():
    ds = get_dataset("fashion-mnist", "test", image_size=32, channels=3)
    assert ds.spec.shape == (3, 32, 32) and ds.data.shape == (10000, 3, 32, 32)


def _write_png(path, size, color, mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, color).save(path)


def test_image_folder_with_classes_and_resize(tmp_path):
    for i in range(3):
        _write_png(tmp_path / "cats" / f"{i}.png", (40, 30), (255, 0, 0))
        _write_png(tmp_path / "dogs" / "sub" / f"{i}.jpg", (50, 50), (0, 0, 255))
    ds = load_image_folder(str(tmp_path), image_size=16)
    assert ds.data.shape == (6, 3, 16, 16)
    assert ds.spec.class_names == ("cats", "dogs")
    assert sorted(ds.labels.tolist()) == [0, 0, 0, 1, 1, 1]
    cat = ds.data[ds.labels == 0][0]
    assert cat[0].float().mean() > 250 and cat[2].float().mean() < 5  # red survived resizing
    gray = load_image_folder(str(tmp_path), image_size=16, channels=1)
    assert gray.data.shape == (6, 1, 16, 16)


def test_image_folder_errors(tmp_path):
    with pytest.raises(GankitError, match="no images found"):
        load_image_folder(str(tmp_path))
    _write_png(tmp_path / "a.png", (8, 8), (1, 2, 3))
    _write_png(tmp_path / "b.png", (9, 9), (1, 2, 3))
    with pytest.raises(GankitError, match="--image-size"):
        load_image_folder(str(tmp_path))
    (tmp_path / "c.png").write_bytes((tmp_path / "a.png").read_bytes()[:20])
    with pytest.raises(GankitError, match="cannot read image .*c.png"):
        load_image_folder(str(tmp_path), image_size=8)


def test_toy_mixtures_and_the_coverage_criterion():
    ring = get_dataset("ring8")
    m = mode_coverage(ring.data[:5000], ring.spec)
    assert m["modes_covered"] == 8 and m["high_quality"] > 0.98
    # all mass on one mode: 1 mode covered; uniform noise: few high-quality samples
    one = torch.tensor(ring.spec.extra["centres"][0]).repeat(1000, 1)
    assert mode_coverage(one, ring.spec)["modes_covered"] == 1
    noise = torch.rand(5000, 2) * 6 - 3
    assert mode_coverage(noise, ring.spec)["high_quality"] < 0.05
    grid = get_dataset("grid25")
    assert mode_coverage(grid.data[:10000], grid.spec)["modes_covered"] == 25


def test_batch_sampler_scales_images_and_covers_an_epoch(fashion_small):
    s = BatchSampler(fashion_small, 100, torch.device("cpu"), seed=0)
    seen = []
    for _ in range(s.batches_per_epoch):
        batch = s.next()
        x, y = batch["x"], batch["y"]
        assert x.dtype == torch.float32 and x.min() >= -1 and x.max() <= 1
        seen.append(y)
    assert torch.equal(torch.cat(seen).sort().values, fashion_small.labels.sort().values)


def test_batch_sampler_ranks_take_disjoint_shards(fashion_small):
    """Two processes with the same seed see the same permutation and disjoint halves of each global batch."""
    ranks = [BatchSampler(fashion_small, 50, torch.device("cpu"), seed=0, rank=r, world_size=2) for r in (0, 1)]
    assert ranks[0].batches_per_epoch == len(fashion_small) // 100
    seen = [[], []]
    for _ in range(ranks[0].batches_per_epoch):
        for r, s in enumerate(ranks):
            seen[r].append(s.next()["x"].flatten(1))
    a, b = torch.cat(seen[0]), torch.cat(seen[1])
    assert len(a) == len(b) == 50 * ranks[0].batches_per_epoch
    single = BatchSampler(fashion_small, 100, torch.device("cpu"), seed=0)
    first = single.next()["x"].flatten(1)
    assert torch.equal(first, torch.cat([a[:50], b[:50]]))  # the two halves of the one-process batch
    assert ranks[0].images_drawn() == len(a)
    with pytest.raises(ValueError):
        BatchSampler(fashion_small, 50, torch.device("cpu"), seed=0, rank=2, world_size=2)


def test_unknown_dataset():
    with pytest.raises(GankitError, match="unknown dataset 'cifar99'"):
        get_dataset("cifar99")
    with pytest.raises(GankitError, match="does not exist"):
        get_dataset("./no/such/folder")


def _png(path, array, mode=None):
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode).save(path) if mode else Image.fromarray(array).save(path)


def test_a_stray_image_at_the_root_does_not_turn_the_labels_off(tmp_path, capsys):
    import numpy as np

    from gankit.data.folder import load_image_folder

    for cls in ("a", "b"):
        for i in range(2):
            _png(tmp_path / cls / f"{i}.png", np.full((8, 8), 40 if cls == "a" else 200, np.uint8))
    _png(tmp_path / "stray.png", np.zeros((8, 8), np.uint8))
    ds = load_image_folder(str(tmp_path))
    assert ds.spec.class_names == ("a", "b") and ds.labels.tolist() == [0, 0, 1, 1] and len(ds) == 4
    err = capsys.readouterr().err
    assert "1 image(s) at its root (stray.png)" in err and "not used" in err


def test_16_bit_pngs_are_scaled_not_saturated(tmp_path):
    import numpy as np
    from PIL import Image

    from gankit.data.folder import load_image_folder

    ramp = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000)  # 0 .. 63000 of 65535
    Image.fromarray(ramp).save(tmp_path / "deep.png")  # Pillow writes a 16-bit gray PNG
    assert Image.open(tmp_path / "deep.png").mode.startswith("I")
    ds = load_image_folder(str(tmp_path))
    expected = np.round(ramp / 65535 * 255)
    assert abs(ds.data.float().mean().item() - expected.mean()) < 1.0  # it was 254 of 255 (issue 21)
