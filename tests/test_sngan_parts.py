"""The SNGAN building blocks: the hinge objective and the spectrally normalised standard CNN."""

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from gankit.nets.sngan import SNGANDiscriminator, SNGANGenerator
from gankit.objectives import HingeGAN, Latent

REAL = [2.0, 0.5, -1.0]
FAKE = [-3.0, 0.0, 1.5]


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class StubG(nn.Module):
    """Ones for every sample (the stub D tells them from the all-zero real batch); records labels."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, z, y=None):
        self.seen.append(y)
        return torch.ones(z.shape[0], 1)


class StubD(nn.Module):
    """Fixed logits: REAL for the all-zero batch, FAKE for anything else; records labels."""

    def __init__(self, dtype=torch.float32):
        super().__init__()
        self.real = nn.Parameter(torch.tensor(REAL))
        self.fake = nn.Parameter(torch.tensor(FAKE))
        self.dtype = dtype
        self.seen = []

    def forward(self, x, y=None):
        self.seen.append(y)
        out = self.real if bool((x == 0).all()) else self.fake
        return out.to(self.dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_hinge_losses_match_hand_computed_values(dtype):
    objective = HingeGAN(Latent(2))
    G, D = StubG(), StubD(dtype)
    real, labels = torch.zeros(3, 1), torch.tensor([0, 1, 2])

    loss, stats = objective.discriminator_loss(G, D, real, labels)
    # relu(1 - [2, .5, -1]) = [0, .5, 2] -> 2.5/3; relu(1 + [-3, 0, 1.5]) = [0, 1, 2.5] -> 3.5/3
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(2.0, abs=1e-6)
    assert stats["d_real"].item() == pytest.approx(0.5, abs=1e-6)
    assert stats["d_fake"].item() == pytest.approx(-0.5, abs=1e-6)
    assert not any(s.requires_grad for s in stats.values())
    loss.backward()
    tol = 1e-6 if dtype == torch.float32 else 4e-3  # the gradient is rounded to bfloat16 on its way back
    # no gradient beyond the margin: D(x) = 2 >= 1 and D(G(z)) = -3 <= -1
    assert torch.allclose(D.real.grad, torch.tensor([0.0, -1 / 3, -1 / 3]), atol=tol)
    assert torch.allclose(D.fake.grad, torch.tensor([0.0, 1 / 3, 1 / 3]), atol=tol)

    D.zero_grad()
    g_loss, _ = objective.generator_loss(G, D, 3, labels, torch.device("cpu"))
    assert g_loss.dtype == torch.float32
    assert g_loss.item() == pytest.approx(0.5, abs=1e-6)  # -(-3 + 0 + 1.5)/3
    g_loss.backward()
    assert torch.allclose(D.fake.grad, torch.full((3,), -1 / 3), atol=tol)

    # labels reach G and D on every call, as for the other objectives
    assert all(y is labels for y in G.seen + D.seen) and len(G.seen) == 2 and len(D.seen) == 3


def test_hinge_conditional_flag():
    assert HingeGAN(Latent(2)).conditional is False
    assert HingeGAN(Latent(2), conditional=True).conditional is True


def _sigma(w: torch.Tensor) -> float:
    return torch.linalg.matrix_norm(w.detach().reshape(w.shape[0], -1), ord=2).item()


def _layers(D):
    return [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _effective_sigmas(D):
    """Largest singular value of each layer's normalised weight, read in eval mode so reading it
    does not itself run a power iteration."""
    was = D.training
    D.eval()
    sigmas = [_sigma(m.weight) for m in _layers(D)]
    D.train(was)
    return sigmas


def _train_forwards(D, size, channels, n):
    D.train()
    with torch.no_grad():
        for _ in range(n):
            D(torch.randn(2, channels, size, size))


@pytest.mark.parametrize("size,channels", [(28, 1), (32, 3)])
def test_discriminator_layers_are_spectrally_normalised(size, channels):
    torch.manual_seed(0)
    D = SNGANDiscriminator(size, channels)
    layers = _layers(D)
    assert len(layers) == {28: 6, 32: 8}[size]  # the paper's conv stack + the dense head
    assert all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in D.modules())

    _train_forwards(D, size, channels, 10)
    sigmas = _effective_sigmas(D)
    assert all(abs(s - 1) < 0.05 for s in sigmas), sigmas

    # guard: the same layers without spectral norm are not normalised
    plain = []
    for m in layers:
        if isinstance(m, nn.Conv2d):
            plain.append(nn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding))
        else:
            plain.append(nn.Linear(m.in_features, m.out_features))
    plain_sigmas = [_sigma(p.weight) for p in plain]
    assert all(abs(s - 1) > 0.05 for s in plain_sigmas), plain_sigmas


def test_power_iteration_tracks_new_weights():
    """Replace every raw weight with a large random one: the stale u, v no longer normalise it,
    and one power iteration per training forward brings sigma back to 1."""
    torch.manual_seed(0)
    D = SNGANDiscriminator(28, 1)
    with torch.no_grad():
        for m in _layers(D):
            m.parametrizations.weight.original.normal_(0.0, 10.0)
    assert min(_sigma(m.parametrizations.weight.original) for m in _layers(D)) > 50  # a plain layer's sigma
    before = _effective_sigmas(D)
    assert max(abs(s - 1) for s in before) > 0.05, before  # stale estimate: not yet normalised
    _train_forwards(D, 28, 1, 30)
    after = _effective_sigmas(D)
    assert all(abs(s - 1) < 0.05 for s in after), after
    # in eval mode the estimate is frozen
    D.eval()
    u = [m.parametrizations.weight[0]._u.clone() for m in _layers(D)]
    with torch.no_grad():
        D(torch.randn(2, 1, 28, 28))
    assert all(torch.equal(a, m.parametrizations.weight[0]._u) for a, m in zip(u, _layers(D)))


@pytest.mark.parametrize("size", [28, 32])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes(size, channels):
    torch.manual_seed(0)
    G = SNGANGenerator(16, size, channels, width=16)
    D = SNGANDiscriminator(size, channels, width=16)
    z = torch.randn(5, 16)
    x = G(z)
    assert x.shape == (5, channels, size, size)
    assert x.min() >= -1 and x.max() <= 1 and x.std() > 0
    G.eval()
    y = torch.arange(5)
    assert torch.equal(G(z, y), G(z))  # y is ignored
    out = D(x.detach())
    assert out.shape == (5,)
    f = D.features(x.detach())
    assert f.shape == (5, D.feature_dim)
    assert D.feature_dim == {28: 4 * 16 * 7 * 7, 32: 8 * 16 * 4 * 4}[size]
    assert D.head.in_features == D.feature_dim and D.head.out_features == 1


def test_generator_channels_per_resolution():
    # the paper's 32x32 G at width 64: 512 at 4x4, then 256, 128, 64; 28x28 drops the 4x4 stage
    outs = lambda G: [m.out_channels for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert outs(SNGANGenerator(128, 32, 3)) == [256, 128, 64]
    assert SNGANGenerator(128, 32, 3).net[0].out_features == 512 * 4 * 4
    assert outs(SNGANGenerator(128, 28, 1)) == [128, 64]
    assert SNGANGenerator(128, 28, 1).net[0].out_features == 256 * 7 * 7


def test_unsupported_size():
    with pytest.raises(ValueError, match="28, 32"):
        SNGANDiscriminator(64, 3)
    with pytest.raises(ValueError, match="28, 32"):
        SNGANGenerator(8, 20, 1)


def test_one_step_with_real_nets():
    """D is called twice per loss in train mode (each call updates u, v in place): backward must still work."""
    torch.manual_seed(0)
    G, D = SNGANGenerator(8, 28, 1, width=8), SNGANDiscriminator(28, 1, width=8)
    objective = HingeGAN(Latent(8))
    loss, stats = objective.discriminator_loss(G, D, torch.rand(4, 1, 28, 28) * 2 - 1, None)
    loss.backward()
    assert all(p.grad is not None for p in D.parameters()) and not any(p.grad is not None for p in G.parameters())
    D.zero_grad()
    g_loss, _ = objective.generator_loss(G, D, 4, None, torch.device("cpu"))
    g_loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in G.parameters())
