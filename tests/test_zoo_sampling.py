"""Sampling conditional zoo models: --class, one row per class, InfoGAN's --sweep; gankit models."""

import numpy as np
import pytest
import torch
from PIL import Image

import gankit
from gankit.cli import main
from gankit.models import MODELS

ZOO = ["gan", "dcgan", "cgan", "acgan", "infogan", "lsgan", "wgan", "wgan-gp", "dragan", "ebgan", "began"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, fashion_small):
    """Tiny zoo-backbone runs on Fashion-MNIST (2 steps: the point is the plumbing, not quality)."""
    root = tmp_path_factory.mktemp("zoo")
    data = fashion_small.subset(64)
    for model in ("cgan", "infogan", "lsgan"):
        gankit.train(model=model, dataset="fashion-mnist", steps=2, batch_size=16, width=8, quiet=True,
                     out=root / model, data=data)
    return root


def test_every_zoo_model_is_registered_with_its_paper():
    for name in ZOO:
        assert name in MODELS and MODELS[name].paper
    assert {n for n, m in MODELS.items() if m.conditional} >= {"cgan", "acgan", "infogan"}


def test_zoo_models_share_the_backbone(fashion_small):
    from gankit.config import TrainConfig
    from gankit.models import build_game, resolve
    from gankit.nets import ZooGenerator

    for name in ZOO:
        if name in ("gan", "dcgan"):
            continue
        cfg = resolve(TrainConfig(model=name, dataset="fashion-mnist"), fashion_small.spec)
        assert cfg.arch == "zoo", name
        G = build_game(cfg, fashion_small.spec).nets["G"]
        assert any(isinstance(m, ZooGenerator) for m in G.modules()), name
    # a WGAN-GP critic has no batchnorm: its penalty is per sample
    cfg = resolve(TrainConfig(model="wgan-gp", dataset="fashion-mnist"), fashion_small.spec)
    D = build_game(cfg, fashion_small.spec).nets["D"]
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in D.modules())
    assert (cfg.lr_d, cfg.betas_d, cfg.n_critic) == (1e-4, [0.0, 0.9], 5)


def test_class_flag_conditions_the_samples(runs, tmp_path):
    run = gankit.load_run(runs / "cgan")
    a = run.sample(8, seed=0, labels=3)
    b = run.sample(8, seed=0, labels=5)
    assert not torch.equal(a, b)  # same noise, different class, different images
    assert main(["sample", str(runs / "cgan"), "--class", "3", "--n", "8", "--seed", "0",
                 "--out", str(tmp_path / "c3.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "c3.npy"), a[:, 0].numpy())


def test_conditional_grid_has_one_row_per_class(runs, tmp_path):
    assert main(["sample", str(runs / "cgan"), "--n", "100", "--seed", "0", "--out", str(tmp_path / "g.png")]) == 0
    assert Image.open(tmp_path / "g.png").size == (10 * 30 + 2, 10 * 30 + 2)
    assert main(["sample", str(runs / "cgan"), "--n", "100", "--seed", "0", "--out", str(tmp_path / "g.npy")]) == 0
    arr = np.load(tmp_path / "g.npy")
    run = gankit.load_run(runs / "cgan")
    row3 = run.sample(100, seed=0, labels=torch.arange(100) // 10)[30:40, 0].numpy()
    assert np.array_equal(arr[30:40], row3)


def test_infogan_class_pins_the_categorical_code_and_sweeps(runs, tmp_path):
    run = gankit.load_run(runs / "infogan")
    latent = run.latent
    z = latent.sample(4, "cpu", torch.Generator().manual_seed(0))
    y = torch.full((4,), 7)
    pinned = z.clone()
    pinned[:, latent.z_dim:latent.z_dim + latent.n_cat] = torch.nn.functional.one_hot(y, latent.n_cat).float()
    with torch.no_grad():
        assert torch.allclose(run.generator(z, y), run.generator(pinned, None))
    for code in ("cat", "c1", "c2"):
        out = tmp_path / f"sweep-{code}.png"
        assert main(["sample", str(runs / "infogan"), "--sweep", code, "--n", "30", "--seed", "0", "--out", str(out)]) == 0
        assert Image.open(out).size[0] == 10 * 30 + 2
    from gankit.conditioning import code_sweep

    lat = code_sweep(latent, "c1", rows=3, cols=10, generator=torch.Generator().manual_seed(0))
    z_part, cat, cont = latent.split(lat)
    assert torch.equal(z_part[0], z_part[9]) and not torch.equal(z_part[0], z_part[10])  # z fixed along a row
    assert torch.allclose(cont[:10, 0], torch.linspace(-2, 2, 10)) and torch.equal(cont[:10, 1], cont[:1, 1].expand(10))
    assert (cat[:10].argmax(1) == 0).all() and (cat[10:20].argmax(1) == 1).all()


def test_sampling_errors_are_one_line(runs, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    assert main(["sample", str(runs / "lsgan"), "--class", "1", "--out", out]) == 2
    assert main(["sample", str(runs / "cgan"), "--class", "10", "--out", out]) == 2
    assert main(["sample", str(runs / "lsgan"), "--sweep", "c1", "--out", out]) == 2
    assert main(["sample", str(runs / "infogan"), "--sweep", "c9", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.count("gankit: error:") == 4


def test_models_listing_shows_paper_loss_and_defaults(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ZOO:
        assert f"\n{name} " in "\n" + out
    for text in ("Gulrajani", "penalty=10", "clip=0.01", "rmsprop lr 5e-05", "gamma=0.75 lambda_k=0.001", "Odena", "Mirza",
                 "pulling-away", "Berthelot", "Kodali", "Mao", "Chen et al."):
        assert text in out, text
