"""G's step on the D step's fakes: one G forward per step, the right gradient, and clear errors where it cannot be."""

import copy
import tempfile
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gankit.config import TrainConfig
from gankit.data import get_dataset
from gankit.engine import Trainer
from gankit.errors import GankitError
from gankit.models import build_game, resolve
from gankit.precision import Precision

from test_cli_errors import RING, assert_one_line_error

DIGITS = get_dataset("fashion-mnist").subset(256, seed=0)
RING_DATA = get_dataset("ring8")


#: the run folder of every trainer here (they write nothing that one test reads from another)
RUNS = tempfile.TemporaryDirectory()


def _trainer(model="gan", **kw) -> Trainer:
    cfg = resolve(TrainConfig(model=model, dataset="fashion-mnist", arch="zoo", width=8, batch_size=16, **kw),
                  DIGITS.spec)
    torch.manual_seed(0)
    return Trainer(cfg, build_game(cfg, DIGITS.spec), DIGITS, Path(RUNS.name), torch.device("cpu"),
                   Precision("fp32", "test"), quiet=True)


def _count_g_forwards(trainer: Trainer, steps: int) -> int:
    calls = []
    handle = trainer.game.nets["G"].register_forward_hook(lambda m, i, o: calls.append(1))
    for _ in range(steps):
        trainer.step()
    handle.remove()
    return len(calls)


def test_the_gan_reuses_by_default_and_makes_one_g_forward_per_step():
    assert _count_g_forwards(_trainer(), 3) == 3
    assert _count_g_forwards(_trainer(reuse_fakes=False), 3) == 6


def test_the_g_step_gets_the_gradient_of_the_fakes_it_reused():
    """G's gradient equals the one from a fresh forward of the same z, through the D just updated."""
    tr = _trainer()
    tr.step()
    G_before = copy.deepcopy(tr.game.nets["G"])
    drawn = []
    latent = tr.game.objective.latent
    sample = latent.sample
    latent.sample = lambda *a, **k: drawn.append(sample(*a, **k)) or drawn[-1]
    tr.step()
    assert len(drawn) == 1  # the D step's z, reused
    D_after = copy.deepcopy(tr.game.nets["D"])  # the G step does not change D
    for p in D_after.parameters():
        p.requires_grad_(False)
    loss = F.softplus(-D_after(G_before(drawn[0]))).mean()
    loss.backward()
    for (name, p), q in zip(tr.game.nets["G"].named_parameters(), G_before.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_not_by_default_on_2d_points():
    cfg = resolve(TrainConfig(model="gan", dataset="ring8"), RING_DATA.spec)
    assert not build_game(cfg, RING_DATA.spec).objective.reuse_fakes
    cfg = resolve(TrainConfig(model="gan", dataset="ring8", reuse_fakes=True), RING_DATA.spec)
    assert build_game(cfg, RING_DATA.spec).objective.reuse_fakes


def test_families_that_cannot_or_do_not_by_default():
    assert not _trainer("wgan-gp").game.objective.reuse_fakes  # five critic steps per G step
    assert not _trainer("lsgan").game.objective.reuse_fakes  # on request only
    assert _trainer("lsgan", reuse_fakes=True).game.objective.reuse_fakes
    with pytest.raises(GankitError, match="draws fakes of its own"):
        _trainer("acgan", reuse_fakes=True)
    with pytest.raises(GankitError, match="one D step per G step"):
        _trainer("wgan-gp", reuse_fakes=True)


def test_multi_process_runs_draw_fresh_fakes_and_refuse_the_flag(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert not _trainer().game.objective.reuse_fakes
    with pytest.raises(GankitError, match="--nproc 1"):
        _trainer(reuse_fakes=True)


def test_the_command_line_names_the_fix(capsys, tmp_path):
    argv = ["train", *RING, "--model", "wgan", "--reuse-fakes", "--out", str(tmp_path / "r")]
    assert_one_line_error(capsys, argv, "--reuse-fakes", "--n-critic 1")
