"""The gradient penalties of WGAN-GP and DRAGAN against hand-computed cases."""

import math

import torch
from torch import nn

from gankit.objectives import Latent, WassersteinGP
from gankit.objectives.penalties import gradient_penalty, input_gradient_norm, interpolate, perturb_real


class LinearCritic(nn.Module):
    """f(x) = <w, flatten(x)>: its input gradient is w everywhere, so ||grad|| = ||w||."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float32))

    def forward(self, x, y=None):
        return x.flatten(1) @ self.w


def test_linear_critic_penalty_is_hand_computed():
    D = LinearCritic([3.0, 4.0])  # ||w|| = 5 -> (5 - 1)^2 = 16
    x = torch.randn(32, 2)
    norms = input_gradient_norm(D, x)
    assert torch.allclose(norms, torch.full((32,), 5.0))
    gp = gradient_penalty(D, x)
    assert math.isclose(gp.item(), 16.0, rel_tol=1e-6)
    # the penalty trains the critic: d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w|| = (4.8, 6.4)
    gp.backward()
    assert torch.allclose(D.w.grad, torch.tensor([4.8, 6.4]), atol=1e-5)


def test_gradient_norm_is_per_sample():
    class Quadratic(nn.Module):  # f(x) = 1/2 ||x||^2 -> grad = x, norm = ||x|| of each sample
        def forward(self, x, y=None):
            return 0.5 * x.flatten(1).pow(2).sum(1)

    x = torch.randn(8, 1, 4, 4)
    assert torch.allclose(input_gradient_norm(Quadratic(), x), x.flatten(1).norm(dim=1), atol=1e-5)


def test_interpolation_factor_is_one_per_sample():
    real, fake = torch.randn(16, 3, 8, 8), torch.randn(16, 3, 8, 8)
    x_hat = interpolate(real, fake)
    d, h = (real - fake).flatten(1), (x_hat - fake).flatten(1)
    eps = (h * d).sum(1, keepdim=True) / d.pow(2).sum(1, keepdim=True)  # best single factor per sample
    # every pixel of a sample got that same factor: x_hat lies on the line from fake to real ...
    assert torch.allclose(h, eps * d, atol=1e-5)
    # ... and the factors differ across samples, within [0, 1]
    assert eps.std() > 0.05
    assert (eps >= -1e-5).all() and (eps <= 1 + 1e-5).all()
    # a per-pixel draw (the bug) is off the line
    bad = torch.rand_like(real) * real + (1 - torch.rand_like(real)) * fake
    hb = (bad - fake).flatten(1)
    assert not torch.allclose(hb, (hb * d).sum(1, keepdim=True) / d.pow(2).sum(1, keepdim=True) * d, atol=1e-2)


def test_wgan_gp_loss_adds_lambda_times_penalty():
    D = LinearCritic([0.6, 0.8, 0.0])  # ||w|| = 1: no penalty at all
    G = nn.Linear(3, 3)
    obj = WassersteinGP(Latent(3), penalty=10.0)
    real = torch.randn(64, 3)
    loss, stats = obj.discriminator_loss(lambda z, y: G(z), D, real, None)
    assert stats["gp"].item() < 1e-10
    D2 = LinearCritic([0.0, 0.0, 3.0])  # ||w|| = 3: penalty 4, times lambda 10
    torch.manual_seed(0)
    loss2, stats2 = obj.discriminator_loss(lambda z, y: G(z), D2, real, None)
    assert math.isclose(stats2["gp"].item(), 4.0, rel_tol=1e-5)
    assert math.isclose(loss2.item(), (stats2["d_fake"] - stats2["d_real"]).item() + 40.0, rel_tol=1e-4)


def test_dragan_perturbation_is_near_the_data_and_per_sample():
    torch.manual_seed(0)
    real = torch.randn(64, 2) * 3
    g = torch.Generator().manual_seed(1)
    x_hat = perturb_real(real, 0.5, generator=g)
    delta = x_hat - real
    bound = 0.5 * real.std()
    assert (delta >= 0).all() and (delta < bound).all()
    # reproduce by hand: noise per element, one alpha per sample
    g = torch.Generator().manual_seed(1)
    noise = torch.rand(real.shape, generator=g)
    alpha = torch.rand(64, 1, generator=g)
    assert torch.allclose(delta, alpha * bound * noise, atol=1e-5)
