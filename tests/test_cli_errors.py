"""Every bad input gives one line 'gankit: error: ...' naming the fix, and exit code 2."""

import pytest
import torch

import gankit
from gankit.cli import main

RING = ["--dataset", "ring8", "--model", "gan", "--quiet", "--steps", "3"]


def run_cli(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


def assert_one_line_error(capsys, argv, *needles, code=2):
    rc, _, err = run_cli(capsys, argv)
    assert rc == code, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gankit: error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "ok"
    gankit.train(model="gan", dataset="ring8", steps=5, out=out, quiet=True)
    return out


def test_unknown_model(capsys, tmp_path):
    assert_one_line_error(capsys, ["train", "--model", "nogan", "--dataset", "ring8", "--out", str(tmp_path / "x")],
                          "unknown model 'nogan'", "gankit models")


def test_unknown_dataset(capsys, tmp_path):
    assert_one_line_error(capsys, ["train", "--dataset", "imagenet9", "--out", str(tmp_path / "x")],
                          "unknown dataset 'imagenet9'")


def test_missing_data_files(capsys, tmp_path):
    assert_one_line_error(capsys, ["train", "--dataset", "mnist", "--data-root", str(tmp_path / "nowhere"),
                                   "--out", str(tmp_path / "x")], "--data-root", "does not exist")


def test_folder_without_images(capsys, tmp_path):
    (tmp_path / "empty").mkdir()
    assert_one_line_error(capsys, ["train", "--dataset", str(tmp_path / "empty"), "--out", str(tmp_path / "x")],
                          "no images found")


def test_truncated_image(capsys, tmp_path):
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.new("L", (28, 28), 7).save(folder / "good.png")
    (folder / "broken.png").write_bytes((folder / "good.png").read_bytes()[:30])
    assert_one_line_error(capsys, ["train", "--dataset", str(folder), "--out", str(tmp_path / "x")],
                          "broken.png", "remove or replace")


def test_mixed_image_sizes(capsys, tmp_path):
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    Image.new("L", (28, 28), 7).save(folder / "a.png")
    Image.new("L", (32, 32), 7).save(folder / "b.png")
    assert_one_line_error(capsys, ["train", "--dataset", str(folder), "--out", str(tmp_path / "x")],
                          "different sizes", "--image-size")


@pytest.mark.parametrize("flag,value", [("--steps", "0"), ("--steps", "-5"), ("--batch-size", "0"),
                                        ("--batch-size", "-1"), ("--lr-g", "-0.1")])
def test_non_positive_numbers(capsys, tmp_path, flag, value):
    assert_one_line_error(capsys, ["train", *RING, flag, value, "--out", str(tmp_path / "x")],
                          "positive", flag)


def test_unknown_config_key(capsys, tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("model: gan\ndataset: ring8\nlearning_rate: 0.1\n")
    assert_one_line_error(capsys, ["train", "--config", str(cfg), "--out", str(tmp_path / "x")],
                          "unknown config key 'learning_rate'", "valid keys")


def test_missing_config_file(capsys, tmp_path):
    assert_one_line_error(capsys, ["train", "--config", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "x")],
                          "not found")


def test_bad_precision_and_device(capsys, tmp_path):
    assert_one_line_error(capsys, ["train", *RING, "--precision", "fp8", "--out", str(tmp_path / "x")],
                          "unknown precision 'fp8'")
    if not torch.cuda.is_available():
        assert_one_line_error(capsys, ["train", *RING, "--device", "cuda", "--out", str(tmp_path / "y")],
                              "CUDA is not available")


def test_dcgan_on_points(capsys, tmp_path):
    assert_one_line_error(capsys, ["train", "--model", "dcgan", "--dataset", "ring8", "--out", str(tmp_path / "x")],
                          "needs image data")


def test_existing_run_is_not_overwritten(capsys, trained_run):
    before = (trained_run / "checkpoints" / "last.pt").read_bytes()
    assert_one_line_error(capsys, ["train", *RING, "--out", str(trained_run)], "already exists", "--overwrite")
    assert (trained_run / "checkpoints" / "last.pt").read_bytes() == before


def test_overwrite_refuses_a_folder_that_is_not_a_run(capsys, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    assert_one_line_error(capsys, ["train", *RING, "--out", str(tmp_path / "mine"), "--overwrite"],
                          "not a gankit run folder")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_run_folder_without_checkpoint(capsys, tmp_path, trained_run):
    import shutil

    broken = tmp_path / "nock"
    shutil.copytree(trained_run, broken)
    shutil.rmtree(broken / "checkpoints")
    assert_one_line_error(capsys, ["sample", str(broken), "--out", str(tmp_path / "g.png")], "no checkpoint")
    assert_one_line_error(capsys, ["train", "--resume", str(broken), "--steps", "10"], "no checkpoint")
    assert_one_line_error(capsys, ["sample", str(tmp_path / "missing"), "--out", str(tmp_path / "g.png")],
                          "does not exist")


def test_checkpoint_from_another_model(capsys, tmp_path, trained_run):
    """A run whose config says dcgan but whose checkpoint holds a gan."""
    import shutil

    import yaml

    other = tmp_path / "swapped"
    shutil.copytree(trained_run, other)
    doc = yaml.safe_load((other / "config.yaml").read_text())
    doc["train"]["model"] = "dcgan"
    (other / "config.yaml").write_text(yaml.safe_dump(doc))
    assert_one_line_error(capsys, ["sample", str(other), "--out", str(tmp_path / "g.png")], "from model 'gan'")
    assert_one_line_error(capsys, ["train", "--resume", str(other), "--steps", "10"], "from model 'gan'")


def test_checkpoint_with_other_network_shapes(capsys, tmp_path, trained_run):
    import shutil

    import yaml

    other = tmp_path / "wider"
    shutil.copytree(trained_run, other)
    doc = yaml.safe_load((other / "config.yaml").read_text())
    doc["train"]["width"] = 64
    (other / "config.yaml").write_text(yaml.safe_dump(doc))
    assert_one_line_error(capsys, ["sample", str(other), "--out", str(tmp_path / "g.png")], "does not match")


def test_resume_errors(capsys, trained_run):
    assert_one_line_error(capsys, ["train", "--resume", str(trained_run)], "--steps")
    assert_one_line_error(capsys, ["train", "--resume", str(trained_run), "--steps", "2"], "already at step 5")
    assert_one_line_error(capsys, ["train", "--resume", str(trained_run), "--steps", "9", "--model", "dcgan"],
                          "cannot change when resuming")


def test_sample_bad_output_suffix(capsys, tmp_path, trained_run):
    assert_one_line_error(capsys, ["sample", str(trained_run), "--out", str(tmp_path / "g.jpg")], ".png", ".npy")


def test_argparse_errors_are_one_line(capsys):
    assert_one_line_error(capsys, ["train", "--steps", "many"], "not an integer")
    assert_one_line_error(capsys, ["fly"], "invalid choice")
