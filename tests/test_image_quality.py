"""Paired-translation metrics (PSNR, SSIM, L1, bicubic baseline) by known answers and against
scikit-image, and the shipped mnist5k digit classifier behind label preservation."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gankit.metrics.image_quality import (PSNR_CAP, bicubic_upsample, l1, label_accuracy, label_predictions, psnr,
                                          psnr_per_image, rgb_to_y, ssim, ssim_per_image)

skmetrics = pytest.importorskip("skimage.metrics")


def _rand(shape, lo=0, hi=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(lo, hi, shape, generator=g, dtype=torch.int64).to(torch.uint8)


def _structured(n=3, c=1, size=40, seed=0):
    """Smooth gradients, a bright square and a disc, plus mild noise: SSIM's structure terms matter."""
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float64), torch.arange(size, dtype=torch.float64),
                            indexing="ij")
    out = []
    for i in range(n):
        img = []
        for ch in range(c):
            base = 40 + 120 * (xx / size) * (1 + 0.3 * ch) + 50 * torch.sin(yy / (3 + i + ch))
            base[5 + i:15 + i, 8:20] = 220 - 30 * ch
            base[((yy - 28) ** 2 + (xx - 26 + i) ** 2) < 36] = 10 + 20 * ch
            img.append(base + 8 * torch.randn(size, size, generator=g, dtype=torch.float64))
        out.append(torch.stack(img))
    return torch.stack(out).round().clamp(0, 255).to(torch.uint8)


def _degrade(x, seed=1, noise=20.0):
    g = torch.Generator().manual_seed(seed)
    blurred = F.avg_pool2d(x.double(), 3, 1, 1, count_include_pad=False)
    noisy = blurred + noise * torch.randn(x.shape, generator=g, dtype=torch.float64)
    return noisy.round().clamp(0, 255).to(torch.uint8)


def _sk_ssim(a, b, **kw):
    return skmetrics.structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                           data_range=255, **kw)


# ---------------------------------------------------------------- Y channel (BT.601, MATLAB rgb2ycbcr)

@pytest.mark.parametrize("rgb,y", [((0, 0, 0), 16.0), ((255, 255, 255), 235.0), ((255, 0, 0), 81.481),
                                   ((0, 255, 0), 144.553), ((0, 0, 255), 40.966)])
def test_y_channel_matches_bt601_known_values(rgb, y):
    img = torch.tensor(rgb, dtype=torch.uint8).view(1, 3, 1, 1).expand(1, 3, 2, 2)
    out = rgb_to_y(img)
    assert out.shape == (1, 1, 2, 2)
    assert torch.allclose(out, torch.full_like(out, y), atol=1e-9)


# ---------------------------------------------------------------- PSNR

@pytest.mark.parametrize("d", [1, 5, 17])
def test_psnr_of_a_constant_offset_is_exact(d):
    x = _rand((4, 1, 16, 16), 20, 200)  # no pixel clips at 255
    assert psnr(x, x + d) == pytest.approx(20 * math.log10(255 / d), abs=1e-9)
    rgb = _rand((2, 3, 16, 16), 20, 200)
    assert psnr(rgb, rgb + d, luma=False) == pytest.approx(20 * math.log10(255 / d), abs=1e-9)
    # on Y, an offset d on every channel is an offset d * 219/255 (the Y weights sum to 219)
    assert psnr(rgb, rgb + d) == pytest.approx(20 * math.log10(255 / (d * 219 / 255)), abs=1e-9)


def test_psnr_of_identical_images_is_capped_and_means_stay_finite():
    x = _rand((2, 3, 12, 12))
    assert psnr(x, x) == PSNR_CAP == 100.0
    y = x.clone()
    y[1] = (x[1].int() + 4).clamp(max=255).to(torch.uint8)
    per = psnr_per_image(x, y)
    assert per[0] == PSNR_CAP and math.isfinite(per[1]) and per[1] < 60
    assert psnr(x, y) == pytest.approx((PSNR_CAP + float(per[1])) / 2)


def test_psnr_is_the_mean_of_per_image_psnr_not_of_the_pooled_mse():
    x = torch.full((2, 1, 8, 8), 100, dtype=torch.uint8)
    y = x.clone()
    y[0] += 1
    y[1] += 10
    expected = (20 * math.log10(255 / 1) + 20 * math.log10(255 / 10)) / 2
    assert psnr(x, y) == pytest.approx(expected)
    pooled = 10 * math.log10(255 ** 2 / ((1 + 100) / 2))
    assert abs(psnr(x, y) - pooled) > 1


def test_border_crop_decides_what_is_counted():
    x = _rand((2, 1, 20, 20), 20, 200)
    y = x.clone()
    y[..., :3, :] += 9       # differences only within 3 px of the edge
    y[..., :, -2:] += 9
    assert psnr(x, y) < 40
    assert psnr(x, y, border=3) == PSNR_CAP
    assert psnr(x, y, border=2) < PSNR_CAP  # the top rows' difference reaches 3 px deep
    # an interior difference counts the same with or without the crop, relative to the pixels kept
    z = x.clone()
    z[..., 8:12, 8:12] += 9
    mse_cropped = 16 * 81 / (14 * 14)
    assert psnr(x, z, border=3) == pytest.approx(10 * math.log10(255 ** 2 / mse_cropped))
    with pytest.raises(ValueError):
        psnr(x, y, border=10)


def test_psnr_accepts_floats_on_the_255_scale_and_checks_shapes():
    x = _rand((2, 3, 10, 10))
    assert psnr(x.float(), x.float() + 2.5, luma=False) == pytest.approx(20 * math.log10(255 / 2.5), abs=1e-6)
    with pytest.raises(ValueError):
        psnr(x, x[:, :, :9])
    with pytest.raises(ValueError):
        psnr(_rand((1, 2, 8, 8)), _rand((1, 2, 8, 8)))  # luma needs 1 or 3 channels


# ---------------------------------------------------------------- SSIM

def test_ssim_of_identical_images_is_one():
    for x in (_rand((2, 1, 16, 16)), _structured(2, 3), torch.full((1, 1, 11, 11), 7, dtype=torch.uint8)):
        assert ssim(x, x) == pytest.approx(1.0, abs=1e-12)
        assert ssim(x, x, luma=False) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("kind", ["random", "structured"])
def test_ssim_matches_skimage_on_gray_images(kind):
    x = _rand((3, 1, 32, 36), seed=2) if kind == "random" else _structured(3, 1)
    y = _degrade(x) if kind == "structured" else _rand(x.shape, seed=3)
    ours = ssim_per_image(x, y)
    ref = [_sk_ssim(a[0].numpy(), b[0].numpy()) for a, b in zip(x, y)]
    assert torch.allclose(ours, torch.tensor(ref, dtype=torch.float64), atol=1e-6)
    assert ssim(x, y) == pytest.approx(float(np.mean(ref)), abs=1e-6)
    if kind == "structured":
        assert 0.2 < ssim(x, y) < 0.95  # a meaningful, not a degenerate, comparison


def test_ssim_matches_skimage_per_channel_and_on_y():
    x = _structured(2, 3, seed=4)
    y = _degrade(x, seed=5, noise=12.0)
    per_channel = [_sk_ssim(a.numpy(), b.numpy(), channel_axis=0) for a, b in zip(x, y)]
    assert ssim(x, y, luma=False) == pytest.approx(float(np.mean(per_channel)), abs=1e-6)
    ya, yb = rgb_to_y(x), rgb_to_y(y)
    on_y = [_sk_ssim(a[0].numpy(), b[0].numpy()) for a, b in zip(ya, yb)]
    assert ssim(x, y) == pytest.approx(float(np.mean(on_y)), abs=1e-6)
    # border crop: the same as skimage on the cropped images
    cropped = [_sk_ssim(a[0, 4:-4, 4:-4].numpy(), b[0, 4:-4, 4:-4].numpy()) for a, b in zip(ya, yb)]
    assert ssim(x, y, border=4) == pytest.approx(float(np.mean(cropped)), abs=1e-6)


def test_ssim_orders_degradations_and_rejects_tiny_images():
    x = _structured(2, 1, seed=6)
    assert ssim(x, _degrade(x, noise=5.0)) > ssim(x, _degrade(x, noise=40.0))
    with pytest.raises(ValueError):
        ssim(_rand((1, 1, 10, 10)), _rand((1, 1, 10, 10)))
    with pytest.raises(ValueError):
        ssim(_rand((1, 1, 16, 16)), _rand((1, 1, 16, 16)), border=3)  # 10x10 left


# ---------------------------------------------------------------- L1 and the bicubic baseline

def test_l1_is_in_255_units():
    x = torch.zeros(2, 1, 4, 4, dtype=torch.uint8)
    y = x.clone()
    y[0] = 10
    y[1, :, :2] = 255   # half the pixels of the second image
    assert l1(x, y) == pytest.approx((10 + 127.5) / 2)
    assert l1(x, x) == 0.0


def test_bicubic_upsample_shapes_constants_and_torch_agreement():
    low = _rand((3, 3, 7, 9), seed=7)
    up = bicubic_upsample(low, 4)
    assert up.shape == (3, 3, 28, 36) and up.dtype == torch.uint8
    ref = F.interpolate(low.float(), scale_factor=4, mode="bicubic", align_corners=False)
    assert torch.equal(up, ref.round().clamp(0, 255).to(torch.uint8))
    flat = torch.full((1, 1, 5, 5), 200, dtype=torch.uint8)
    assert torch.equal(bicubic_upsample(flat, 3), torch.full((1, 1, 15, 15), 200, dtype=torch.uint8))
    assert torch.equal(bicubic_upsample(low, 1), low)
    # a sharp edge overshoots (bicubic rings) and the clamp keeps it in range
    edge = torch.zeros(1, 1, 6, 6, dtype=torch.uint8)
    edge[..., 3:] = 255
    assert bicubic_upsample(edge, 2).max() == 255
    with pytest.raises(ValueError):
        bicubic_upsample(low, 1.5)


def test_bicubic_baseline_beats_nearest_on_smooth_images():
    hr = _structured(2, 1, size=48, seed=8)
    hr = F.avg_pool2d(hr.double(), 3, 1, 1, count_include_pad=False).round().to(torch.uint8)
    lr = F.interpolate(hr.float(), scale_factor=0.25, mode="bicubic", antialias=True).round().clamp(0, 255)
    lr = lr.to(torch.uint8)
    nearest = F.interpolate(lr.float(), scale_factor=4, mode="nearest").to(torch.uint8)
    assert psnr(bicubic_upsample(lr, 4), hr, border=4) > psnr(nearest, hr, border=4)


# ---------------------------------------------------------------- the shipped mnist5k classifier

MNIST5K_ACCURACY = 0.97  # the shipped weights' measured test accuracy, at least (the .json records it)


@pytest.fixture(scope="module")
def mnist5k_test():
    from gankit.data import get_dataset

    return get_dataset("mnist5k", "test")


def test_shipped_mnist5k_classifier_resolves_and_is_small():
    from gankit.metrics.weights import PACKAGE_WEIGHTS, find_classifier, load_classifier

    path = find_classifier("mnist5k")
    assert path == PACKAGE_WEIGHTS / "mnist5k-classifier.pt" and path.stat().st_size < 2_000_000
    _, meta, _ = load_classifier("mnist5k")
    assert meta["dataset"] == "mnist5k" and meta["num_classes"] == 10 and meta["channels"] == 1
    assert meta["test_accuracy"] >= MNIST5K_ACCURACY and "gankit features train --dataset mnist5k" in meta["command"]


def test_shipped_mnist5k_classifier_preserves_labels(mnist5k_test):
    from gankit.metrics.weights import load_classifier

    model, meta, _ = load_classifier("mnist5k")
    acc = label_accuracy(mnist5k_test.data, mnist5k_test.labels, "mnist5k")
    assert acc >= meta["test_accuracy"] - 0.01 and acc >= MNIST5K_ACCURACY - 0.01
    # the module itself (no resizing) gives the same predictions as the extractor at 28 px
    assert torch.equal(label_predictions(mnist5k_test.data, model), label_predictions(mnist5k_test.data, "mnist5k"))
    # images that ignore their labels score about chance
    shuffled = mnist5k_test.labels[torch.randperm(len(mnist5k_test), generator=torch.Generator().manual_seed(0))]
    assert label_accuracy(mnist5k_test.data, shuffled, model) < 0.25


def test_features_info_shows_the_mnist5k_weights(capsys):
    from gankit.cli import main

    assert main(["features", "info", "--dataset", "mnist5k"]) == 0
    out = capsys.readouterr().out
    assert "mnist5k classifier" in out and "gankit features train --dataset mnist5k" in out
