"""Runs written before the Game contract (checkpoint format 1) still load, sample and resume.

The fixtures are two tiny runs written by main at de02942 (before this change): dcgan (width 4)
and cgan (MLP, width 16), 2 steps on 64 Fashion-MNIST images, with the samples that version drew
(``expected_samples.pt``: seed 0, 8 samples, classes 0..7 for cgan).
"""

import shutil
from pathlib import Path

import pytest
import torch

import gankit
from gankit.checkpoint import load_checkpoint

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_a_format_1_run_samples_what_it_sampled_before(model):
    run = gankit.load_run(FIXTURES / f"format1-{model}")
    expected = torch.load(FIXTURES / f"format1-{model}" / "expected_samples.pt", weights_only=True)["seed0"]
    labels = torch.arange(8) % 10 if model == "cgan" else None
    assert torch.equal(run.sample(8, seed=0, labels=labels), expected)
    assert run.step == 2 and not run.has_ema


def test_a_format_1_run_resumes(tmp_path, fashion_train):
    out = tmp_path / "old"
    shutil.copytree(FIXTURES / "format1-dcgan", out)
    raw = torch.load(out / "checkpoints" / "last.pt", weights_only=True)
    assert raw["format"] == "gankit-checkpoint-1" and "G" in raw  # really the old layout
    gankit.train(resume=out, steps=4, quiet=True, data=fashion_train.subset(64, seed=0))
    state = load_checkpoint(out / "checkpoints" / "last.pt")
    assert state["format"] == "gankit-checkpoint-2" and state["step"] == 4
    assert state["images"] == 4 * 16  # counted from the old data sampler's position, then on
