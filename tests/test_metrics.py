"""Known-answer tests for the metric functions (features in, numbers out; no networks)."""

import math

import numpy as np
import pytest
import scipy.linalg
import torch

from gankit.metrics import fid, frechet_distance, inception_score, kid, prdc, statistics, swd
from gankit.metrics.conditional import conditional_accuracy
from gankit.metrics.coverage import class_coverage
from gankit.metrics.memorization import memorization


def _gaussian(n, mean, cov, seed):
    g = np.random.default_rng(seed)
    return torch.from_numpy(g.multivariate_normal(mean, cov, size=n))


# -- FID ------------------------------------------------------------------------------------
def test_fid_of_a_set_with_itself_is_zero():
    x = torch.randn(2000, 32, generator=torch.Generator().manual_seed(0))
    assert abs(fid(x, x)) < 1e-6


def test_frechet_distance_closed_form_diagonal():
    # commuting (diagonal) covariances: |mu1-mu2|^2 + sum (sqrt(a) - sqrt(b))^2
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 1.0])
    expected = 1.0 + 0.0 + 4.0 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 1) ** 2
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected, rel=1e-10)


def test_frechet_distance_closed_form_general_covariances():
    rng = np.random.default_rng(1)
    m1, m2 = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    s1, s2 = m1 @ m1.T + 0.1 * np.eye(6), m2 @ m2.T + 0.1 * np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * root)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-8)


def test_fid_of_samples_converges_to_the_closed_form():
    cov1, cov2 = np.diag([1.0, 1.0, 1.0, 1.0]), np.diag([4.0, 1.0, 0.25, 1.0])
    x = _gaussian(40000, [0, 0, 0, 0], cov1, 0)
    y = _gaussian(40000, [1, 0, 0, 0], cov2, 1)
    expected = 1.0 + (1 - 2) ** 2 + 0 + (1 - 0.5) ** 2 + 0
    assert fid(x, y) == pytest.approx(expected, abs=0.05)


def test_fid_equals_torch_fidelity_on_the_same_features():
    from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

    g = torch.Generator().manual_seed(3)
    a = torch.randn(1000, 32, generator=g) * 1.5 + 0.2
    b = torch.randn(1000, 32, generator=g) @ torch.randn(32, 32, generator=g) * 0.3
    ours = fid(a, b)
    theirs = fid_statistics_to_metric(fid_features_to_statistics(a.double()), fid_features_to_statistics(b.double()),
                                      verbose=False)["frechet_inception_distance"]
    assert ours == pytest.approx(theirs, rel=1e-3)
    assert ours > 1.0


def test_statistics_match_numpy():
    x = torch.randn(500, 5, generator=torch.Generator().manual_seed(4))
    s = statistics(x)
    assert np.allclose(s["mu"], x.numpy().mean(0)) and np.allclose(s["sigma"], np.cov(x.numpy(), rowvar=False))


# -- KID ------------------------------------------------------------------------------------
def test_kid_equals_torch_fidelity_on_one_full_subset():
    # with subset size = n, every subset is a permutation of the whole set, so both must agree exactly
    from torch_fidelity.metric_kid import kid_features_to_metric

    g = torch.Generator().manual_seed(5)
    a, b = torch.randn(300, 16, generator=g), torch.randn(300, 16, generator=g) + 0.3
    ours = kid(a, b, subsets=1, subset_size=300)["kid"]
    theirs = kid_features_to_metric(a.double(), b.double(), kid_subsets=1, kid_subset_size=300, verbose=False)
    assert ours == pytest.approx(theirs["kernel_inception_distance_mean"], rel=1e-6)


def test_kid_is_near_zero_for_one_distribution_and_grows_with_a_shift():
    g = torch.Generator().manual_seed(6)
    a, b = torch.randn(1000, 16, generator=g), torch.randn(1000, 16, generator=g)
    same = kid(a, b, subsets=10, subset_size=300)
    shifted = kid(a, b + 0.5, subsets=10, subset_size=300)
    assert abs(same["kid"]) < 3 * same["kid_std"] + 1e-3
    assert shifted["kid"] > 10 * abs(same["kid"]) and shifted["kid"] > 0.01


# -- IS -------------------------------------------------------------------------------------
def test_inception_score_known_answers():
    confident_balanced = 50.0 * torch.eye(10).repeat(100, 1)     # 1000 samples, each class 100 times
    assert inception_score(confident_balanced)["is"] == pytest.approx(10.0, rel=1e-6)
    one_class = 50.0 * torch.eye(10)[[3] * 1000]
    assert inception_score(one_class)["is"] == pytest.approx(1.0, abs=1e-6)
    uniform = torch.zeros(1000, 10)
    assert inception_score(uniform)["is"] == pytest.approx(1.0, abs=1e-9)


def test_inception_score_equals_torch_fidelity():
    from torch_fidelity.metric_isc import isc_features_to_metric

    logits = 3 * torch.randn(2000, 10, generator=torch.Generator().manual_seed(7))
    ours = inception_score(logits, splits=10)
    theirs = isc_features_to_metric(logits, splits=10, shuffle=False)
    assert ours["is"] == pytest.approx(theirs["inception_score_mean"], rel=1e-9)
    assert ours["is_std"] == pytest.approx(theirs["inception_score_std"], rel=1e-6)


# -- precision / recall / density / coverage --------------------------------------------------
def test_prdc_hand_made_point_sets():
    # Worked by hand: reals at 0..7 on a line; four fakes between them and four far away.
    real = torch.arange(8.0)[:, None]
    fake = torch.tensor([0.5, 1.5, 2.5, 3.5, 50, 51, 52, 53])[:, None]
    r = prdc(real, fake, k_pr=3, k_dc=5)
    assert r["precision"] == pytest.approx(0.5)    # the four near fakes lie in real balls
    assert r["recall"] == pytest.approx(0.875)     # real 7 is 3.5 from fake 3.5 (radius 3), 4.5 from 2.5 (radius 2)
    assert r["density"] == pytest.approx(25 / 40)  # real balls containing each fake: 4 + 5 + 8 + 8
    assert r["coverage"] == pytest.approx(1.0)


def test_prdc_identical_sets_and_a_collapsed_generator():
    g = torch.Generator().manual_seed(8)
    real = torch.randn(1000, 8, generator=g)
    same = prdc(real, real.clone())
    assert same["precision"] == 1.0 and same["recall"] == 1.0 and same["coverage"] == 1.0
    collapsed = prdc(real, real[:1].repeat(1000, 1) + 0.01 * torch.randn(1000, 8, generator=g))
    assert collapsed["precision"] == 1.0 and collapsed["recall"] < 0.05 and collapsed["coverage"] < 0.05


# -- SWD ------------------------------------------------------------------------------------
def _smooth_images(n, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.nn.functional.interpolate(torch.rand(n, 1, 7, 7, generator=g), size=(28, 28), mode="bilinear")
    return (x * 255).round().to(torch.uint8)


def test_swd_identical_sets_is_zero_and_grows_with_a_shift():
    images = _smooth_images(32, 0)
    assert swd(images, images.clone())["swd"] == pytest.approx(0.0, abs=1e-9)
    g = torch.Generator().manual_seed(1)
    values = []
    for sigma in (4, 16, 64):
        noisy = (images.float() + sigma * torch.randn(images.shape, generator=g)).clamp(0, 255).to(torch.uint8)
        result = swd(images, noisy, projections=64)
        values.append(result["swd"])
        assert len(result["swd_levels"]) == 2  # 28x28: levels 28 and 14
    assert 0 < values[0] < values[1] < values[2]


# -- coverage, conditional accuracy, memorization ---------------------------------------------
def test_class_coverage_collapsed_and_balanced():
    real = 10.0 * torch.eye(10).repeat(50, 1)
    balanced = class_coverage(real.clone(), real)
    assert balanced["classes_covered"] == 1.0 and balanced["class_kl"] == pytest.approx(0.0, abs=1e-6)
    two = 10.0 * torch.eye(10)[[0, 1] * 250]
    collapsed = class_coverage(two, real)
    assert collapsed["classes_covered"] == pytest.approx(0.2)
    assert collapsed["class_kl"] == pytest.approx(math.log(5), rel=1e-3)  # KL(half/half || uniform of 10)


def test_conditional_accuracy():
    requested = torch.tensor([0, 0, 1, 1, 2, 2, 2, 2])
    predicted = torch.tensor([0, 1, 1, 1, 2, 0, 2, 2])
    r = conditional_accuracy(predicted, requested)
    assert r["cond_acc"] == pytest.approx(6 / 8)
    assert r["cond_acc_per_class"] == {0: 0.5, 1: 1.0, 2: 0.75}


def test_nearest_squared_equals_brute_force_across_tiles():
    """The tiled k-nearest search, with queries and references each larger than one tile, gives the k
    smallest squared distances of a brute-force cdist; a query that is in the reference gets 0."""
    from gankit.metrics.distances import TILE_COLS, TILE_ROWS, nearest_squared

    g = torch.Generator().manual_seed(3)
    ref = torch.randn(2 * TILE_COLS + 37, 8, generator=g)
    queries = torch.cat([torch.randn(TILE_ROWS + 5, 8, generator=g), ref[:3]])
    brute = torch.cdist(queries.double(), ref.double()).pow(2).topk(3, 1, largest=False).values
    for k in (1, 3):
        got = nearest_squared(queries, ref, k)
        assert got.shape == (len(queries), k)
        assert torch.allclose(got.double(), brute[:, :k], atol=1e-4)
    assert nearest_squared(queries, ref)[-3:].abs().max() < 1e-4


def test_memorization_copies_versus_fresh_draws():
    g = torch.Generator().manual_seed(9)
    train = torch.randn(4000, 16, generator=g)
    fresh = torch.randn(1000, 16, generator=g)
    copies = train[:1000] + 1e-4 * torch.randn(1000, 16, generator=g)
    fresh_r = memorization(fresh, train, reference=1000)
    copy_r = memorization(copies, train, reference=1000)
    assert fresh_r["memorized"] < 0.15 and 0.8 < fresh_r["nn_ratio"] < 1.25
    assert copy_r["memorized"] > 0.99 and copy_r["nn_ratio"] < 0.01
