"""WGAN's critic warm-up: 100 critic updates for the first 25 G updates and every 500th, on for wgan only."""

import pytest
import torch

from gankit.cli import main
from gankit.critic_schedule import critic_steps

pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def test_schedule_follows_the_wgan_reference_training():
    warm = [critic_steps(g, 5, True) for g in range(1002)]
    assert warm[:25] == [100] * 25 and warm[25:500] == [5] * 475
    assert warm[500] == 100 and warm[501:1000] == [5] * 499 and warm[1000] == 100
    assert {critic_steps(g, 5, False) for g in range(1002)} == {5}
    assert critic_steps(0, 200, True) == 200  # a larger n_critic is never reduced


def d_updates(run_dir) -> int:
    """Critic updates made, read from the optimizer's own step counter in the checkpoint."""
    state = torch.load(run_dir / "checkpoints" / "last.pt", weights_only=True)["optimizers"]["D"]["state"]
    return int(next(iter(state.values()))["step"])


@pytest.mark.parametrize("flags, expected", [
    ([], 25 * 100 + 2 * 5),              # wgan: the warm-up is its default
    (["--no-critic-warmup"], 27 * 5),
])
def test_wgan_trains_its_critic_on_the_schedule(tmp_path, flags, expected):
    out = tmp_path / "r"
    assert main(["train", "--model", "wgan", "--dataset", "ring8", "--steps", "27", "--batch-size", "32",
                 "--quiet", "--out", str(out), *flags]) == 0
    assert d_updates(out) == expected


def test_warmup_is_off_by_default_and_on_for_any_model_that_asks(tmp_path):
    common = ["train", "--model", "wgan-gp", "--dataset", "ring8", "--steps", "3", "--batch-size", "32", "--quiet"]
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    assert main([*common, "--critic-warmup", "--out", str(tmp_path / "b")]) == 0
    assert d_updates(tmp_path / "a") == 3 * 5 and d_updates(tmp_path / "b") == 3 * 100
