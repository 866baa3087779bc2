"""Bad values and absurd sizes end in one line ``gankit: error: <what> (<how to fix>)``, exit code 2,
before anything is allocated or written (issue 21, "values and sizes"): inf/nan rates and weights,
seeds torch cannot take, nets, sample counts and pictures past gankit's limits, and sample counts
too small for the metrics asked for."""

from __future__ import annotations

import argparse
import shutil

import pytest

import gankit
from cli_check import fingerprint, one_line_error, run_cli
from gankit.commands.argtypes import at_most, positive_float, seed

HUGE_SEED = "99999999999999999999"  # > 2**64: torch's "Overflow when unpacking long long" before


@pytest.fixture(scope="module")
def ring_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "ring"
    gankit.train(model="gan", dataset="ring8", steps=3, out=out, quiet=True)
    return out


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "image"
    gankit.train(model="gan", dataset="fashion-mnist", subset=256, batch_size=32, steps=2, out=out, quiet=True)
    return out


# -- train: every case is refused before a run folder exists --------------------------------------
@pytest.mark.parametrize("args,needles", [
    (["--lr-g", "inf"], ["--lr-g", "finite"]),  # diverged at step 2 (exit 3) before
    (["--lr-d", "nan"], ["--lr-d", "finite"]),
    (["--instance-noise", "inf"], ["--instance-noise", "finite"]),  # diverged before
    (["--label-smoothing", "nan"], ["--label-smoothing", "finite"]),
    (["--ema", "inf"], ["--ema", "finite"]),  # trained with an EMA that never moves before
    (["--r1", "inf"], ["--r1", "finite"]),  # diverged before
    (["--epochs", "inf"], ["--epochs", "finite"]),  # OverflowError before
    (["--stage-kimg", "inf"], ["--stage-kimg", "finite"]),
    (["--ada-target", "nan"], ["--ada-target", "finite"]),
    (["--ada-kimg", "inf"], ["--ada-kimg", "finite"]),
    (["--model", "wgan", "--param", "clip=inf"], ["clip", "finite"]),
    (["--seed", HUGE_SEED], ["--seed", "[0, 2**63)"]),  # ValueError traceback before
    (["--seed", "-1"], ["--seed", "[0, 2**63)"]),  # an alias of 2**64 - 1 before
    (["--subset-seed", HUGE_SEED], ["--subset-seed", "[0, 2**63)"]),
    (["--label-seed", HUGE_SEED], ["--label-seed", "[0, 2**63)"]),
    (["--width", "1000000"], ["4 GiB", "1000000x1000000", "--width 1000000"]),  # 4 TB allocation before
    (["--z-dim", "1000000000"], ["4 GiB", "--z-dim 1000000000"]),  # 512 GB allocation before
    (["--batch-size", "1000000000"], ["fewer than one batch", "--batch-size"]),
    (["--image-size", "100000"], ["--image-size", "limit of 256"]),  # 164 TB resize before
    (["--eval-every", "2", "--eval-n", "1"], ["--eval-n 1", "fid needs at least 2"]),  # traceback at step 2 before
    (["--eval-every", "2", "--eval-n", "3", "--eval-metrics", "pr"], ["pr needs at least 6"]),
    (["--nproc", "100000"], ["--nproc", "CPU cores"]),  # would have started 100000 processes
])
def test_train_refuses_bad_values_before_making_a_run(capsys, tmp_path, args, needles):
    out = tmp_path / "r"
    one_line_error(capsys, ["train", "--model", "gan", "--dataset", "ring8", "--steps", "2", "--quiet",
                            "--out", str(out), *args], *needles)
    assert not out.exists()


@pytest.mark.parametrize("yaml_text,needles", [
    ("image_size: 100000\n", ["image-size 100000", "limit of 256"]),
    ("eval_every: 2\neval_n: 1\n", ["--eval-n 1", "fid needs at least 2"]),  # traceback at step 2 before
])
def test_a_config_file_meets_the_same_limits_as_the_flags(capsys, tmp_path, yaml_text, needles):
    config = tmp_path / "c.yaml"
    config.write_text("model: gan\ndataset: ring8\nsteps: 2\n" + yaml_text)
    one_line_error(capsys, ["train", "--config", str(config), "--quiet", "--out", str(tmp_path / "r")], *needles)
    assert not (tmp_path / "r").exists()


def test_bench_refuses_nets_past_the_limit(capsys):
    one_line_error(capsys, ["bench", "--model", "gan", "--dataset", "ring8", "--width", "1000000", "--steps", "1",
                            "--warmup", "1"], "4 GiB", "--width")


@pytest.mark.parametrize("args,needles", [
    (["--lr", "inf"], ["--lr", "finite"]),  # 8 epochs of NaN before
    (["--seed", HUGE_SEED], ["--seed", "[0, 2**63)"]),
    (["--batch-size", "1000000000"], ["--batch-size", "60000 training images"]),  # OneCycleLR traceback before
])
def test_features_train_refuses_bad_values(capsys, tmp_path, args, needles):
    out = tmp_path / "c.pt"
    one_line_error(capsys, ["features", "train", "--epochs", "1", "--quiet", "--out", str(out), *args], *needles)
    assert not out.exists()


# -- sample and eval: the run is left as it was ---------------------------------------------------
@pytest.mark.parametrize("run,out,args,needles", [
    ("ring", "s.png", ["--seed", HUGE_SEED], ["--seed", "[0, 2**63)"]),
    ("ring", "s.png", ["--seed", "-1"], ["--seed", "[0, 2**63)"]),
    ("ring", "s.npy", ["--n", "1000000000000"], ["2-D points", "GiB", "limit of 2 GiB", "at most"]),
    ("image", "s.npy", ["--n", "100000000"], ["1x28x28 images", "110.3 GiB", "at most"]),  # 78 GB before
    ("image", "s.png", ["--n", "100000"], ["one picture", "at most 10000", "--out s.npy"]),
    ("image", "s.png", ["--truncation", "nan"], ["--truncation", "finite"]),
    ("image", "s.png", ["--truncation", "inf", "--truncation-method", "resample"], ["--truncation", "finite"]),
])
def test_sample_refuses_bad_values(capsys, tmp_path, ring_run, image_run, run, out, args, needles):
    path = ring_run if run == "ring" else image_run
    before = fingerprint(path)
    one_line_error(capsys, ["sample", str(path), "--out", str(tmp_path / out), *args], *needles)
    assert not list(tmp_path.iterdir()) and fingerprint(path) == before


@pytest.mark.parametrize("args,needles", [
    (["--n", "1"], ["--n 1", "pr and dc need at least 6", "--n 6"]),  # ValueError traceback before
    (["--n", "5"], ["pr and dc need at least 6"]),
    (["--n", "1", "--metrics", "fid"], ["fid needs at least 2", "--n 2"]),
    (["--n", "1", "--metrics", "kid"], ["kid needs at least 2"]),
    (["--n", "1000000000000", "--metrics", "fid"], ["GiB", "at most"]),
    (["--seed", HUGE_SEED], ["--seed", "[0, 2**63)"]),
])
def test_eval_refuses_bad_sample_counts_and_seeds(capsys, ring_run, args, needles):
    before = fingerprint(ring_run)
    one_line_error(capsys, ["eval", str(ring_run), *args], *needles)
    assert fingerprint(ring_run) == before  # no eval.json


def test_the_named_minimums_are_enough(capsys, tmp_path, ring_run):
    run = shutil.copytree(ring_run, tmp_path / "copy")
    assert run_cli(capsys, ["eval", str(run), "--n", "6"])[0] == 0
    assert run_cli(capsys, ["eval", str(run), "--n", "2", "--metrics", "fid"])[0] == 0


# -- explore: nothing drawn ------------------------------------------------------------------------
@pytest.mark.parametrize("args,needles", [
    (["--seed", HUGE_SEED, "--walk"], ["--seed", "[0, 2**63)"]),
    (["--seeds", f"1,{HUGE_SEED}", "--interpolate"], [f"seed {HUGE_SEED}", "[0, 2**63)"]),
    (["--seeds", "1,-5", "--interpolate"], ["seed -5", "[0, 2**63)"]),
    (["--arithmetic", f"1,2 - {HUGE_SEED}"], [f"seed {HUGE_SEED}"]),
    (["--seeds", ",".join(map(str, range(101))), "--interpolate"], ["101 seeds", "at most 100"]),
    (["--steps", "200000", "--interpolate"], ["--steps", "1..100"]),  # ran for minutes before
    (["--frames", "1000000", "--walk"], ["--frames", "1..1000"]),
    (["--rows", "1000000"], ["--rows", "1..100"]),
    (["--truncation-sweep", "--sweep-n", "2"], ["--sweep-n 2", "at least 6"]),  # traceback after the pictures before
    (["--truncation-sweep", "--sweep-n", "100000000"], ["--sweep-n 100000000", "GiB"]),
    (["--truncation", "nan"], ["--truncation", "finite"]),
])
def test_explore_refuses_bad_values_before_drawing(capsys, tmp_path, image_run, args, needles):
    out = tmp_path / "ex"
    one_line_error(capsys, ["explore", str(image_run), "--out", str(out), *args], *needles)
    assert not out.exists()


# -- the argtypes' edges ---------------------------------------------------------------------------
def test_argtypes_accept_their_edges_and_refuse_past_them():
    assert seed("0") == 0 and seed(str(2**63 - 1)) == 2**63 - 1
    assert at_most(100, "columns")("100") == 100
    assert positive_float("1e-30") == 1e-30
    for parse, text in [(seed, str(2**63)), (seed, "-1"), (at_most(100, "columns"), "101"), (positive_float, "inf"),
                        (positive_float, "-inf"), (positive_float, "nan")]:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)
