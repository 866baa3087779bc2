"""Multi-process training: 2 CPU processes on gloo, 1 thread each, started as torchrun starts them.

Each test launches tests/distributed_worker.py (or ``gankit train --nproc 2``) as real processes;
GANKIT_DIST_TIMEOUT=60 bounds every collective, so a hang fails the test instead of CI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import torch
import yaml

from distributed_spawn import spawn
from distributed_worker import SCENARIOS
from gankit.checkpoint import load_checkpoint

# measured: 2 x 8 vs 1 x 16 after 6 steps differ by at most 6.3e-6 of a tensor's largest value (infogan;
# gan 2.4e-6, wgan-gp 1.7e-7, dragan 1.7e-6, r1-lazy 2.3e-6, dcgan with --sync-bn 2.4e-6); without
# --sync-bn, dcgan's per-process batchnorm statistics move it by 0.26 (docs/distributed.md)
SAME = 1e-4
EQUIVALENT = [name for name in SCENARIOS if name != "dcgan-local-bn"]


def _relative_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(((a[k] - b[k]).abs().max() / a[k].abs().max().clamp_min(1e-12)).item()
               for k in a if a[k].is_floating_point() and a[k].numel())


@pytest.fixture(scope="module")
def equivalence_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("equivalence")
    names = ",".join(SCENARIOS)
    for n in (1, 2):
        result = spawn(n, ["equivalence", str(root / f"world{n}"), names], timeout=300)
        assert result.codes == [0] * n, result.outputs
    return root


@pytest.mark.parametrize("name", EQUIVALENT)
def test_two_ranks_of_b_train_the_weights_of_one_process_of_2b(equivalence_runs, name):
    one = load_checkpoint(equivalence_runs / "world1" / name / "checkpoints" / "last.pt")
    two = load_checkpoint(equivalence_runs / "world2" / name / "checkpoints" / "last.pt")
    assert one["step"] == two["step"] == 6
    assert _relative_difference(one["game"], two["game"]) < SAME


def test_without_sync_bn_each_rank_normalizes_by_its_own_slice(equivalence_runs):
    """The guard of the test above: per-process batchnorm statistics do change the model."""
    one = load_checkpoint(equivalence_runs / "world1" / "dcgan-local-bn" / "checkpoints" / "last.pt")
    two = load_checkpoint(equivalence_runs / "world2" / "dcgan-local-bn" / "checkpoints" / "last.pt")
    assert _relative_difference(one["game"], two["game"]) > 100 * SAME


def test_logged_numbers_are_means_over_the_ranks(equivalence_runs):
    """rank 0's own slice has another loss than the global batch: the log shows the global one."""
    for name in ("gan", "wgan-gp"):
        runs = [[json.loads(line) for line in (equivalence_runs / f"world{n}" / name / "metrics.jsonl").open()]
                for n in (1, 2)]
        assert [r["step"] for r in runs[0]] == [r["step"] for r in runs[1]] == list(range(1, 7))
        for a, b in zip(*runs):
            assert a["images"] == b["images"]
            for key in ("d_loss", "g_loss", "grad_norm_d"):
                assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-6), (name, key)


DCGAN = dict(model="dcgan", small_fashion=True, dataset="fashion-mnist", width=8, steps=8, batch_size=16,
             log_every=2, checkpoint_every=3, ema=1000, ada=True, seed=4)


@pytest.fixture(scope="module")
def dcgan_runs(tmp_path_factory):
    """An uninterrupted 2-rank run (with the consistency check before every checkpoint), and one killed
    at step 5 (after its checkpoint at 3, mid ADA interval) then resumed to 8."""
    root = tmp_path_factory.mktemp("dcgan")
    full = spawn(2, ["train", str(root / "full"), json.dumps(DCGAN)], env={"GANKIT_DIST_DEBUG": "1"})
    assert full.codes == [0, 0], full.outputs
    killed = spawn(2, ["train", str(root / "split"), json.dumps(DCGAN), "--fault", "kill:1:5"])
    assert killed.codes[1] == 9 and killed.codes[0] != 0, killed.outputs
    assert "lost the others at step" in killed.outputs[0]
    shutil.copytree(root / "split", root / "split-copy")
    resumed = spawn(2, ["train", str(root / "split"), json.dumps(dict(resume=str(root / "split"), steps=8,
                                                                        small_fashion=True))],
                    env={"GANKIT_DIST_DEBUG": "1"})
    assert resumed.codes == [0, 0], resumed.outputs
    return root


def test_a_killed_and_resumed_two_rank_run_equals_the_uninterrupted_one_bit_for_bit(dcgan_runs):
    a = load_checkpoint(dcgan_runs / "full" / "checkpoints" / "last.pt")
    b = load_checkpoint(dcgan_runs / "split" / "checkpoints" / "last.pt")
    assert a["step"] == b["step"] == 8
    for part in ("game",):
        assert a[part].keys() == b[part].keys()
        assert all(torch.equal(a[part][k], b[part][k]) for k in a[part])
    assert all(torch.equal(a["ema"]["G"][k], b["ema"]["G"][k]) for k in a["ema"]["G"])
    for ra, rb in zip(a["ranks"], b["ranks"]):
        assert torch.equal(ra["rng"]["torch"], rb["rng"]["torch"])


def test_every_rank_keeps_its_own_noise_and_state_in_the_checkpoint(dcgan_runs):
    state = load_checkpoint(dcgan_runs / "split-copy" / "checkpoints" / "last.pt")
    assert state["step"] == 3 and state["world_size"] == 2 and len(state["ranks"]) == 2
    rng = [r["rng"]["torch"] for r in state["ranks"]]
    assert not torch.equal(rng[0], rng[1])
    local = [r["local"] for r in state["ranks"]]  # ADA's sums between its all-reduced updates, per rank
    assert set(local[0]) == {"augment.sign_sum", "augment.sign_count", "augment.n_images"}
    # 3 D batches of 8 since p last moved: each rank's own count (the global one would be 48)
    assert local[0]["augment.n_images"] == local[1]["augment.n_images"] == 3 * 8
    assert state["game"]["augment.n_images"] == 3 * 8  # rank 0's in the shared state; each rank reloads its own


def test_ranks_share_the_fixed_grid_and_records_but_not_the_noise(dcgan_runs):
    seen = [json.loads((dcgan_runs / f"full.rank{r}.json").read_text()) for r in (0, 1)]
    assert seen[0]["fixed"] == seen[1]["fixed"]
    assert seen[0]["first_noise"] != seen[1]["first_noise"]
    assert seen[0]["records"] == seen[1]["records"] and len(seen[0]["records"]) == 4
    assert seen[0]["per_rank_batch"] == seen[1]["per_rank_batch"] == 8


def test_rank_0_alone_writes_and_config_records_the_world(dcgan_runs):
    run = dcgan_runs / "full"
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [2, 4, 6, 8]  # once each, not once per rank
    assert json.loads(lines[-1])["images"] == 8 * 16  # global images: kimg schedules match one process
    runtime = yaml.safe_load((run / "config.yaml").read_text())["runtime"]
    assert runtime["world_size"] == 2 and runtime["per_rank_batch"] == 8 and runtime["backend"] == "gloo"
    assert not [p for p in run.rglob("*") if ".tmp" in p.name]


def test_a_resume_on_another_world_size_continues_and_says_what_is_not_exact(dcgan_runs):
    run = dcgan_runs / "split-copy"
    result = spawn(1, ["train", str(run), json.dumps(dict(resume=str(run), steps=6, small_fashion=True))])
    assert result.codes == [0], result.outputs
    assert "resuming a 2-process run on 1" in result.outputs[0] and "no longer bit-identical" in result.outputs[0]
    state = load_checkpoint(run / "checkpoints" / "last.pt")
    assert state["step"] == 6 and state["world_size"] == 1
    assert yaml.safe_load((run / "config.yaml").read_text())["runtime"]["world_size"] == 1


def test_the_consistency_check_catches_a_rank_that_drifted(tmp_path):
    cfg = dict(model="gan", dataset="ring8", steps=12, batch_size=32, log_every=4, checkpoint_every=6)
    result = spawn(2, ["train", str(tmp_path / "run"), json.dumps(cfg), "--fault", "drift:1:4"],
                   env={"GANKIT_DIST_DEBUG": "1"})
    assert result.codes == [1, 1], result.outputs
    for out in result.outputs:
        assert "disagree on 1 tensor(s) at step 6, first param:nets.D." in out and "Traceback" not in out


@pytest.mark.parametrize("fault", ["nan:1:7", "diverge:1:8"])
def test_a_divergence_on_one_rank_ends_every_rank_with_exit_code_3(tmp_path, fault):
    cfg = dict(model="gan", dataset="ring8", steps=40, batch_size=32, log_every=4, checkpoint_every=100)
    result = spawn(2, ["train", str(tmp_path / "run"), json.dumps(cfg), "--fault", fault], timeout=60)
    assert result.codes == [3, 3], result.outputs
    assert result.seconds < 60
    assert all("Traceback" not in out and "gankit: error:" in out for out in result.outputs)


def test_a_hung_rank_fails_the_others_within_the_timeout(tmp_path):
    cfg = dict(model="gan", dataset="ring8", steps=40, batch_size=32, log_every=4)
    result = spawn(2, ["train", str(tmp_path / "run"), json.dumps(cfg), "--fault", "hang:1:6"],
                   env={"GANKIT_DIST_TIMEOUT": "5"}, grace=1, timeout=60)
    assert result.codes[0] == 1 and result.codes[1] is None  # rank 1 still asleep until killed
    assert "lost the others at step 6" in result.outputs[0] and "Traceback" not in result.outputs[0]
    assert result.seconds < 40


def test_gankit_train_nproc_runs_under_torchrun(tmp_path):
    out = tmp_path / "run"
    result = subprocess.run([sys.executable, "-m", "gankit", "train", "--nproc", "2", "--model", "gan", "--dataset",
                             "ring8", "--steps", "20", "--batch-size", "32", "--log-every", "5", "--eval-every", "10",
                             "--eval-n", "500", "--quiet", "--out", str(out)],
                            capture_output=True, text=True, timeout=180,
                            env={**__import__("os").environ, "GANKIT_DIST_TIMEOUT": "60"})
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [5, 10, 15, 20]
    assert "fid" in records[1] and "fid" in records[3]  # rank 0 evaluated while rank 1 waited
    runtime = yaml.safe_load((out / "config.yaml").read_text())["runtime"]
    assert runtime["world_size"] == 2 and runtime["per_rank_batch"] == 16
    assert (out / "samples" / "final.png").is_file()


def test_nproc_with_a_batch_that_does_not_divide_fails_before_starting(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gankit", "train", "--nproc", "2", "--model", "gan", "--dataset",
                             "ring8", "--batch-size", "33", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ("gankit: error: --batch-size 33 is the global batch and does not divide over 2 "
                                     "processes (use a multiple of 2, e.g. 32 or 34)")
