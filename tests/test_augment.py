"""Differentiable augmentation: DiffAugment (Zhao et al. 2020) and ADA (Karras et al. 2020), and their shared ops."""

import math

import pytest
import torch
import torch.nn.functional as F

from gankit.augment import DIFFAUGMENT_POLICIES, AdaptiveAugment, DiffAugment, diff_augment, ops, parse_policy
from gankit.errors import GankitError

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
POLICIES = ["color", "translation", "cutout", "color,translation,cutout"]


def _images(n, c, size=16, seed=0, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, c, size, size, generator=g) * 2 - 1).to(device)


def _ada(p=1.0, **kw):
    ada = AdaptiveAugment(**kw)
    ada.p.fill_(p)
    return ada


def _augmenters():
    return [(f"diffaugment[{p}]", DiffAugment(p)) for p in POLICIES] + [("ada[p=1]", _ada(1.0))]


# ------------------------------------------------------------------------------------------ all augmenters

@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("c", [1, 3])
def test_shapes_dtypes_devices_are_kept_and_gradients_flow(c, dtype, device):
    for name, aug in _augmenters():
        aug.to(device)
        x = _images(8, c, device=device).to(dtype).requires_grad_()
        y = aug(x)
        assert y.shape == x.shape and y.dtype == dtype and y.device == x.device, name
        assert torch.isfinite(y.float()).all(), name
        assert not torch.equal(y.detach(), x.detach()), name
        y.sum().backward()
        assert x.grad is not None and x.grad.dtype == dtype and x.grad.float().abs().sum() > 0, name
        # gradients reach every image, not only some of them
        assert (x.grad.float().abs().flatten(1).sum(1) > 0).all(), name


def test_randomness_follows_the_global_rng_or_a_generator():
    x = _images(16, 3)
    for _, aug in _augmenters():
        torch.manual_seed(3)
        a = aug(x)
        torch.manual_seed(3)
        b = aug(x)
        c = aug(x)
        assert torch.equal(a, b) and not torch.equal(b, c)
        g1, g2 = torch.Generator().manual_seed(7), torch.Generator().manual_seed(7)
        assert torch.equal(aug(x, generator=g1), aug(x, generator=g2))


def test_images_are_augmented_independently():
    x = _images(1, 3, size=32).expand(32, -1, -1, -1).contiguous()
    torch.manual_seed(2)
    for name, aug in _augmenters():
        y = aug(x)
        distinct = {tuple(v.flatten().tolist()) for v in y}
        assert len(distinct) >= 20, name  # same input, per-image parameters -> mostly different (81 shifts)


# ------------------------------------------------------------------------------------------ DiffAugment

def test_translation_shifts_by_at_most_an_eighth_and_pads_with_zero():
    n, size = 256, 32
    x = torch.zeros(n, 3, size, size)
    x[:, 0, 16, 20] = 1.0  # channel 0: one bright pixel
    x[:, 1] = 1.0  # channel 1: all ones -> shows the padding
    x[:, 2] = torch.arange(size * size, dtype=torch.float32).view(size, size) / 1000  # channel 2: a ramp
    torch.manual_seed(0)
    y = diff_augment(x, "translation")
    flat = y[:, 0].flatten(1)
    assert torch.equal(flat.max(1).values, torch.ones(n))  # the pixel never leaves the image
    pos = flat.argmax(1)
    dy, dx = pos // size - 16, pos % size - 20
    assert dy.abs().max() <= size // 8 and dx.abs().max() <= size // 8
    assert set(dy.tolist()) == set(dx.tolist()) == set(range(-4, 5))  # every shift occurs, (0, 0) is not the rule
    for i in range(n):
        sy, sx = int(dy[i]), int(dx[i])
        ones = torch.zeros(size + 2 * 4, size + 2 * 4)
        ones[4 + sy: 4 + sy + size, 4 + sx: 4 + sx + size] = 1.0
        assert torch.equal(y[i, 1], ones[4:-4, 4:-4]), i  # zero (not edge/reflect) padding
        ramp = F.pad(x[i, 2], (4, 4, 4, 4))  # same shift of arbitrary content, by slicing
        assert torch.equal(y[i, 2], ramp[4 - sy: 4 - sy + size, 4 - sx: 4 - sx + size]), i


def test_translation_never_exceeds_an_eighth_on_sizes_not_divisible_by_8():
    x = torch.zeros(512, 1, 28, 28)
    x[:, 0, 14, 14] = 1.0
    pos = diff_augment(x, "translation").flatten(1).argmax(1)
    d = torch.stack([pos // 28 - 14, pos % 28 - 14])
    assert d.abs().max() == 3  # floor(28 / 8); rounding would allow 4 > 3.5


def test_translate_op_reflect_padding_matches_torch_pad():
    x = _images(3, 2, size=8)
    dx, dy = torch.tensor([2, -1, 0]), torch.tensor([-2, 1, 1])
    y = ops.translate(x, dx, dy, padding="reflect")
    for i in range(3):
        big = F.pad(x[i: i + 1], (2, 2, 2, 2), mode="reflect")[0]
        sy, sx = int(dy[i]), int(dx[i])
        assert torch.equal(y[i], big[:, 2 - sy: 2 - sy + 8, 2 - sx: 2 - sx + 8])


@pytest.mark.parametrize("size", [32, 28, 15])
def test_cutout_zeroes_one_half_size_square_per_image_clipped_at_borders(size):
    n, cut = 256, (size + 1) // 2
    torch.manual_seed(1)
    y = diff_augment(torch.ones(n, 3, size, size), "cutout")
    assert ((y == 0) | (y == 1)).all()
    zero = y == 0
    assert torch.equal(zero, zero[:, :1].expand_as(zero))  # same square in every channel
    full = 0
    for i in range(n):
        z = zero[i, 0]
        rows, cols = z.any(1).nonzero().flatten(), z.any(0).nonzero().flatten()
        assert len(rows) and len(cols)
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        assert z[r0:r1, c0:c1].all() and z.sum() == (r1 - r0) * (c1 - c0)  # exactly one solid rectangle
        for lo, hi in ((r0, r1), (c0, c1)):
            assert cut // 2 <= hi - lo <= cut
            if lo > 0 and hi < size:
                assert hi - lo == cut  # only clipped where it touches a border
        full += (r1 - r0) * (c1 - c0) == cut * cut
    assert full > n // 8


def test_color_changes_mean_and_spread_within_the_paper_ranges():
    n = 512
    x = _images(n, 3, size=8, seed=2)
    torch.manual_seed(4)
    y = diff_augment(x, "color").double()
    x = x.double()

    def split(v):  # per-image mean, grey (per-pixel channel mean) deviations, chroma deviations
        pm = v.mean(1, keepdim=True)
        m = v.mean((1, 2, 3), keepdim=True)
        return m.flatten(), (pm - m).flatten(1), (v - pm).flatten(1)

    (mx, gx, cx), (my, gy, cy) = split(x), split(y)
    b = my - mx  # brightness: contrast and saturation keep the image mean
    c = gy.norm(dim=1) / gx.norm(dim=1)  # contrast scales the grey deviations
    s = cy.norm(dim=1) / cx.norm(dim=1) / c  # saturation x contrast scales the chroma
    assert torch.allclose(gy, c[:, None] * gx, atol=1e-5) and torch.allclose(cy, (c * s)[:, None] * cx, atol=1e-5)
    eps = 1e-5
    for v, lo, hi in ((b, -0.5, 0.5), (c, 0.5, 1.5), (s, 0.0, 2.0)):
        assert v.min() >= lo - eps and v.max() <= hi + eps
        span = hi - lo
        assert v.min() < lo + 0.05 * span and v.max() > hi - 0.05 * span  # the whole range is used
        assert abs(v.mean() - (lo + hi) / 2) < 0.05 * span  # uniform: centred


def test_color_on_grey_images_is_brightness_and_contrast_only():
    x = _images(256, 1, size=8, seed=3).double()
    torch.manual_seed(5)
    y = diff_augment(x.float(), "color").double()
    b = y.mean((1, 2, 3)) - x.mean((1, 2, 3))
    c = y.std(dim=(1, 2, 3)) / x.std(dim=(1, 2, 3))
    assert b.abs().max() <= 0.5 + 1e-5 and b.abs().max() > 0.45
    assert c.min() >= 0.5 - 1e-5 and c.max() <= 1.5 + 1e-5 and c.min() < 0.55 and c.max() > 1.45


def test_parse_policy_and_module():
    assert parse_policy("color,translation,cutout") == ("color", "translation", "cutout")
    assert parse_policy(" Cutout , color") == ("cutout", "color")
    assert set(DIFFAUGMENT_POLICIES) == {"color", "translation", "cutout"}
    with pytest.raises(GankitError) as err:
        parse_policy("colour")
    msg = str(err.value)
    assert "\n" not in msg and "'colour'" in msg and all(name in msg for name in DIFFAUGMENT_POLICIES)
    for bad in ("", "color,,cutout", "color,"):
        with pytest.raises(GankitError, match="color, translation, cutout"):
            parse_policy(bad)
    with pytest.raises(GankitError):
        DiffAugment("color,flip")
    aug = DiffAugment("translation").eval()
    x = _images(32, 1)
    assert not torch.equal(aug(x), x)  # eval mode augments too: the caller decides
    assert len(list(aug.parameters())) == 0 and len(aug.state_dict()) == 0
    with pytest.raises(GankitError):
        aug(torch.zeros(4, 16))


# ------------------------------------------------------------------------------------------ ADA

def test_ada_p0_is_identity_and_p1_changes_every_image():
    ada = AdaptiveAugment()
    assert float(ada.p) == 0.0
    x = _images(64, 3)
    assert ada(x) is x
    ada.p.fill_(1.0)
    for c in (1, 3):
        x = _images(64, c)
        y = ada(x)
        assert (y != x).flatten(1).any(1).all()


def test_ada_applies_each_transform_with_probability_p():
    # C=1: flip, rotation, translation, brightness, contrast; an image comes out bit-identical only if none was
    # chosen, or translation was chosen but drew a (0, 0) shift (8x8: shifts -1..1). A chosen flip or rotation
    # always changes the image (k in 1..3), so this also fails if those drew identities too.
    n, p = 16384, 0.3
    torch.manual_seed(6)
    y = _ada(p)(x := _images(n, 1, size=8))
    unchanged = (y == x).flatten(1).all(1).double().mean().item()
    expected = (1 - p) ** 4 * ((1 - p) + p / 9)
    assert abs(unchanged - expected) < 4 * math.sqrt(expected * (1 - expected) / n)


def test_ada_color_distributions():
    # A +-0.5 checkerboard: flips, quarter turns and reflect-padded shifts keep it a +-0.5 checkerboard, so after
    # brightness b and contrast c the image is b + c * (+-0.5): mean b, std 0.5 c.
    n = 4096
    board = (torch.arange(8).view(8, 1) + torch.arange(8).view(1, 8)).remainder(2).float() - 0.5
    torch.manual_seed(7)
    y = _ada(1.0)(board.expand(n, 1, 8, 8)).double()
    b = y.mean((1, 2, 3))
    log_c = torch.log(y.std(dim=(1, 2, 3), correction=0) / 0.5)
    assert abs(b.std() - 0.2) < 0.01 and abs(b.mean()) < 0.01
    assert abs(log_c.std() - 0.5 * math.log(2)) < 0.02 and abs(log_c.mean()) < 0.02
    # constant chroma, zero mean: contrast and saturation both scale it, log-ratio ~ N(0, (0.5 ln2)^2 + (ln2)^2)
    rgb = torch.tensor([0.3, -0.3, 0.0]).view(1, 3, 1, 1).expand(n, 3, 8, 8)
    y = _ada(1.0)(rgb).double()
    z = y - y.mean((1, 2, 3), keepdim=True)  # remove brightness
    log_r = torch.log(z.flatten(1).norm(dim=1) / rgb[0].double().norm())
    assert abs(log_r.std() - math.log(2) * math.sqrt(1.25)) < 0.04 and abs(log_r.mean()) < 0.04
    assert torch.equal(_ada(1.0)(torch.full((8, 1, 8, 8), 0.25)).std(dim=(1, 2, 3)), torch.zeros(8))  # grey: no-op


def test_ada_observe_moves_p_by_images_over_kimg():
    ada = AdaptiveAugment(target=0.6, kimg=1, interval=4)
    pos = torch.full((64, 1), 2.5)
    for _ in range(3):
        ada.observe(pos)
    assert float(ada.p) == 0.0  # nothing before the interval is complete
    ada.observe(pos)
    assert float(ada.p) == pytest.approx(256 / 1000) and float(ada.rt) == 1.0
    for _ in range(4):
        ada.observe(pos)
    assert float(ada.p) == pytest.approx(512 / 1000)
    # r_t below the target: down again by the same amount; mixed signs give r_t = their mean
    mixed = torch.cat([torch.ones(32), -torch.ones(32)])
    for _ in range(4):
        ada.observe(mixed)
    assert float(ada.rt) == pytest.approx(0.0) and float(ada.p) == pytest.approx(256 / 1000)
    s = ada.stats()
    assert set(s) == {"ada_p", "ada_rt"} and all(isinstance(v, torch.Tensor) and not v.requires_grad
                                                  for v in s.values())
    assert float(s["ada_p"]) == pytest.approx(0.256)
    s["ada_p"].fill_(9.0)
    assert float(ada.p) == pytest.approx(0.256)  # stats are copies
    # a D with several outputs per image: r_t over all outputs, p moves per image (16 images x 4 calls)
    patch = AdaptiveAugment(kimg=1)
    for _ in range(4):
        patch.observe(torch.tensor([1.0, 1.0, 1.0, -1.0]).repeat(16, 1))
    assert float(patch.rt) == pytest.approx(0.5) and float(patch.p) == 0.0
    for _ in range(4):
        patch.observe(torch.ones(16, 4))
    assert float(patch.p) == pytest.approx(64 / 1000)
    # D unsure of the reals: p stays clamped at 0; D overconfident for long: clamped at 1
    low = AdaptiveAugment(kimg=1)
    for _ in range(40):
        low.observe(-torch.ones(64))
    assert float(low.p) == 0.0 and float(low.rt) == -1.0
    high = AdaptiveAugment(kimg=1)
    for _ in range(80):
        high.observe(torch.ones(64, 1).bfloat16())
    assert float(high.p) == 1.0


def test_ada_state_survives_state_dict_round_trip():
    ada = AdaptiveAugment(kimg=1)
    for _ in range(6):  # one update and half an interval
        ada.observe(torch.ones(64))
    state = ada.state_dict()
    fresh = AdaptiveAugment(kimg=1)
    fresh.load_state_dict(state)
    assert float(fresh.p) == pytest.approx(0.256) and float(fresh.rt) == 1.0
    for a in (ada, fresh):
        for _ in range(2):  # completes the interval started before saving
            a.observe(torch.ones(64))
    assert float(fresh.p) == float(ada.p) == pytest.approx(0.512)


def test_ada_validates_arguments():
    for kw in ({"target": 0.0}, {"target": 1.0}, {"target": "0.6"}, {"kimg": 0}, {"kimg": -5},
               {"interval": 0}, {"interval": 2.5}):
        with pytest.raises(GankitError):
            AdaptiveAugment(**kw)
    AdaptiveAugment(target=0.5, kimg=0.5, interval=1)
    with pytest.raises(GankitError, match="square"):
        _ada(1.0)(torch.zeros(2, 1, 8, 16))
