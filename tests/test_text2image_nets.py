"""The text-to-image nets (Reed et al. 2016 GAN-INT-CLS, StackGAN stages I and II): shapes at 28, 32
and 64 px with 1 and 3 channels; conditioning augmentation's KL term against hand-checked values
and its sampling (deterministic in eval mode, the right std while training); the text encoder's
indifference to padding; D's dependence on the text; and a tiny overfit that proves the matching
path is wired (D + text encoder learn to score matched pairs above swapped ones)."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gankit.nets.text2image import (ConditioningAugmentation, MatchingDiscriminator, Stage1Generator,
                                    Stage2Discriminator, Stage2Generator, TextEncoder, kl_divergence)

SIZES = [28, 32, 64]
CHANNELS = [1, 3]
W = 8  # small widths: shapes and wiring do not depend on them


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(n)


def in_range(x: torch.Tensor) -> bool:
    return bool(x.min() >= -1 and x.max() <= 1)


# --- shapes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("channels", CHANNELS)
def test_stage1_shapes(size, channels):
    G = Stage1Generator(100, 64, (channels, size, size), ngf=W)
    D = MatchingDiscriminator((channels, size, size), 128, 64, ndf=W)
    x = G(torch.randn(3, 100), torch.randn(3, 64))
    assert x.shape == (3, channels, size, size) and in_range(x)
    e = torch.randn(3, 128)
    assert D(x, e).shape == (3,)
    assert D.features(x, e).shape == (3, D.feature_dim)
    assert D.image(x).shape[2:] == (4, 4)  # 28 px: 7x7 then a stride-1 conv to 4x4


@pytest.mark.parametrize("size,out", [(28, 56), (32, 64), (16, 64)])
@pytest.mark.parametrize("channels", CHANNELS)
def test_stage2_shapes(size, out, channels):
    G2 = Stage2Generator((channels, size, size), 64, out_size=out, ngf=W)
    assert G2.out_shape == (channels, out, out)
    y = G2(torch.rand(2, channels, size, size) * 2 - 1, torch.randn(2, 64))
    assert y.shape == (2, channels, out, out) and in_range(y)
    assert MatchingDiscriminator((channels, out, out), ndf=W)(y, torch.randn(2, 128)).shape == (2,)


def test_stage2_defaults_double_the_size():
    G2 = Stage2Generator((3, 32, 32), ngf=W)
    D2 = Stage2Discriminator(ndf=W)  # (3, 64, 64): four stride-2 convs, one more than at 32 px
    y = G2(torch.zeros(2, 3, 32, 32), torch.randn(2, 64))
    assert y.shape == (2, 3, 64, 64) and D2(y, torch.randn(2, 128)).shape == (2,)
    strided = [m for m in D2.image.modules() if isinstance(m, nn.Conv2d) and m.stride == (2, 2)]
    assert len(strided) == 4
    assert len([m for m in MatchingDiscriminator((3, 32, 32), ndf=W).image.modules()
                if isinstance(m, nn.Conv2d)]) == 3


@pytest.mark.parametrize("bad", [(1, 30, 30), (1, 32, 28), (1, 4, 4)])
def test_unsupported_sizes_raise(bad):
    with pytest.raises(ValueError):
        Stage1Generator(out_shape=bad)
    with pytest.raises(ValueError):
        MatchingDiscriminator(bad)


def test_stage2_rejects_bad_sizes():
    with pytest.raises(ValueError):
        Stage2Generator((3, 30, 30))
    with pytest.raises(ValueError):
        Stage2Generator((3, 32, 32), out_size=96)


def test_generators_use_their_conditions():
    G = Stage1Generator(out_shape=(1, 32, 32), ngf=W).eval()
    z, c = torch.randn(2, 100), torch.randn(2, 64)
    assert not torch.allclose(G(z, c), G(z, c + 1))
    assert not torch.allclose(G(z, c), G(z + 1, c))
    G2 = Stage2Generator((1, 32, 32), ngf=W).eval()
    low = torch.rand(2, 1, 32, 32)
    assert not torch.allclose(G2(low, c), G2(low, c + 1))
    assert not torch.allclose(G2(low, c), G2(low.flip(3), c))


def test_dcgan_init():
    G = Stage1Generator(out_shape=(3, 32, 32), ngf=W)
    convs = torch.cat([m.weight.flatten() for m in G.modules() if isinstance(m, (nn.Conv2d, nn.Linear))])
    gammas = torch.cat([m.weight for m in G.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d))])
    assert abs(convs.std().item() - 0.02) < 0.002 and abs(convs.mean().item()) < 0.002
    assert abs(gammas.mean().item() - 1) < 0.01 and abs(gammas.std().item() - 0.02) < 0.01
    D = MatchingDiscriminator((3, 32, 32), ndf=W)
    sn = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert sn and all(hasattr(m, "parametrizations") for m in sn)  # spectral norm on every layer
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())


# --- conditioning augmentation ---------------------------------------------------------------

def test_kl_divergence_hand_checked():
    mu, logvar = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, math.log(4.0)]])
    # 0.5 * ((1 + 1 - 1 - 0) + (0 + 4 - 1 - log 4)) = 0.5 * (4 - log 4)
    assert kl_divergence(mu, logvar).item() == pytest.approx(0.5 * (4 - math.log(4)), abs=1e-6)
    assert kl_divergence(mu, logvar).item() == pytest.approx(1.306853, abs=1e-6)
    assert kl_divergence(torch.zeros(5, 64), torch.zeros(5, 64)).item() == 0.0
    # a batch mean, not a sum: a second copy of the row leaves it unchanged
    assert kl_divergence(mu.repeat(2, 1), logvar.repeat(2, 1)).item() == pytest.approx(1.306853, abs=1e-6)


def test_ca_eval_is_deterministic_and_sample_flag_draws():
    ca = ConditioningAugmentation(128, 64).eval()
    e = torch.randn(4, 128)
    c, mu, logvar = ca(e)
    assert c.shape == mu.shape == logvar.shape == (4, 64)
    assert torch.equal(c, mu) and torch.equal(ca(e)[0], c)
    c1, c2 = ca(e, sample=True)[0], ca(e, sample=True)[0]
    assert not torch.allclose(c1, c2) and not torch.allclose(c1, mu)
    assert torch.equal(ca.train()(e, sample=False)[0], mu)


def test_ca_training_samples_have_the_right_std():
    ca = ConditioningAugmentation(8, 4).train()
    with torch.no_grad():
        ca.fc.weight.zero_()
        ca.fc.bias[:4] = torch.tensor([1.0, -2.0, 0.0, 3.0])  # mu
        ca.fc.bias[4:] = math.log(4.0)                         # logvar: sigma = 2
    c, mu, logvar = ca(torch.randn(20000, 8))
    assert torch.allclose(c.mean(0), mu[0], atol=0.06)
    assert torch.allclose(c.std(0), torch.full((4,), 2.0), atol=0.05)
    # the reparameterisation: gradients reach mu and logvar through c
    ca.fc.bias.grad = None
    ca(torch.randn(16, 8))[0].sum().backward()
    assert ca.fc.bias.grad[:4].abs().min() > 0 and ca.fc.bias.grad[4:].abs().min() > 0


# --- text encoder ----------------------------------------------------------------------------

def test_text_encoder_ignores_trailing_padding():
    enc = TextEncoder(50, max_len=12, embed_dim=16, out_dim=32)
    short = torch.tensor([[5, 3, 7, 0, 0], [2, 9, 0, 0, 0], [4, 4, 4, 4, 4]])
    long = F.pad(short, (0, 7))  # same words, 7 more pad tokens
    a, b = enc(short), enc(long)
    assert a.shape == (3, 32)
    assert torch.allclose(a, b, atol=1e-6)
    # order in the batch and the batch's other captions do not matter either
    assert torch.allclose(enc(long[[2, 0]]), a[[2, 0]], atol=1e-6)
    # longer than max_len: only the first max_len tokens are read
    assert torch.allclose(enc(F.pad(short, (0, 20))), a, atol=1e-6)


def test_text_encoder_tells_sentences_apart_and_handles_empty_rows():
    enc = TextEncoder(50, max_len=8, embed_dim=16, out_dim=32)
    e = enc(torch.tensor([[5, 3, 7, 0], [5, 3, 8, 0], [7, 3, 5, 0], [0, 0, 0, 0]]))
    assert (e[0] - e[1]).abs().max() > 1e-4  # one word differs
    assert (e[0] - e[2]).abs().max() > 1e-4  # same words, other order (the GRU reads order)
    assert torch.isfinite(e).all()           # all-padding row: length clamped to 1
    assert torch.equal(TextEncoder.lengths(torch.tensor([[5, 0, 3, 0], [0, 0, 0, 0]])), torch.tensor([3, 1]))
    e.sum().backward()
    assert enc.embed.weight.grad[0].abs().max() == 0  # the pad vector is never trained


# --- the matching-aware discriminator --------------------------------------------------------

def test_discriminator_depends_on_text():
    D = MatchingDiscriminator((3, 32, 32), ndf=W)
    x, e = torch.randn(4, 3, 32, 32), torch.randn(4, 128)
    base = D(x, e)
    assert not torch.allclose(base, D(x, e.roll(1, 0)))
    assert not torch.allclose(base, D(x, torch.randn(4, 128)))
    assert torch.allclose(D.eval()(x, e), D(x, e))  # no batch statistics: train and eval agree


def test_matching_overfit_scores_matched_pairs_above_swapped():
    """D + text encoder, 100 Adam steps, 2 images and 2 captions: matched pairs -> 1, swapped
    pairs -> 0 (GAN-CLS's real-image/wrong-text term). Only the text path can tell them apart."""
    torch.manual_seed(0)
    enc = TextEncoder(20, max_len=6, embed_dim=16, out_dim=32)
    D = MatchingDiscriminator((1, 32, 32), text_dim=32, proj_dim=16, ndf=8)
    images = torch.rand(2, 1, 32, 32) * 2 - 1
    captions = torch.tensor([[3, 5, 7, 0, 0, 0], [4, 6, 0, 0, 0, 0]])
    opt = torch.optim.Adam(list(D.parameters()) + list(enc.parameters()), lr=2e-3, betas=(0.5, 0.999))
    for _ in range(100):
        e = enc(captions)
        matched, swapped = D(images, e), D(images, e.flip(0))
        loss = (F.binary_cross_entropy_with_logits(matched, torch.ones(2))
                + F.binary_cross_entropy_with_logits(swapped, torch.zeros(2)))
        opt.zero_grad()
        loss.backward()
        opt.step()
    D.eval()
    with torch.no_grad():
        e = enc(captions)
        matched, swapped = D(images, e), D(images, e.flip(0))
    assert (matched > swapped).all(), (matched, swapped)
    assert loss.item() < 0.5 * 4 * math.log(2)
