"""Scoring samples made anywhere: gankit.metrics.evaluate_samples and ``gankit score`` (issue 19, item 7).

The real side is 200 Fashion-MNIST test images scored against the whole test split (FID 11.0 with the
shipped classifier; uniform noise 570): each accepted layout of the same images must give the same
FID, and each refused one a single line naming the accepted layouts."""

import json

import numpy as np
import pytest
import torch
from cli_check import one_line_error, run_cli

from gankit.data import get_dataset
from gankit.errors import GankitError
from gankit.metrics import evaluate_samples

LAYOUTS = "(N, H, W), (N, H, W, C) or (N, C, H, W)"


@pytest.fixture(scope="module", autouse=True)
def _isolated_cache(isolated_gankit_home):
    """Feature caches and user weights go to a temporary GANKIT_HOME (conftest)."""


@pytest.fixture(scope="module")
def real():
    """200 test images, uint8 (N, 1, 28, 28) (few: the classifier costs ~1.7 ms an image on one busy core)."""
    return get_dataset("fashion-mnist", "test").data[:200]


@pytest.fixture(scope="module")
def fid_real(real):
    return evaluate_samples(real, "fashion-mnist", "fid")["metrics"]["fid"]


@pytest.fixture(scope="module")
def npy(real, tmp_path_factory):
    path = tmp_path_factory.mktemp("samples") / "x.npy"
    np.save(path, real[:, 0].numpy())  # (N, H, W) uint8, as gankit sample --out x.npy writes it
    return path


def _save(tmp_path, name, array):
    path = tmp_path / name
    np.save(path, array)
    return str(path)


def test_real_images_score_far_below_noise(real, fid_real):
    noise = torch.randint(0, 256, real.shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    result = evaluate_samples(noise, dataset="fashion-mnist", metrics=["fid"])
    assert 0 < fid_real < 30 and result["metrics"]["fid"] > 300  # measured 11.0 and 570
    assert result["info"]["n"] == 200 and result["info"]["n_real"] == 10000
    assert result["info"]["extractor"]["name"] == "classifier" and "total" in result["seconds"]


@pytest.mark.parametrize("layout", ["NHW", "NHW1", "N1HW", "float [0, 1]", "float [-1, 1]", "gray as RGB", "int64"])
def test_every_accepted_layout_gives_the_same_fid(real, fid_real, layout):
    x = {"NHW": lambda: real[:, 0].numpy(), "NHW1": lambda: real.permute(0, 2, 3, 1).numpy(), "N1HW": lambda: real,
         "float [0, 1]": lambda: real.float() / 255, "float [-1, 1]": lambda: real.numpy().astype(np.float32) / 127.5 - 1,
         "gray as RGB": lambda: real.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).numpy(),
         "int64": lambda: real.long()}[layout]()
    assert evaluate_samples(x, "fashion-mnist", "fid")["metrics"]["fid"] == pytest.approx(fid_real, abs=1e-4)


def test_evaluate_samples_refuses_bad_input_in_one_line():
    with pytest.raises(GankitError, match=r"shape \(10, 5\) is not a batch of images \(give N images as"):
        evaluate_samples(np.zeros((10, 5), np.uint8), "fashion-mnist")
    with pytest.raises(GankitError, match="needs the class each sample was drawn for"):
        evaluate_samples(np.zeros((10, 28, 28), np.uint8), "fashion-mnist", "cond")
    with pytest.raises(GankitError, match="no dataset to compare"):
        evaluate_samples(np.zeros((10, 28, 28), np.uint8))


def test_cli_prints_the_table_json_and_out(npy, fid_real, tmp_path, capsys):
    rc, out, _ = run_cli(capsys, ["score", str(npy), "--dataset", "fashion-mnist", "--metrics", "fid"])
    assert rc == 0
    assert "200 samples vs 10000 test images of fashion-mnist, features: classifier-fashion-mnist-" in out
    assert "FID" in out and f"{fid_real:.3f}" in out
    rc, out, _ = run_cli(capsys, ["score", str(npy), "--dataset", "fashion-mnist", "--metrics", "fid", "--json",
                                  "--n", "150", "--out", str(tmp_path / "eval.json")])
    result = json.loads(out)
    assert rc == 0 and result["info"]["n"] == 150 and result["info"]["samples"] == str(npy)
    assert json.loads((tmp_path / "eval.json").read_text()) == result


def test_cli_folder_of_pngs_gives_the_same_number(real, fid_real, tmp_path, capsys):
    from PIL import Image

    for i, image in enumerate(real[:, 0].numpy()):  # gray PNGs, and a few saved as RGB with equal channels
        (Image.fromarray(image).convert("RGB") if i % 40 == 0 else Image.fromarray(image)).save(tmp_path / f"{i:04d}.png")
    rc, out, _ = run_cli(capsys, ["score", str(tmp_path), "--dataset", "fashion-mnist", "--metrics", "fid", "--json"])
    assert rc == 0 and json.loads(out)["metrics"]["fid"] == pytest.approx(fid_real, abs=1e-4)


def test_cli_refuses_bad_arrays_naming_the_layouts(real, tmp_path, capsys):
    gray = real[:20, 0].numpy()
    color = np.stack([gray, gray // 2, gray // 3], axis=-1)
    cases = [
        (np.zeros((10, 5), np.uint8), ["shape (10, 5)"]),
        (np.zeros((10, 28, 28, 4), np.uint8), ["shape (10, 28, 28, 4)", "channel axis of size 1 or 3"]),
        (gray.astype(np.float32), ["float values span 0..255", "outside [0, 1] and [-1, 1]"]),
        (gray.astype(np.int64) * 2, ["integer values span 0..510, outside 0..255"]),
        (np.zeros((10, 32, 32), np.uint8), ["the images are 32x32", "fashion-mnist 28x28", "resize them to 28x28"]),
        (color, ["in color", "fashion-mnist is gray"]),
        (np.zeros((0, 28, 28), np.uint8), ["holds no images"]),
    ]
    for i, (array, needles) in enumerate(cases):
        path = _save(tmp_path, f"bad{i}.npy", array)
        one_line_error(capsys, ["score", path, "--dataset", "fashion-mnist"], f"{path}: ", *needles, LAYOUTS,
                       "uint8 0..255 or float in [0, 1] or [-1, 1]")


def test_cli_refuses_bad_folders_datasets_and_counts(npy, tmp_path, capsys):
    from PIL import Image

    empty = tmp_path / "empty"
    empty.mkdir()
    one_line_error(capsys, ["score", str(empty), "--dataset", "fashion-mnist"], "no images in", "PNG or JPEG")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.new("L", (28, 28)).save(mixed / "a.png")
    Image.new("L", (32, 32)).save(mixed / "b.png")
    one_line_error(capsys, ["score", str(mixed), "--dataset", "fashion-mnist"], "different sizes", "a.png: 28x28",
                   "b.png: 32x32", "resize them")
    one_line_error(capsys, ["score", str(npy), "--dataset", "fashion-mnst"], "unknown dataset 'fashion-mnst'")
    one_line_error(capsys, ["score", _save(tmp_path, "one.npy", np.zeros((1, 28, 28), np.uint8)), "--dataset",
                            "fashion-mnist", "--metrics", "fid"], "too few samples (1)", "fid needs at least 2")
    one_line_error(capsys, ["score", str(npy), "--dataset", "fashion-mnist", "--metrics", "pr", "--n", "3"],
                   "--n 3 is too few samples", "pr needs at least 6")
    one_line_error(capsys, ["score", str(npy), "--dataset", "fashion-mnist", "--n", "201"], "holds 200 samples")
    one_line_error(capsys, ["score", str(tmp_path / "missing.npy"), "--dataset", "fashion-mnist"], "does not exist")
    one_line_error(capsys, ["score", str(npy), "--dataset", "fashion-mnist", "--metrics", "cond"],
                   "cond needs the class each sample was drawn for")
    np.savez(tmp_path / "z.npz", samples=np.zeros((4, 28, 28), np.uint8))
    one_line_error(capsys, ["score", str(tmp_path / "z.npz"), "--dataset", "fashion-mnist", "--key", "x"],
                   "has no array 'x'", "samples")
    one_line_error(capsys, ["score", str(npy), "--dataset", "fashion-mnist", "--out", str(tmp_path)], "is a folder")
