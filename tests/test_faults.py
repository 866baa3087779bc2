"""Kill, interrupt, resume: a run survives SIGKILL at random moments and SIGINT/SIGTERM, and ends with
the weights of the run that was never stopped (CPU, fixed seed, one thread each)."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gankit.checkpoint import load_checkpoint
from gankit.stop_signals import StopRequest

TRAIN = ["--model", "gan", "--dataset", "ring8", "--batch-size", "32", "--seed", "7", "--quiet",
         "--log-every", "25", "--sample-every", "100000"]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def gankit(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gankit", *args], env=ENV, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_training(run: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until the process has logged a record (it is past its start-up and training)."""
    end = time.time() + timeout
    metrics = run / "metrics.jsonl"
    start = metrics.stat().st_size if metrics.is_file() else 0
    while time.time() < end and proc.poll() is None:
        if metrics.is_file() and metrics.stat().st_size > start:
            return
        time.sleep(0.02)
    raise AssertionError(f"no training progress (rc {proc.poll()}): {proc.stderr.read() if proc.poll() else ''}")


def weights(run: Path) -> dict:
    return load_checkpoint(run / "checkpoints" / "last.pt")["game"]


def train_with_kills(run: Path, steps: int, kills: int, seed: int) -> int:
    """Train ``run`` to ``steps``, SIGKILLing the process ``kills`` times at random moments."""
    rng = random.Random(seed)
    killed = 0
    while True:
        if (run / "checkpoints" / "last.pt").is_file():
            proc = gankit("train", "--resume", str(run), "--steps", str(steps), "--quiet")
        else:  # killed before its first checkpoint: start again
            proc = gankit("train", *TRAIN, "--steps", str(steps), "--checkpoint-every", "40", "--out", str(run),
                          "--overwrite")
        if killed == kills:
            _, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            return killed
        try:
            wait_for_training(run, proc)
        except AssertionError:
            if proc.poll() == 0:  # it finished first
                return killed
            raise
        time.sleep(rng.uniform(0.0, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        killed += 1


def check_kill_and_resume(tmp_path: Path, kills: int, steps: int) -> None:
    reference = tmp_path / "reference"
    proc = gankit("train", *TRAIN, "--steps", str(steps), "--checkpoint-every", "40", "--out", str(reference))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    run = tmp_path / "killed"
    assert train_with_kills(run, steps, kills, seed=kills) >= 1
    a, b = weights(reference), weights(run)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [r["step"] for r in
                                            map(json.loads, (reference / "metrics.jsonl").read_text().splitlines())]
    assert not [p for p in (run / "checkpoints").iterdir() if ".tmp-" in p.name]


def test_a_run_killed_at_random_moments_resumes_to_the_uninterrupted_weights(tmp_path):
    check_kill_and_resume(tmp_path, kills=3, steps=1500)  # the kills land in the first few hundred steps


@pytest.mark.slow
def test_many_kills_and_resumes(tmp_path):
    check_kill_and_resume(tmp_path, kills=12, steps=8000)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_write_a_checkpoint_at_the_step_they_stop_and_say_where(tmp_path, sig):
    run = tmp_path / "run"
    proc = gankit("train", *TRAIN, "--steps", "1000000", "--checkpoint-every", "1000000", "--out", str(run))
    wait_for_training(run, proc)  # well before the first checkpoint
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    line = err.strip().splitlines()[-1]
    found = re.fullmatch(rf"gankit: interrupted: {sig.name} at step (\d+): checkpoint written to (\S+) "
                         rf"\(continue with gankit train --resume {re.escape(str(run))} --steps 1000000\)", line)
    assert found, line
    step = int(found.group(1))
    assert Path(found.group(2)) == run / "checkpoints" / "last.pt"
    assert load_checkpoint(found.group(2))["step"] == step
    resumed = gankit("train", "--resume", str(run), "--steps", str(step + 5), "--quiet")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err


def test_a_second_signal_stops_at_once():
    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN under a shell's background job
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        assert stop.requested == "SIGINT"
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.05)
    assert signal.getsignal(signal.SIGINT) is before  # restored
