import numpy as np
import pytest
import torch
from PIL import Image

import gankit
from gankit.cli import main


@pytest.fixture(scope="module")
def image_run(tmp_path_factory, fashion_small):
    out = tmp_path_factory.mktemp("runs") / "dc"
    gankit.train(model="dcgan", dataset="fashion-mnist", steps=3, batch_size=16, width=8, quiet=True,
                 sample_every=2, out=out, data=fashion_small.subset(64))
    return out


def test_run_folder_layout(image_run):
    for rel in ("config.yaml", "metrics.jsonl", "checkpoints/last.pt", "samples/step_000002.png", "samples/final.png"):
        assert (image_run / rel).is_file(), rel
    records = gankit.load_run(image_run).metrics()
    assert records[-1]["step"] == 3
    for key in ("wall_time", "images_per_s", "d_loss", "g_loss", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"):
        assert key in records[-1]


def test_api_sample_is_uint8_and_seeded(image_run):
    run = gankit.load_run(image_run)
    a, b = run.sample(16, seed=7), run.sample(16, seed=7)
    assert a.dtype == torch.uint8 and a.shape == (16, 1, 28, 28)
    assert torch.equal(a, b)
    assert not torch.equal(a, run.sample(16, seed=8))


def test_cli_sample_png_and_npy(image_run, tmp_path, capsys):
    assert main(["sample", str(image_run), "--n", "64", "--out", str(tmp_path / "grid.png"), "--seed", "1"]) == 0
    assert Image.open(tmp_path / "grid.png").size == (8 * 30 + 2, 8 * 30 + 2)
    assert main(["sample", str(image_run), "--n", "10", "--out", str(tmp_path / "s.npy"), "--seed", "1"]) == 0
    arr = np.load(tmp_path / "s.npy")
    assert arr.dtype == np.uint8 and arr.shape == (10, 28, 28)
    # same seed, same samples as the API
    api = gankit.load_run(image_run).sample(10, seed=1)[:, 0].numpy()
    assert np.array_equal(arr, api)


def test_color_npy_is_nhwc(tmp_path, fashion_small):
    from gankit.data import get_dataset

    data = get_dataset("fashion-mnist", "test", image_size=32, channels=3).subset(64)
    out = tmp_path / "rgb"
    gankit.train(model="dcgan", dataset="fashion-mnist", image_size=32, channels=3, steps=2, batch_size=16,
                 width=8, quiet=True, out=out, data=data)
    assert main(["sample", str(out), "--n", "5", "--out", str(tmp_path / "c.npy")]) == 0
    assert np.load(tmp_path / "c.npy").shape == (5, 32, 32, 3)


def test_models_and_datasets_listing(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "gan" in out and "dcgan" in out and "Radford" in out
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("fashion-mnist", "mnist", "ring8", "grid25"):
        assert name in out
