"""Nothing executed, nothing lost (issue 21's first group), driven through the CLI: the exit code,
the single stderr line, and every file that was there before left byte-identical."""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil

import pytest
import torch

import gankit
from gankit.errors import GankitError, TrainingDiverged

from cli_check import fingerprint, one_line_error, run_cli

FAST = ["--model", "gan", "--dataset", "ring8", "--batch-size", "32", "--quiet"]


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("safety") / "base"
    gankit.train(model="gan", dataset="ring8", batch_size=32, steps=20, checkpoint_every=10, log_every=5,
                 out=out, quiet=True)
    return out


@pytest.fixture(scope="module")
def image_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("safety") / "image"
    gankit.train(model="gan", dataset="fashion-mnist", subset=256, batch_size=32, steps=2, out=out, quiet=True)
    return out


@pytest.fixture
def run_copy(base_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(base_run, copy)
    return copy


class _RunsCodeOnLoad:
    """A pickle that, loaded with weights_only=False, creates a file (what an attacker's would do)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


# -- 1. user-supplied weight files are never executed ------------------------------------------------
def test_inception_weights_that_run_code_are_refused_not_executed(capsys, image_run, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "inception.pth"
    with open(evil, "wb") as f:
        pickle.dump({"a": _RunsCodeOnLoad(marker)}, f)
    before = fingerprint(image_run)
    one_line_error(capsys, ["eval", str(image_run), "--extractor", "inception", "--inception-weights", str(evil),
                            "--n", "200", "--metrics", "fid"], "not a plain weights file", "weights_only")
    assert not marker.exists()
    assert fingerprint(image_run) == before


def test_inception_weights_that_are_a_plain_state_dict_load(tmp_path, monkeypatch):
    """The safe path still works: torch-fidelity's Inception-v3 from a file of tensors (random ones
    here, as its real weights cannot be downloaded offline) gives 2048-d features."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    from gankit.metrics.features import inception_extractor

    with monkeypatch.context() as m:  # a skeleton net, only for its parameter names and shapes
        m.setattr("torch_fidelity.feature_extractor_inceptionv3.load_state_dict_from_url", lambda *a, **k: {})
        m.setattr(torch.nn.Module, "load_state_dict", lambda self, *a, **k: None)
        skeleton = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"])
    weights = tmp_path / "pt_inception.pth"
    torch.save(skeleton.state_dict(), weights)
    extractor = inception_extractor(str(weights))
    out = extractor(torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8))
    assert out["features"].shape == (2, 2048)


def test_a_classifier_file_that_runs_code_is_refused(capsys, image_run, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "classifier.pt"
    with open(evil, "wb") as f:
        pickle.dump({"meta": _RunsCodeOnLoad(marker)}, f)
    one_line_error(capsys, ["eval", str(image_run), "--classifier", str(evil), "--n", "200"], "not a gankit classifier")
    assert not marker.exists()


# -- 2. --overwrite never loses the old run -------------------------------------------------------------
def test_overwrite_that_fails_before_training_keeps_the_old_run(capsys, run_copy):
    before = fingerprint(run_copy)
    one_line_error(capsys, ["train", *FAST, "--steps", "5", "--out", str(run_copy), "--overwrite",
                            "--eval-every", "2", "--eval-metrics", "nosuchmetric"], "nosuchmetric")
    assert fingerprint(run_copy) == before
    assert not list(run_copy.parent.glob(".run.replaced-*"))


def test_overwrite_that_fails_after_the_folder_is_made_puts_the_old_run_back(run_copy):
    """A failure once the new folder exists (here in the Trainer, after config.yaml was written)."""
    class Boom(gankit.engine.Callback):
        def on_step(self, view):
            raise RuntimeError("boom")

    before = fingerprint(run_copy)
    with pytest.raises(RuntimeError, match="boom"):
        # _FirstStep runs after the user's callbacks: the step "has not started" when Boom fails
        gankit.train(model="gan", dataset="ring8", steps=5, out=run_copy, overwrite=True, quiet=True,
                     callbacks=[Boom()])
    assert fingerprint(run_copy) == before


def test_overwrite_replaces_the_run_once_training_started(run_copy):
    gankit.train(model="gan", dataset="ring8", steps=3, out=run_copy, overwrite=True, quiet=True)
    run = gankit.load_run(run_copy)
    assert run.game is not None and run.step == 3
    assert not list(run_copy.parent.glob(".run.replaced-*"))


def test_out_dot_and_out_holding_the_dataset_are_refused(capsys, run_copy, tmp_path, monkeypatch):
    monkeypatch.chdir(run_copy)
    before = fingerprint(run_copy)
    one_line_error(capsys, ["train", *FAST, "--steps", "5", "--out", ".", "--overwrite"], "current directory")
    one_line_error(capsys, ["train", *FAST, "--steps", "5", "--out", "..", "--overwrite"], "current directory")
    assert fingerprint(run_copy) == before
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data" / "digits"
    data.mkdir(parents=True)
    one_line_error(capsys, ["train", "--dataset", str(data), "--out", str(tmp_path / "data"), "--quiet"],
                   "holds the dataset")


def test_a_new_run_that_fails_before_its_first_step_leaves_no_folder(capsys, tmp_path):
    out = tmp_path / "new"
    one_line_error(capsys, ["train", *FAST, "--steps", "5", "--out", str(out), "--eval-every", "2",
                            "--eval-metrics", "nosuchmetric"], "nosuchmetric")
    assert not out.exists()  # a retry with the fixed command is not blocked


# -- 3 and 16. gankit sample --out ---------------------------------------------------------------------
def test_sample_refuses_to_replace_a_file_unless_overwrite(capsys, base_run, tmp_path):
    target = tmp_path / "grid.png"
    target.write_bytes(b"mine")
    one_line_error(capsys, ["sample", str(base_run), "--out", str(target)], "already exists", "--overwrite")
    assert target.read_bytes() == b"mine"
    assert run_cli(capsys, ["sample", str(base_run), "--out", str(target), "--overwrite"])[0] == 0
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_sample_never_writes_into_a_run_folder(capsys, run_copy):
    before = fingerprint(run_copy)
    for out in (run_copy / "samples" / "final.png", run_copy / "x.npy"):
        one_line_error(capsys, ["sample", str(run_copy), "--out", str(out), "--overwrite"], "inside the run folder")
    assert fingerprint(run_copy) == before


def test_sample_writes_the_npy_name_it_prints(capsys, base_run, tmp_path):
    rc, out, _ = run_cli(capsys, ["sample", str(base_run), "--n", "8", "--out", str(tmp_path / "x.NPY")])
    assert rc == 0 and "wrote" in out
    assert [p.name for p in tmp_path.iterdir()] == ["x.NPY"]
    import numpy as np

    assert np.load(tmp_path / "x.NPY").shape == (8, 2)


# -- 4. one training process per run folder -------------------------------------------------------------
def test_a_second_training_of_a_locked_run_is_refused_with_the_holders_pid(capsys, run_copy):
    from gankit import run_lock

    before = fingerprint(run_copy)
    handle = run_lock.acquire(run_copy)
    try:
        assert run_lock.holder(run_copy) == os.getpid()
        one_line_error(capsys, ["train", "--resume", str(run_copy), "--steps", "30", "--quiet"],
                       f"pid {os.getpid()}")
        one_line_error(capsys, ["train", *FAST, "--steps", "5", "--out", str(run_copy), "--overwrite"],
                       f"pid {os.getpid()}")
    finally:
        handle.close()
    assert fingerprint(run_copy) == {**before, ".lock": fingerprint(run_copy)[".lock"]}
    assert run_lock.holder(run_copy) is None


# -- 5 and 9. resume drops what came after the checkpoint -----------------------------------------------
def test_resume_drops_records_past_the_checkpoint_and_stale_temp_files(capsys, run_copy):
    metrics = run_copy / "metrics.jsonl"
    with open(metrics, "a") as f:  # what a process killed after step 20's checkpoint would have left
        f.write(json.dumps({"step": 25, "images": 800, "wall_time": 99.0}) + "\n")
        f.write('{"step": 26, "ima')  # a torn last line
    stale = run_copy / "checkpoints" / ".last.tmp-999999999-abcdef.pt"  # from a killed writer
    stale.write_bytes(b"half")
    rc, _, err = run_cli(capsys, ["train", "--resume", str(run_copy), "--steps", "30"])
    assert rc == 0, err
    assert "dropped 2 metrics.jsonl record(s)" in err
    steps = [json.loads(line)["step"] for line in metrics.read_text().splitlines()]
    assert steps == sorted(set(steps)) and steps[-1] == 30
    walls = [json.loads(line)["wall_time"] for line in metrics.read_text().splitlines()]
    assert walls == sorted(walls)
    assert not stale.exists()


# -- 6. a NaN checkpoint is never written ----------------------------------------------------------------
def test_non_finite_weights_are_never_checkpointed(tmp_path):
    class Poison(gankit.engine.Callback):
        def on_step(self, view):
            if view.step == 13:
                with torch.no_grad():
                    next(view._trainer.game.nets["G"].parameters()).fill_(float("nan"))

    out = tmp_path / "nan"
    with pytest.raises(TrainingDiverged, match=r"weights of G became NaN/inf; the last finite checkpoint is kept"):
        gankit.train(model="gan", dataset="ring8", steps=40, checkpoint_every=5, log_every=20, out=out, quiet=True,
                     callbacks=[Poison()])
    state = torch.load(out / "checkpoints" / "last.pt", weights_only=True)
    assert state["step"] == 10
    assert all(torch.isfinite(v).all() for v in state["game"].values() if v.is_floating_point())
    assert sorted(p.name for p in (out / "checkpoints").glob("step_*.pt"))[-1] == "step_000010.pt"


# -- 7. no write through a planted symlink ---------------------------------------------------------------
def test_planted_symlinks_in_a_run_are_refused(capsys, run_copy, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (run_copy / "eval.json").unlink(missing_ok=True)
    (run_copy / "eval.json").symlink_to(victim)
    one_line_error(capsys, ["eval", str(run_copy), "--n", "200"], "symlink")
    (run_copy / "eval.json").unlink()
    (run_copy / "metrics.jsonl").unlink()
    (run_copy / "metrics.jsonl").symlink_to(victim)
    one_line_error(capsys, ["train", "--resume", str(run_copy), "--steps", "30", "--quiet"], "symlink")
    assert victim.read_text() == "precious"


def test_a_crafted_name_cannot_move_a_cache_file_out_of_its_folder(tmp_path, monkeypatch):
    from gankit.metrics.cache import cache_path
    from gankit.safe_write import inside

    monkeypatch.setenv("GANKIT_HOME", str(tmp_path / "home"))
    path = cache_path("../../etc", "test", "classifier-../../../x-0", "abc")
    assert path.parent == tmp_path / "home" / "features"
    with pytest.raises(GankitError, match="leaves"):
        inside(tmp_path, "../x")


# -- 8. outputs are atomic, and a full disk is one line ----------------------------------------------
def test_a_failed_write_keeps_the_old_file_and_a_full_disk_is_one_line(tmp_path, monkeypatch):
    from gankit.safe_write import write_text

    target = tmp_path / "eval.json"
    target.write_text("old")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(GankitError, match=r"no space left on device for .*eval.json \(\d+ MB free; free some space"):
        write_text(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["eval.json"]  # no temp file left behind


def test_temp_names_are_unique_per_process_and_call(tmp_path):
    from gankit.safe_write import is_temp_name, temp_name

    names = {temp_name(tmp_path / "cache.pt") for _ in range(50)}
    assert len(names) == 50 and all(str(os.getpid()) in n.name and n.suffix == ".pt" for n in names)
    assert all(is_temp_name(n.name) for n in names)


# -- 10, 14 and the interrupt messages ---------------------------------------------------------------
def test_a_missing_data_root_is_refused(capsys, tmp_path):
    one_line_error(capsys, ["train", "--dataset", "fashion-mnist", "--data-root", str(tmp_path / "nope"),
                            "--out", str(tmp_path / "r")], "--data-root", "does not exist")
    assert not (tmp_path / "r").exists()


def test_resume_refuses_out_config_and_overwrite(capsys, run_copy, tmp_path):
    before = fingerprint(run_copy)
    one_line_error(capsys, ["train", "--resume", str(run_copy), "--steps", "30", "--out", str(tmp_path / "o"),
                            "--overwrite"], "--out and --overwrite cannot be used with --resume")
    assert fingerprint(run_copy) == before


def test_a_failed_run_in_an_empty_folder_leaves_it_empty(capsys, tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    one_line_error(capsys, ["train", *FAST, "--steps", "5", "--out", str(out), "--eval-every", "2",
                            "--eval-metrics", "nosuchmetric"], "nosuchmetric")
    assert out.is_dir() and not list(out.iterdir())
