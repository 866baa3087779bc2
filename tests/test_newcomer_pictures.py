"""Issue 19, items 10 and 11: pictures a newcomer can read, and help that says the defaults.

A conditional run's training grid has one row per class; explore's GIFs are big enough to see, its
truncation and arithmetic grids say what their rows are, and it keeps earlier pictures unless
--overwrite; ``--help`` states defaults and fixed choices; ``gankit sample`` draws the same samples
every time unless told another --seed. The models are tiny and trained 2 steps: geometry, not beauty.
"""

import numpy as np
import pytest
import torch
from cli_check import fingerprint, one_line_error, run_cli
from PIL import Image

import gankit
from gankit.engine import SAMPLE_NOISE_OFFSET
from gankit.viz.grid import add_labels

CELL = 28 + 2  # a Fashion-MNIST image and the grid's padding


@pytest.fixture(scope="module")
def cgan(tmp_path_factory, fashion_train):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("newcomer") / "cgan"
    gankit.train(model="cgan", dataset="fashion-mnist", data=fashion_train.subset(256), width=8, steps=2,
                 batch_size=32, sample_every=1, quiet=True, out=out)
    return out


def _cells(path, rows, cols):
    array = np.asarray(Image.open(path))
    return [[array[2 + r * CELL: r * CELL + CELL, 2 + c * CELL: c * CELL + CELL] for c in range(cols)]
            for r in range(rows)]


# -- the training grid: one row per class ------------------------------------------------------------
def test_training_grid_of_a_conditional_model_has_a_row_per_class(cgan):
    run = gankit.load_run(cgan)
    sampler = run.sampler()
    inputs = sampler.grid_inputs(run.config.grid_size, seed=run.config.seed + SAMPLE_NOISE_OFFSET)
    labels = inputs["y"]
    assert len(labels) == 70  # 64 rounded up to whole rows: 7 of each of the 10 classes
    assert torch.equal(labels.view(10, 7), torch.arange(10)[:, None].expand(10, 7))  # row r is class r
    images, per_row = sampler.preview(inputs)
    assert per_row == 7
    for name in ("final.png", "step_000001.png"):
        assert Image.open(cgan / "samples" / name).size == (7 * CELL + 2, 10 * CELL + 2)  # 10 rows of 7
    # final.png's cells are these samples: the picture really is laid out by class
    cells = _cells(cgan / "samples" / "final.png", 10, 7)
    for r, c in ((0, 0), (3, 5), (9, 6)):
        assert np.array_equal(cells[r][c], images[r * 7 + c, 0].numpy())


# -- explore: viewable GIFs, no silent overwrite, labelled grids -------------------------------------
def test_explore_gifs_are_viewable_and_earlier_pictures_are_kept(cgan, tmp_path, capsys):
    out = tmp_path / "ex"
    argv = ["explore", str(cgan), "--out", str(out), "--interpolate", "--walk", "--seeds", "1,2", "--columns", "3",
            "--frames", "4"]
    assert run_cli(capsys, argv)[0] == 0
    for name in ("interpolation.gif", "walk.gif"):
        with Image.open(out / name) as gif:
            assert min(gif.size) >= 256 and gif.size[0] % 28 == 0  # 28x28 samples, an integer factor up
    assert Image.open(out / "interpolation.png").size == (3 * CELL + 2, CELL + 2)  # PNG grids stay 1:1
    before = fingerprint(out)
    one_line_error(capsys, argv, "--overwrite", "interpolation.png")
    assert fingerprint(out) == before
    assert run_cli(capsys, [*argv, "--overwrite"])[0] == 0


def test_truncation_and_arithmetic_grids_carry_labels(cgan, tmp_path, capsys):
    out = tmp_path / "ex"
    assert run_cli(capsys, ["explore", str(cgan), "--out", str(out), "--truncation", "0.7", "--columns", "3",
                            "--arithmetic", "1,2 - 3 + 4"])[0] == 0
    bare = {"truncation.png": (3 * CELL + 2, 4 * CELL + 2),  # psi 1, 0.7, 0.35, 0
            "arithmetic.png": (9 * CELL + 2, 4 * CELL + 2)}  # 3 operands + the result, 8 variations + 1
    for name, (width, height) in bare.items():
        picture = np.asarray(Image.open(out / name))
        assert picture.shape[0] > height and picture.shape[1] > width, name
        top, left = picture.shape[0] - height, picture.shape[1] - width
        assert (picture[:top] < 128).any(), f"{name}: nothing written in the caption strip"
        assert (picture[top:, :left] < 128).any(), f"{name}: no row labels"


def test_add_labels_draws_text_in_its_strips():
    grid = Image.new("L", (62, 62), 255)
    labelled = add_labels(grid, "psi rows", ["psi 1", "psi 0.5"], row_height=CELL)
    array = np.asarray(labelled)
    top, left = array.shape[0] - 62, array.shape[1] - 62
    assert top > 0 and left > 0
    assert (array[:top] < 128).any() and (array[top:, :left] < 128).any()
    assert (array[top:, left:] == 255).all()  # the grid itself untouched


# -- help and flags ----------------------------------------------------------------------------------
def _help_of(capsys, command):
    rc, out, _ = run_cli(capsys, [command, "--help"])
    assert rc == 0
    blocks, name = {}, None
    for line in out.splitlines():
        if line.startswith("  -"):
            name = line.split()[0].rstrip(",")
            blocks[name] = line
        elif name is not None:
            blocks[name] += " " + line.strip()
    return blocks


def test_train_help_says_the_defaults_and_the_choices(capsys):
    flags = _help_of(capsys, "train")
    for flag in ("--batch-size", "--lr-g", "--lr-d", "--z-dim", "--seed", "--steps", "--sample-every",
                 "--checkpoint-every", "--log-every", "--device", "--precision"):
        assert "default" in flags[flag], flags[flag]
    assert "{auto,fp32,bf16,fp16}" in flags["--precision"]
    assert "{adam,rmsprop,sgd}" in flags["--optim-g"]
    assert "{non-saturating,minimax,feature-matching}" in flags["--g-loss"]
    one_line_error(capsys, ["train", "--precision", "fp8", "--out", "x"], "unknown precision 'fp8'", "fp16")
    one_line_error(capsys, ["train", "--optim-d", "adamw", "--out", "x"], "unknown optimizer 'adamw'")
    assert "default 0" in _help_of(capsys, "sample")["--seed"]
    assert "--columns" in _help_of(capsys, "explore") and "--steps" not in _help_of(capsys, "explore")


def test_explore_columns_and_the_old_steps_flag(cgan, tmp_path, capsys):
    rc, _, err = run_cli(capsys, ["explore", str(cgan), "--interpolate", "--seeds", "1,2", "--columns", "3",
                                  "--out", str(tmp_path / "a")])
    assert rc == 0 and "note" not in err
    rc, _, err = run_cli(capsys, ["explore", str(cgan), "--interpolate", "--seeds", "1,2", "--steps", "3",
                                  "--out", str(tmp_path / "b")])
    assert rc == 0 and err.startswith("gankit: note: --steps is now --columns") and len(err.splitlines()) == 1
    for folder in ("a", "b"):
        assert Image.open(tmp_path / folder / "interpolation.png").size == (3 * CELL + 2, CELL + 2)


def test_sample_has_a_default_seed(cgan, tmp_path, capsys):
    for name in ("a.npy", "b.npy"):
        assert run_cli(capsys, ["sample", str(cgan), "--n", "8", "--out", str(tmp_path / name)])[0] == 0
    a, b = np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy")
    assert np.array_equal(a, b)
    assert run_cli(capsys, ["sample", str(cgan), "--n", "8", "--out", str(tmp_path / "a.npy"), "--overwrite"])[0] == 0
    assert np.array_equal(np.load(tmp_path / "a.npy"), b)
    assert run_cli(capsys, ["sample", str(cgan), "--n", "8", "--out", str(tmp_path / "c.npy"), "--seed", "1"])[0] == 0
    assert not np.array_equal(np.load(tmp_path / "c.npy"), a)
