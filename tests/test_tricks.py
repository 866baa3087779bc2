"""Training tricks any model can use, each doing what it says; and the minimax G's vanishing gradient."""

import math

import pytest
import torch

import gankit
from gankit.cli import main
from gankit.config import TrainConfig
from gankit.data import get_dataset
from gankit.errors import GankitError
from gankit.models import build_game, resolve
from gankit.objectives.minimax import bce_discriminator_loss

RING = get_dataset("ring8")


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def recipe(**kw):
    cfg = resolve(TrainConfig(dataset="ring8", **kw), RING.spec)
    torch.manual_seed(0)
    return cfg, build_game(cfg, RING.spec)


def test_one_sided_label_smoothing_moves_only_the_real_target():
    # the real term is minimised where sigmoid(l) = 0.9, the fake term still where sigmoid(l) = 0
    l = torch.tensor([math.log(0.9 / 0.1)], requires_grad=True)
    bce_discriminator_loss(l, torch.full((1,), -1e4), real_target=0.9).backward()
    assert abs(l.grad.item()) < 1e-6
    _, r = recipe(model="gan", label_smoothing=0.9)
    assert r.objective.real_target == 0.9
    _, r = recipe(model="acgan", label_smoothing=0.9)  # every BCE family takes it
    assert r.objective.real_target == 0.9
    with pytest.raises(GankitError, match="label-smoothing"):
        recipe(model="wgan", label_smoothing=0.9)


def test_label_smoothing_caps_d_on_real_data():
    # with smoothing, a D trained on separable data stops near 0.9 on real data instead of ~1
    out = {}
    for target in (1.0, 0.9):
        _, r = recipe(model="gan", label_smoothing=None if target == 1.0 else target)
        D, G = r.nets["D"], r.nets["G"]
        opt = torch.optim.Adam(D.parameters(), 1e-2)
        real = RING.data[:512]
        for _ in range(150):
            loss, stats = r.objective.discriminator_loss(G, D, real, None)
            opt.zero_grad()
            loss.backward()
            opt.step()
        out[target] = stats["d_real"].item()
    assert out[1.0] > 0.97 and 0.85 < out[0.9] < 0.93, out


def test_instance_noise_perturbs_d_inputs_only_in_training():
    _, r = recipe(model="gan", instance_noise=0.5)
    D = r.nets["D"]
    seen = []
    D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    x = torch.zeros(4000, 2)
    D.train()
    D(x)
    assert abs(seen[-1].std().item() - 0.5) < 0.02
    D.eval()
    D(x)
    assert torch.equal(seen[-1], x)
    with pytest.raises(GankitError, match="instance-noise"):
        recipe(model="began", instance_noise=0.1)


def test_ttur_and_sgd_for_d_reach_the_optimizers(tmp_path):
    assert main(["train", "--model", "gan", "--dataset", "ring8", "--steps", "2", "--batch-size", "64", "--quiet",
                 "--lr-g", "1e-4", "--lr-d", "4e-4", "--optim-d", "sgd", "--out", str(tmp_path / "r")]) == 0
    state = torch.load(tmp_path / "r" / "checkpoints" / "last.pt", weights_only=True)
    g, d = state["optimizers"]["G"]["param_groups"][0], state["optimizers"]["D"]["param_groups"][0]
    assert g["lr"] == 1e-4 and d["lr"] == 4e-4
    assert "betas" in g and "betas" not in d and "momentum" in d  # Adam for G, SGD for D


def test_feature_matching_loss_is_zero_at_the_data_and_trains_g():
    cfg, r = recipe(model="gan", g_loss="feature-matching")
    D, obj = r.nets["D"], r.objective
    real = RING.data[:256]
    assert obj.adversarial_generator_loss(D, real, None, real).item() < 1e-10
    assert obj.adversarial_generator_loss(D, real + 1.0, None, real).item() > 1e-4
    with pytest.raises(GankitError, match="g-loss"):
        recipe(model="lsgan", g_loss="feature-matching")


def test_feature_matching_learns_the_ring(tmp_path):
    from test_zoo_learning import energy_to_data

    budget = dict(model="gan", dataset="ring8", batch_size=256, seed=0, quiet=True, g_loss="feature-matching",
                  precision="fp32",
                  log_every=100, sample_every=10**6)
    e0 = energy_to_data(gankit.train(out=tmp_path / "f0", steps=1, **budget))
    e1 = energy_to_data(gankit.train(out=tmp_path / "f1", steps=600, **budget))
    assert e1 < 0.3 * e0, (e0, e1)


def test_minimax_g_gradient_vanishes_early():
    """Goodfellow et al. 2014: early on, D rejects fakes confidently and log(1 - D(G(z))) saturates."""
    _, r = recipe(model="gan")
    G, D, obj = r.nets["G"], r.nets["D"], r.objective
    opt = torch.optim.Adam(D.parameters(), 1e-3)
    real = RING.data[:512]
    for _ in range(100):  # a D that has learned to reject the untrained G
        loss, stats = obj.discriminator_loss(G, D, real, None)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert stats["d_fake"] < 0.1
    norms = {}
    for mode in ("minimax", "non-saturating"):
        obj.g_loss = mode
        torch.manual_seed(1)
        G.zero_grad()
        obj.generator_loss(G, D, 512, None, "cpu")[0].backward()
        norms[mode] = torch.nn.utils.get_total_norm([p.grad for p in G.parameters()]).item()
    assert norms["non-saturating"] > 10 * norms["minimax"], norms
