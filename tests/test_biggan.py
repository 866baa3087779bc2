"""BigGAN's parts do what the paper says: skip-z, one shared class embedding feeding conditional
batchnorm, a projection discriminator, spectral norm in G and D, orthogonal regularization; the
recipe's errors; and the model learns class-conditional Fashion-MNIST."""

import pytest
import torch
from torch import nn

import gankit
from gankit.errors import GankitError
from gankit.metrics.evaluate import evaluate
from gankit.nets.biggan import BigGANDiscriminator, BigGANGenerator, ConditionalBatchNorm
from gankit.objectives.penalties import orthogonal_regularization


def _nets(size=32, channels=1, width=8, classes=10):
    torch.manual_seed(0)
    return BigGANGenerator(120, classes, size, channels, width), BigGANDiscriminator(classes, size, channels, width)


def test_shapes_32_and_64():
    for size, chunks in ((32, 4), (64, 5)):
        G, D = _nets(size, channels=3)
        z, y = torch.randn(4, 120), torch.arange(4)
        x = G(z, y)
        assert x.shape == (4, 3, size, size) and x.abs().max() <= 1
        assert D(x, y).shape == (4,)
        assert G.chunk * chunks == G.z_dim


def test_skip_z_reaches_every_block():
    G, _ = _nets()
    G.eval()
    z, y = torch.randn(2, 120), torch.tensor([3, 3])
    base = G(z, y)
    for k in range(4):  # chunk 0 feeds the linear layer, chunks 1..3 one up-block each
        z2 = z.clone()
        z2[:, 30 * k:30 * (k + 1)] += 1.0
        assert not torch.allclose(G(z2, y), base), f"chunk {k} of z changes nothing"


def test_one_shared_embedding_conditions_every_batchnorm():
    G, _ = _nets()
    embeddings = [m for m in G.modules() if isinstance(m, nn.Embedding)]
    assert embeddings == [G.shared]  # the blocks have none of their own
    cbns = [m for m in G.modules() if isinstance(m, ConditionalBatchNorm)]
    assert len(cbns) == 6 and all(m.gain.in_features == 128 + 30 for m in cbns)
    G.eval()
    z = torch.randn(1, 120).expand(2, -1)
    x = G(z, torch.tensor([0, 1]))
    assert not torch.allclose(x[0], x[1])  # the class changes the image through the CBN gains


def test_conditional_batchnorm_is_gain_one_plus_linear():
    cbn = ConditionalBatchNorm(4, 3)
    cbn.train()
    x, c = torch.randn(8, 4, 5, 5), torch.randn(8, 3)
    gain = 1 + cbn.gain(c)[:, :, None, None]
    bias = cbn.bias(c)[:, :, None, None]
    mean, var = x.mean((0, 2, 3), keepdim=True), x.var((0, 2, 3), unbiased=False, keepdim=True)
    expected = (x - mean) / torch.sqrt(var + 1e-5) * gain + bias
    torch.testing.assert_close(cbn(x, c), expected, atol=1e-5, rtol=1e-5)


def test_projection_discriminator_formula():
    _, D = _nets()
    D.eval()
    x = torch.randn(3, 1, 32, 32)
    y1, y2 = torch.tensor([0, 1, 2]), torch.tensor([5, 6, 7])
    h = D.features(x)
    difference = D(x, y1) - D(x, y2)
    expected = ((D.embed(y1) - D.embed(y2)) * h).sum(1)  # w.h cancels: only the projection term depends on y
    torch.testing.assert_close(difference, expected, atol=1e-4, rtol=1e-4)


def test_spectral_norm_everywhere_but_the_shared_embedding():
    G, D = _nets()
    for net in (G, D):
        for name, m in net.named_modules():
            if isinstance(m, (nn.Conv2d, nn.Linear, nn.Embedding)) and m is not getattr(net, "shared", None):
                assert hasattr(m, "parametrizations"), f"{name} has no spectral norm"
    assert not hasattr(G.shared, "parametrizations")
    D.train()
    for _ in range(30):  # power iterations converge in training forwards
        D(torch.randn(2, 1, 32, 32), torch.tensor([0, 1]))
    w = D.head.weight  # the normalised weight
    assert abs(torch.linalg.matrix_norm(w, 2).item() - 1.0) < 0.05


def test_orthogonal_regularization_known_answers():
    eye = torch.eye(3)
    assert orthogonal_regularization([eye * 5]) == 0  # orthogonal rows of any norm cost nothing
    ones = torch.ones(2, 2)  # W W^T = [[2, 2], [2, 2]]: off-diagonal 2 and 2 -> 4 + 4
    assert orthogonal_regularization([ones]) == 8
    conv = torch.ones(2, 1, 2, 2)  # filters flattened to (out, fan_in): [[1]*4]*2 -> off-diagonal 4, 4 -> 32
    assert orthogonal_regularization([conv, ones]) == 32 + 8
    G, _ = _nets()
    names = {id(p) for p in G.ortho_parameters()}
    assert id(G.shared.weight) not in names and all(p.dim() >= 2 for p in G.ortho_parameters())


def test_recipe_errors(tmp_path, fashion_small, fashion32):
    with pytest.raises(GankitError, match="--image-size 32"):
        gankit.train(model="biggan", data=fashion_small, steps=1, out=tmp_path / "a", quiet=True)
    with pytest.raises(GankitError, match="--z-dim"):
        gankit.train(model="biggan", data=fashion32, z_dim=90, steps=1, out=tmp_path / "b", quiet=True)
    with pytest.raises(GankitError, match="not 2D points"):
        gankit.train(model="biggan", dataset="ring8", steps=1, out=tmp_path / "c", quiet=True)


@pytest.fixture(scope="module")
def fashion32(fashion_train):
    """6,000 Fashion-MNIST training images at 32x32, resized as ``--image-size 32`` does."""
    from gankit.data import _adapt

    return _adapt(fashion_train.subset(6000, seed=0), 32, None)
