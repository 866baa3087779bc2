"""Bad config files and damaged run files end in one line ``gankit: error: <what> (<how to fix>)``, exit
code 2, and leave the run folder as it was (issue 21): ``gankit train --config FILE`` with a file that is
binary, unreadable, not a mapping, or with a key of the wrong type, an inf/nan number, an out-of-range
seed or betas, or a misspelled name; and ``train --resume``, ``sample`` and ``eval`` on a run whose
``config.yaml`` or ``checkpoints/last.pt`` is damaged."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest
import torch
import yaml

import gankit

from cli_check import fingerprint, one_line_error, run_cli

#: the keys every config case starts from (a case's own lines replace them): a 2-step ring8 gan
BASE = {"model": "gan", "dataset": "ring8", "steps": 2, "batch_size": 32}


def write_config(path: Path, text: str | bytes) -> Path:
    """``text`` (YAML lines, or raw bytes) after the :data:`BASE` keys it does not set itself."""
    if isinstance(text, bytes):
        path.write_bytes(text)
        return path
    own = {line.split(":")[0].strip() for line in text.splitlines()}
    path.write_text("".join(f"{k}: {v}\n" for k, v in BASE.items() if k not in own) + text)
    return path


def train_with(capsys, tmp_path, text, *needles):
    """``gankit train --config`` with a config of ``text``: one error line with ``needles``, no run folder."""
    config = write_config(tmp_path / "c.yaml", text)
    out = tmp_path / "run"
    line = one_line_error(capsys, ["train", "--config", str(config), "--out", str(out), "--quiet"], *needles)
    assert not out.exists(), line
    return line


# -- the file itself ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,needles", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", ["c.yaml is not a UTF-8 text file", "byte 0x89"]),
    ("model: caf\xe9\n".encode("latin-1"), ["not a UTF-8 text file", "byte 0xe9 at offset 10"]),
    (b"- gan\n- ring8\n", ["must hold a mapping of config keys"]),
    (b"42\n", ["must hold a mapping of config keys"]),
    ("a: " + "[" * 700 + "]" * 700 + "\n", ["nests too deeply"]),
], ids=["binary", "latin-1", "list", "scalar", "nested-too-deep"])
def test_config_file_that_is_no_mapping(capsys, tmp_path, text, needles):
    train_with(capsys, tmp_path, text, *needles)


def test_config_path_that_is_a_folder(capsys, tmp_path):
    (tmp_path / "c.yaml").mkdir()
    one_line_error(capsys, ["train", "--config", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "run")],
                   "c.yaml is a folder", "YAML file")


def test_unreadable_config_file(capsys, tmp_path, monkeypatch):
    """chmod 000 does not stop root (the tests' user), so the open itself is made to fail as it would."""
    config = write_config(tmp_path / "c.yaml", "")
    real_open = Path.open

    def denied(self, *args, **kwargs):
        if self == config:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    one_line_error(capsys, ["train", "--config", str(config), "--out", str(tmp_path / "run")],
                   "cannot read config file", "Permission denied", "permissions")


# -- keys: every one typed by its TrainConfig field -----------------------------------------------------------
@pytest.mark.parametrize("text,needles", [
    ("model: {name: gan}\n", ["c.yaml: model must be a string", "e.g. model: dcgan"]),
    ("dataset: [ring8]\n", ["dataset must be a string", "e.g. dataset: fashion-mnist"]),
    ("data_root: 5\n", ["data-root must be a string"]),
    ("arch: [mlp]\n", ["arch must be a string", "or null for the model's default"]),
    ("eval_metrics: [fid]\n", ["eval-metrics must be a string"]),
    ("betas_g: '0.5,0.999'\n", ["betas-g must be a list of finite numbers", "e.g. betas_g: [0.5, 0.999]"]),
    ("betas_d: [a, b]\n", ["betas-d must be a list of finite numbers"]),
    ("seed: abc\n", ["seed must be an integer, not 'abc'", "e.g. seed: 0"]),
    ("seed: 1.5\n", ["seed must be an integer, not 1.5"]),
    ("seed: true\n", ["seed must be an integer, not True"]),
    ("seed: 2020-01-01\n", ["seed must be an integer"]),
    ("seed: !!binary aGVsbG8=\n", ["seed must be an integer"]),
    ("keep_checkpoints: three\n", ["keep-checkpoints must be an integer", "e.g. keep_checkpoints: 3"]),
    ("batch_size: '32'\n", ["batch-size must be an integer, not '32'", "e.g. batch_size: 64"]),
    ("lr_g: true\n", ["lr-g must be a finite number, not True"]),
    ("ema: yes\n", ["ema must be a finite number, not True"]),
    ("compile: 1\n", ["compile must be true or false, not 1"]),
    ("image_size: 32.0\n", ["image-size must be an integer, not 32.0"]),
], ids=["model-dict", "dataset-list", "data_root-int", "arch-list", "eval_metrics-list", "betas_g-string",
        "betas_d-words", "seed-string", "seed-float", "seed-bool", "seed-date", "seed-bytes", "keep-string",
        "batch_size-string", "lr_g-bool", "ema-bool", "compile-int", "image_size-float"])
def test_wrong_type(capsys, tmp_path, text, needles):
    train_with(capsys, tmp_path, text, *needles)


FLOAT_KEYS = ["lr_g", "lr_d", "ema", "r1", "instance_noise", "label_smoothing", "epochs", "stage_kimg", "ada_target",
              "ada_kimg"]


@pytest.mark.parametrize("key,value", [*zip(FLOAT_KEYS, itertools.cycle([".inf", "-.inf", ".nan"])),
                                       ("lr_g", "-.inf"), ("lr_g", ".nan")])
def test_infinite_or_nan_number(capsys, tmp_path, key, value):
    """Every float key, each with one of YAML's .inf, -.inf and .nan (lr_g with all three)."""
    shown = {".inf": "inf", "-.inf": "-inf", ".nan": "nan"}[value]
    train_with(capsys, tmp_path, f"{key}: {value}\n", f"c.yaml: {key.replace('_', '-')} must be a finite number, "
                                                       f"not {shown}")


@pytest.mark.parametrize("text,needles", [
    ("betas_g: [0.5]\n", ["betas-g must be 2 numbers in [0, 1), not [0.5]", "e.g. betas_g: [0.5, 0.999]"]),
    ("betas_g: [0.5, 1.5]\n", ["betas-g must be 2 numbers in [0, 1)"]),
    ("betas_d: [-0.1, 0.9]\n", ["betas-d must be 2 numbers in [0, 1)"]),
    ("betas_d: [0.5, 0.9, 0.1]\n", ["betas-d must be 2 numbers in [0, 1)"]),
    ("seed: -1\n", ["seed must be in [0, 2**63), not -1"]),
    (f"seed: {2**63}\n", ["seed must be in [0, 2**63)"]),
    ("seed: 99999999999999999999999\n", ["seed must be in [0, 2**63)"]),
    (f"subset_seed: {2**64}\n", ["subset-seed must be in [0, 2**63)"]),
    (f"label_seed: {2**62}\nlabels_per_class: 2\n", ["label-seed must be in [0, "]),
    ("keep_checkpoints: -1\n", ["keep-checkpoints must be >= 0, not -1"]),
], ids=["betas-short", "betas-above-1", "betas-negative", "betas-three", "seed-negative", "seed-2**63",
        "seed-huge", "subset_seed-huge", "label_seed-huge", "keep-negative"])
def test_out_of_range(capsys, tmp_path, text, needles):
    train_with(capsys, tmp_path, text, *needles)


@pytest.mark.parametrize("text,needles", [
    ("lr_gg: 0.001\n", ["unknown config key 'lr_gg'", "did you mean 'lr_g'?", "valid keys: model"]),
    ("lr-d: 0.001\n", ["unknown config key 'lr-d'", "did you mean 'lr_d'?"]),
    ("train:\n  batchsize: 8\n", ["unknown config key 'batchsize'", "did you mean 'batch_size'?"]),
    ("1: 2\nzzz: 3\n", ["unknown config key 1", "valid keys"]),
], ids=["lr_gg", "dashed", "in-train-section", "int-and-str-keys"])
def test_unknown_key_names_the_closest(capsys, tmp_path, text, needles):
    train_with(capsys, tmp_path, text, *needles)


# -- a run's own files: train --resume, sample, eval ---------------------------------------------------------
@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "base"
    gankit.train(model="gan", dataset="ring8", batch_size=32, steps=4, checkpoint_every=2, out=out, quiet=True)
    return out


def _edit_yaml(edit):
    def breaks(run: Path) -> None:
        doc = yaml.safe_load((run / "config.yaml").read_text())
        edit(doc)
        (run / "config.yaml").write_text(yaml.safe_dump(doc))
    return breaks


def _edit_checkpoint(edit):
    def breaks(run: Path) -> None:
        path = run / "checkpoints" / "last.pt"
        state = torch.load(path, weights_only=True)
        edit(state)
        torch.save(state, path)
    return breaks


def _write(name: str, data: bytes):
    return lambda run: (run / name).write_bytes(data)


def _truncate(run: Path) -> None:
    path = run / "checkpoints" / "last.pt"
    path.write_bytes(path.read_bytes()[:500])


def _checkpoint_folder(run: Path) -> None:
    path = run / "checkpoints" / "last.pt"
    path.unlink()
    path.mkdir()


#: how each case breaks a copy of the run, and what its one error line says
BROKEN = {
    "config-binary": (_write("config.yaml", b"\x00\xff\xfe\x89garbage"), ["config.yaml is not a UTF-8 text file"]),
    "config-train-list": (_edit_yaml(lambda d: d.update(train=[1])), ["config.yaml is incomplete"]),
    "config-runtime-list": (_edit_yaml(lambda d: d.update(runtime=[1])), ["config.yaml is incomplete"]),
    "config-num_classes-word": (_edit_yaml(lambda d: d["data"].update(num_classes="x")), ["config.yaml is incomplete"]),
    "config-seed-string": (_edit_yaml(lambda d: d["train"].update(seed="abc")),
                           ["config.yaml: seed must be an integer, not 'abc'"]),
    "config-model-dict": (_edit_yaml(lambda d: d["train"].update(model={"a": 1})), ["model must be a string"]),
    "config-lr-nan": (_edit_yaml(lambda d: d["train"].update(lr_g=float("nan"))), ["config.yaml: lr-g must be a finite number"]),
    "checkpoint-no-step": (_edit_checkpoint(lambda s: s.pop("step")), ["last.pt has no 'step'", "step_*.pt"]),
    "checkpoint-string-step": (_edit_checkpoint(lambda s: s.update(step="four")),
                               ["holds step = 'four', not an integer >= 0"]),
    "checkpoint-negative-step": (_edit_checkpoint(lambda s: s.update(step=-3)), ["holds step = -3"]),
    "checkpoint-no-game": (_edit_checkpoint(lambda s: s.pop("game")), ["last.pt has no 'game'"]),
    "checkpoint-ema-list": (_edit_checkpoint(lambda s: s.update(ema=[1])), ["holds ema = [1], not a dict"]),
    "checkpoint-optimizers-word": (_edit_checkpoint(lambda s: s.update(optimizers="x")), ["holds optimizers = 'x'"]),
    "checkpoint-list": (lambda run: torch.save([1, 2], run / "checkpoints" / "last.pt"),
                        ["is not a gankit checkpoint"]),
    "checkpoint-format-1-without-nets": (lambda run: torch.save({"format": "gankit-checkpoint-1", "model": "gan"},
                                                                run / "checkpoints" / "last.pt"),
                                         ["damaged format-1 checkpoint"]),
    "checkpoint-truncated": (_truncate, ["corrupt or not a gankit checkpoint", "PytorchStreamReader"]),
    "checkpoint-garbage": (_write("checkpoints/last.pt", bytes(range(256)) * 16), ["corrupt or not a gankit checkpoint"]),
    "checkpoint-folder": (_checkpoint_folder, ["last.pt is a folder"]),
}
COMMANDS = {"resume": ["train", "--resume", "{run}", "--steps", "8", "--quiet"],
            "sample": ["sample", "{run}", "--out", "{run}.png"],
            "eval": ["eval", "{run}"]}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", BROKEN)
def test_damaged_run(base_run, tmp_path, capsys, case, command):
    run = tmp_path / "run"
    shutil.copytree(base_run, run)
    breaks, needles = BROKEN[case]
    breaks(run)
    before = fingerprint(run)
    one_line_error(capsys, [arg.format(run=run) for arg in COMMANDS[command]], *needles)
    assert fingerprint(run) == before
    assert not Path(f"{run}.png").exists()


def test_undamaged_copy_resumes(base_run, tmp_path, capsys):
    """The cases above fail for what they break: the same copy, unbroken, resumes."""
    run = tmp_path / "run"
    shutil.copytree(base_run, run)
    rc, _, err = run_cli(capsys, ["train", "--resume", str(run), "--steps", "5", "--quiet"])
    assert rc == 0, err
