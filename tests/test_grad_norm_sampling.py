"""The logged gradient norms are a sample: every Nth update of each phase, and the first of each log window."""

import pytest
import torch

import gankit
import gankit.engine as engine
from gankit.config import TrainConfig
from gankit.data import get_dataset
from gankit.engine import Trainer
from gankit.errors import GankitError
from gankit.models import build_game, resolve
from gankit.precision import Precision

from test_cli_errors import RING, assert_one_line_error

RING_DATA = get_dataset("ring8")


def _trainer(tmp_path, **kw) -> Trainer:
    cfg = resolve(TrainConfig(model="gan", dataset="ring8", batch_size=16, **kw), RING_DATA.spec)
    return Trainer(cfg, build_game(cfg, RING_DATA.spec), RING_DATA, tmp_path, torch.device("cpu"),
                   Precision("fp32", "test"), quiet=True)


def _run(tmp_path, monkeypatch, steps: int, state: dict | None = None, **kw) -> tuple[list[int], list[dict]]:
    """Train gan on ring8 (from ``state`` when given); returns the D updates (0-based) whose norm was
    measured, and the records."""
    trainer = _trainer(tmp_path, **kw)
    cfg = trainer.cfg
    if state is not None:
        trainer.load_state_dict(state)
    measured = []
    real_norm = engine._grad_norm

    def norm(optimizer, scaler):
        if optimizer is trainer.optimizers["D"]:
            measured.append(trainer._updates["D"] - 1)  # the engine counts the update before asking
        return real_norm(optimizer, scaler)

    monkeypatch.setattr(engine, "_grad_norm", norm)
    trainer.fit(steps)
    return measured, gankit.Run(tmp_path, cfg, RING_DATA.spec).metrics()


def test_every_nth_update_and_the_first_of_each_window(tmp_path, monkeypatch):
    measured, records = _run(tmp_path, monkeypatch, 12, log_every=6, grad_norm_every=4)
    assert measured == [0, 4, 6, 8]  # 6 opens the second window; 8 is the next 4th
    assert len(records) == 2 and all(r["grad_norm_d"] > 0 and r["grad_norm_g"] > 0 for r in records)


def test_a_resumed_run_samples_the_updates_of_an_uninterrupted_one(tmp_path, monkeypatch):
    (tmp_path / "first").mkdir()
    (tmp_path / "resumed").mkdir()
    first = _trainer(tmp_path / "first", log_every=6, grad_norm_every=4)
    first.fit(6)
    measured, _ = _run(tmp_path / "resumed", monkeypatch, 12, state=first.state_dict(), log_every=6,
                       grad_norm_every=4)
    assert measured == [6, 8]  # as uninterrupted (above); a count restarted at the resume gives [0, 4]


def test_a_short_window_still_logs_a_norm(tmp_path, monkeypatch):
    measured, records = _run(tmp_path, monkeypatch, 6, log_every=1, grad_norm_every=4)
    assert measured == list(range(6))
    assert [r["step"] for r in records] == list(range(1, 7)) and all("grad_norm_g" in r for r in records)


def test_one_measures_every_update(tmp_path, monkeypatch):
    measured, records = _run(tmp_path, monkeypatch, 4, log_every=4, grad_norm_every=1)
    assert measured == [0, 1, 2, 3]
    assert records[0]["grad_norm_d"] > 0


def test_the_sampled_norm_is_the_norm_of_that_update(tmp_path):
    """The number logged for a one-update window is the L2 norm of all of D's gradients after it."""
    cfg = resolve(TrainConfig(model="gan", dataset="ring8", batch_size=16, log_every=1, grad_norm_every=4),
                  RING_DATA.spec)
    trainer = Trainer(cfg, build_game(cfg, RING_DATA.spec), RING_DATA, tmp_path, torch.device("cpu"),
                      Precision("fp32", "test"), quiet=True)
    seen = []
    optimizer = trainer.optimizers["D"]
    real_step = optimizer.step

    def step(*a, **kw):  # before the update, the gradients the engine has just measured
        seen.append(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.grad)
                                                          for g in optimizer.param_groups for p in g["params"]])))
        return real_step(*a, **kw)

    optimizer.step = step
    trainer.fit(1)
    record = gankit.Run(tmp_path, cfg, RING_DATA.spec).metrics()[0]
    assert record["grad_norm_d"] == pytest.approx(float(seen[0]), rel=1e-5)


def test_zero_is_refused(capsys):
    with pytest.raises(GankitError, match="grad-norm-every must be a positive integer"):
        TrainConfig(model="gan", dataset="ring8", grad_norm_every=0).validate()
    assert_one_line_error(capsys, ["train", *RING, "--grad-norm-every", "0"], "--grad-norm-every")
