"""StyleGAN2's nets do what the paper says: demodulation normalizes the modulated conv's output,
ws can be mixed per layer and truncated toward w_avg, eval sampling is deterministic, w_avg is a
running mean of w in training, style mixing regularization happens in training only, and the
residual D follows gankit's conventions."""

import pytest
import torch

from gankit.nets.karras import MinibatchStddev
from gankit.nets.stylegan import ModulatedConv2d, StyleDiscriminator, StyleGenerator

Z = 16


def _g(size=32, **kw):
    torch.manual_seed(0)
    return StyleGenerator(z_dim=Z, w_dim=Z, image_size=size, channels=3, width=8, mapping_layers=2, **kw)


def _noisy(G, strength=0.5):
    for name, p in G.named_parameters():
        if name.endswith("noise_strength"):
            p.data.fill_(strength)
    return G


def test_demodulation_gives_unit_std_and_without_it_std_follows_the_style():
    torch.manual_seed(0)
    m = ModulatedConv2d(32, 32, 3, Z)
    with torch.no_grad():
        m.affine.weight.mul_(3)  # styles s ~ N(1, 9): very different per channel and sample
    w, x = torch.randn(64, Z), torch.randn(64, 32, 16, 16)
    with torch.no_grad():
        y = m(x, w)
        m.demodulate = False
        raw = m(x, w)
    interior = (slice(None), slice(None), slice(1, -1), slice(1, -1))  # zero padding thins the border
    sd, raw_sd = y[interior].std(dim=(1, 2, 3)), raw[interior].std(dim=(1, 2, 3))
    assert raw_sd.max() / raw_sd.min() > 2          # the styles really do change the scale ...
    assert (sd - 1).abs().max() < 0.1               # ... and demodulation undoes it,
    per_channel = y[interior].std(dim=(2, 3))       # for every output channel, not just on average
    assert (per_channel - 1).abs().max() < 0.25 and (per_channel.mean(0) - 1).abs().max() < 0.05

    # Known answer: constant styles c (affine weight 0, bias c); doubling c doubles the raw output
    with torch.no_grad():
        m.affine.weight.zero_()
        m.affine.bias.fill_(1.0)
        raw1 = m(x, w)
        m.affine.bias.fill_(2.0)
        raw2 = m(x, w)
        m.demodulate = True
        demod2 = m(x, w)
        m.affine.bias.fill_(1.0)
        demod1 = m(x, w)
    assert torch.allclose(raw2, 2 * raw1, atol=1e-5)
    assert torch.allclose(demod2, demod1, atol=1e-5)


def test_style_mixing_by_layer_range():
    G = _g().eval()
    torch.manual_seed(1)
    ws_a, ws_b = G.ws(torch.randn(2, Z)), G.ws(torch.randn(2, Z))
    with torch.no_grad():
        a, b = G.synthesis(ws_a), G.synthesis(ws_b)
        nothing = G.synthesis(G.mix(ws_a, ws_b, 0, 0))
        everything = G.synthesis(G.mix(ws_a, ws_b, 0, G.num_ws))
        middle = G.synthesis(G.mix(ws_a, ws_b, 3, 6))
    assert torch.allclose(nothing, a, atol=1e-6) and torch.allclose(everything, b, atol=1e-6)
    assert not torch.allclose(middle, a, atol=1e-3) and not torch.allclose(middle, b, atol=1e-3)
    mixed = G.mix(ws_a, ws_b, 3, 6)
    assert torch.equal(mixed[:, 3:6], ws_b[:, 3:6]) and torch.equal(mixed[:, :3], ws_a[:, :3])
    assert torch.equal(mixed[:, 6:], ws_a[:, 6:])


def test_truncation():
    G = _g().eval()
    G.w_avg.copy_(torch.randn(Z))
    z = torch.randn(3, Z)
    with torch.no_grad():
        x0 = G(z, psi=0.0)
        assert torch.allclose(x0, x0[:1].expand_as(x0), atol=1e-6)   # every seed -> the average image
        assert torch.allclose(x0, G(torch.randn(3, Z), psi=0.0), atol=1e-6)
        assert torch.equal(G(z, psi=1.0), G(z))
        assert not torch.allclose(G(z), x0, atol=1e-3)
        ws = G.ws(z, psi=0.0, cutoff=2)   # only layers below the cutoff are truncated
    assert torch.allclose(ws[:, :2], G.w_avg.expand(3, 2, Z))
    assert torch.allclose(ws[:, 2:], G.mapping(z)[:, None].expand(3, G.num_ws - 2, Z))


def test_eval_is_deterministic_and_training_noise_is_fresh():
    G = _noisy(_g(mixing_prob=0.0))
    z = torch.randn(2, Z)
    with torch.no_grad():
        G.eval()
        assert torch.equal(G(z), G(z))
        G.train()
        assert not torch.allclose(G(z), G(z), atol=1e-4)
        _noisy(G, 0.0)   # zero strength (the init): training output no longer random
        assert torch.allclose(G(z), G(z), atol=1e-6)


def test_shapes_and_discriminator_conventions():
    for size, num_ws in ((32, 8), (64, 10)):
        G = _g(size).eval()
        assert G.num_ws == num_ws and len(G.layer_resolutions()) == num_ws
        assert G.layer_resolutions()[0] == 4 and G.layer_resolutions()[-1] == size
        x = G(torch.randn(4, Z))
        assert x.shape == (4, 3, size, size)
        D = StyleDiscriminator(size, 3, width=8)
        with torch.no_grad():
            assert D(x).shape == (4,)
            assert torch.allclose(D(x), D.head(D.features(x)).squeeze(1))
            assert D.features(x).shape == (4, D.feature_dim)
    assert _g().layer_resolutions() == [4, 8, 8, 16, 16, 32, 32, 32]
    with pytest.raises(ValueError):
        StyleGenerator(image_size=48)
    with pytest.raises(ValueError):
        StyleDiscriminator(image_size=128)

    D = StyleDiscriminator(32, 3, width=8, mbstd_group=4, mbstd_channels=1)
    assert isinstance(D.mbstd, MinibatchStddev) and D.conv.weight.shape[1] == 32 + 1
    with torch.no_grad():
        for n in (3, 4, 8):
            assert D(torch.randn(n, 3, 32, 32)).shape == (n,)
        # the stddev channel is live: a batch of identical images differs from a varied one
        x = torch.randn(4, 3, 32, 32)
        same = x[:1].expand(4, -1, -1, -1)
        assert not torch.allclose(D(same)[0], D(x)[0])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = D(x)
            g_out = _g().eval()(torch.randn(2, Z))
    assert out.shape == (4,) and torch.isfinite(out).all() and torch.isfinite(g_out).all()


def test_w_avg_tracks_the_batch_mean_in_training_only():
    G = _g(w_avg_beta=0.9)
    z = torch.randn(16, Z)
    G.eval()
    with torch.no_grad():
        w = G.mapping(z)
    assert torch.equal(G.w_avg, torch.zeros(Z))        # eval: untouched
    G.train()
    with torch.no_grad():
        G.mapping(z)
        assert torch.allclose(G.w_avg, 0.1 * w.mean(0), atol=1e-6)
        G.mapping(z)
    assert torch.allclose(G.w_avg, (0.1 + 0.9 * 0.1) * w.mean(0), atol=1e-6)


def test_style_mixing_regularization_in_training_only():
    z = torch.randn(4, Z)

    def layers_equal(ws):
        return torch.equal(ws, ws[:, :1].expand_as(ws))

    G = _g(mixing_prob=1.0).train()
    for _ in range(5):
        _, ws = G(z, return_ws=True)
        assert not layers_equal(ws)
        cut = next(i for i in range(G.num_ws) if not torch.equal(ws[:, i], ws[:, 0]))
        assert 1 <= cut < G.num_ws and layers_equal(ws[:, cut:])   # one crossover, a second w after it
    assert layers_equal(G.eval()(z, return_ws=True)[1])
    assert layers_equal(_g(mixing_prob=0.0).train()(z, return_ws=True)[1])


def test_images_can_be_differentiated_with_respect_to_ws():
    G = _g().train()
    images, ws = G(torch.randn(3, Z), return_ws=True)
    (grad,) = torch.autograd.grad(images.sum(), ws)
    assert grad.shape == ws.shape and torch.isfinite(grad).all()
    assert (grad.abs().sum(dim=2) > 0).all()  # every layer's w reaches the image
