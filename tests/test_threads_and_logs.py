"""--threads and its automatic choice (gankit.threads), and what `gankit train` prints where no
terminal shows a progress bar (a log file, CI): a start line, plain progress lines, an end summary."""

import pytest
import torch
import yaml

from gankit import threads
from gankit.cli import COMPUTING, build_parser, main, subparser

RING = ["--model", "gan", "--dataset", "ring8", "--steps", "12", "--log-every", "4", "--sample-every", "12",
        "--checkpoint-every", "12"]


@pytest.fixture(autouse=True)
def _restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.fixture
def machine(monkeypatch):
    """A 4-core machine outside torchrun, torch's default 4, with no OMP_NUM_THREADS: set its load
    and how many other gankit processes run with ``machine(load, others)``."""
    for name in ("OMP_NUM_THREADS", "LOCAL_WORLD_SIZE", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, "cores", lambda: 4)
    monkeypatch.setattr(threads, "_torch_default", lambda: 4)

    def set_(load: float = 0.0, others: int = 0):
        monkeypatch.setattr(threads.os, "getloadavg", lambda: (load, load, load))
        monkeypatch.setattr(threads, "other_gankit_processes", lambda: others)

    set_()
    return set_


def test_an_explicit_value_wins_over_a_busy_machine(machine):
    machine(load=9.0, others=3)
    assert threads.choose_threads(3) == (3, "--threads 3")


def test_a_loaded_machine_gets_its_free_cores_at_least_one(machine):
    machine(load=3.1)
    assert threads.choose_threads(None) == (1, "auto: load 3.1 on 4 cores leaves 1 free")
    machine(load=7.5)
    n, reason = threads.choose_threads(None)
    assert n == 1 and "load 7.5" in reason and "0 free" in reason
    machine(load=2.0)
    assert threads.choose_threads(None)[0] == 2


def test_other_gankit_processes_mean_one_thread_each(machine):
    machine(load=0.0, others=2)
    assert threads.choose_threads(None) == (1, "auto: 2 other gankit processes running")


def test_a_quiet_machine_keeps_torchs_default(machine):
    n, reason = threads.choose_threads(None)
    assert n == 4 and reason.startswith("auto: torch's default 4")


def test_torchrun_divides_the_cores_and_omp_num_threads_is_kept(machine, monkeypatch):
    machine(load=0.0, others=5)  # the sibling ranks are gankit processes too: not counted under torchrun
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert threads.choose_threads(None) == (2, "auto: 4 cores shared by 2 processes")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert threads.choose_threads(None) == (3, "auto: OMP_NUM_THREADS=3")


def test_the_process_scan_counts_gankit_commands_once_and_not_this_one(monkeypatch):
    me = threads.os.getpid()
    procs = {1: (0, ["/sbin/init"]), 10: (1, ["bash"]), me: (10, ["python", "-m", "gankit", "train"]),
             20: (me, ["python", "-m", "gankit", "train"]),  # a worker this process forked
             30: (1, ["/venv/bin/python", "/venv/bin/gankit", "eval", "r"]),  # another command...
             31: (30, ["/venv/bin/python", "/venv/bin/gankit", "eval", "r"]),  # ...and its worker
             40: (1, ["gankit", "sample", "r"]), 50: (1, ["grep", "gankit"]), 60: (1, ["python", "-m", "pytest"])}
    monkeypatch.setattr(threads, "_processes", lambda: procs)
    assert threads.other_gankit_processes() == 2


def test_every_command_that_computes_takes_threads():
    parser = build_parser()
    assert set(COMPUTING) >= {"train", "sample", "translate", "classify", "eval", "explore", "compare", "bench",
                              "features train"}
    for path in COMPUTING:
        assert "--threads N" in subparser(parser, path).format_help(), path
    for path in ("models", "datasets", "report", "features info"):  # these only read and list
        assert "--threads" not in subparser(parser, path).format_help(), path
    assert parser.parse_args(["bench", "--threads", "1"]).threads == 1  # bench's own flag is the shared one


def test_train_prints_plain_lines_and_records_threads_then_sample_and_resume_set_them(tmp_path, capsys,
                                                                                       monkeypatch):
    monkeypatch.setenv("GANKIT_LOG_SECONDS", "0")  # a line every step
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what the resume's automatic choice takes
    run = tmp_path / "run"
    assert main(["train", *RING, "--threads", "1", "--out", str(run)]) == 0
    out, err = capsys.readouterr()
    assert "\r" not in out + err  # capsys is no terminal: no carriage-return bar
    start = out.splitlines()[0]
    for part in ("gankit: gan on ring8", "points in 2-D", "12 steps of batch", "fp32 (auto:", "1 thread (--threads 1)",
                 str(run)):
        assert part in start, (part, start)
    progress = [line for line in err.splitlines() if line.startswith("step ")]
    assert progress[0].startswith("step 1/12 (8%)") and progress[-1].startswith("step 12/12 (100%)"), err
    assert "step/s, eta" in progress[-1] and "d_loss" in progress[-1] and "g_loss" in progress[-1]
    assert "No pitfall alarm was raised" in out
    assert out.splitlines()[-1] == f"next:       gankit eval {run} | gankit report {run} | gankit explore {run}"
    runtime = yaml.safe_load((run / "config.yaml").read_text())["runtime"]
    assert runtime["threads"] == 1 and runtime["threads_reason"] == "--threads 1"

    torch.set_num_threads(2)
    assert main(["sample", str(run), "--n", "16", "--out", str(tmp_path / "s.npy"), "--threads", "1"]) == 0
    assert torch.get_num_threads() == 1

    assert main(["train", "--resume", str(run), "--steps", "16", "--quiet"]) == 0  # the choice is made anew
    runtime = yaml.safe_load((run / "config.yaml").read_text())["runtime"]
    assert runtime["threads"] == 1 and runtime["threads_reason"] == "auto: OMP_NUM_THREADS=1"


def test_plain_progress_waits_its_seconds_but_not_for_a_new_alarm(capsys):
    from gankit.engine import PlainProgress

    bar = PlainProgress(total=100, initial=0, every=3600)
    bar.set_postfix(d="0.500", g="1.000")
    bar.update(1)
    assert capsys.readouterr().err == ""  # not due yet
    bar.set_postfix(d="0.500", g="1.000", ALARM="mode_collapse")
    bar.update(1)
    line = capsys.readouterr().err
    assert line.startswith("step 2/100 (2%)")
    assert line.rstrip().endswith("d_loss 0.500 g_loss 1.000 ALARM=mode_collapse")
    bar.update(98)
    assert capsys.readouterr().err.startswith("step 100/100 (100%)")  # the last step always
