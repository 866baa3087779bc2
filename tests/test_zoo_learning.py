"""Each zoo model learns ring8 (MLP nets, CPU, a small fixed budget).

Criteria (thresholds set from measured runs, see the comments at each budget):
- unconditional models: the energy distance of 2000 samples to held-out data is a small
  fraction of the untrained generator's;
- cgan, acgan: samples asked for mode k land (within 3 std) in mode k >= 90% of the time;
- infogan: the categorical code, learned without labels, predicts the mode (purity) far above
  chance (1/8);
- began: k_t stays in [0, 1] and the convergence measure M decreases; it learns on images (Fashion-MNIST),
  not on ring8 (see tests/test_learning.py).
"""

import pytest
import torch

import gankit
from gankit.data import get_dataset, mode_coverage

HELD_OUT = get_dataset("ring8", "test").data[:2000]


def energy_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Székely's energy distance 2E|a-b| - E|a-a'| - E|b-b'| (0 iff the distributions match)."""
    a, b = a.double(), b.double()
    return float(2 * torch.cdist(a, b).mean() - torch.cdist(a, a).mean() - torch.cdist(b, b).mean())


def energy_to_data(run, n: int = 2000) -> float:
    return energy_distance(run.sample(n, seed=1), HELD_OUT)


_CACHE: dict = {}


def train(tmp_path, model, steps, **kw):
    """Train (or reuse, within this module) a ring8 run: the infogan tests share one run."""
    key = (model, steps, tuple(sorted(kw.items())))
    if key not in _CACHE:
        # fp32: thresholds were measured in fp32, and --precision auto picks bf16 on some CPUs only
        budget = dict(model=model, dataset="ring8", batch_size=256, seed=0, quiet=True, log_every=50, precision="fp32",
                      sample_every=10**6, checkpoint_every=10**6)
        budget.update(kw)
        _CACHE[key] = gankit.train(out=tmp_path / f"{model}-{steps}", steps=steps, **budget)
    return _CACHE[key]


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


# WGAN-GP is slow and erratic on ring8's sharp modes (its critic is 1-Lipschitz, so its pull is gentle). Measured
# energy ratios, fp32: betas (0, 0.9) (Algorithm 1): seed 0 0.41/0.30/0.33 after 1000/2000/3000 steps, seed 1
# 0.20/0.95/0.37; betas (0.5, 0.9) (now the 2D default): seed 0 0.45/0.18/0.23, seed 1 0.23/0.03/0.02.
# Since the Game engine (5 Dec 2026, 1 thread, same budget): seed 0 2.40/0.58/0.051/0.028 after 1000/1500/2000/2500
# steps, so 2000 is still the shortest budget this test can use.
WGAN_GP_BUDGET = (2000, 0.35)
# The penalty smooths D over ~0.7 around each point (0.5 * batch std), blurring the 0.02-std modes:
# measured 0.19 and 0.188 (seed 0, fp32, two runs), 0.25 (seed 1); 0.14 after 2000 steps.
DRAGAN_BUDGET = (1000, 0.4)

# model -> (G steps, largest allowed energy distance as a fraction of the untrained generator's ~1.43).
# GAN trajectories are chaotic: the same seed gave different ratios in fp32 and in bf16 (e.g. lsgan 0.025
# vs 0.101), so the runs are pinned to fp32 and each threshold covers every ratio measured (listed), with a margin.
UNCONDITIONAL = {
    "gan": (1000, 0.15),       # 0.036; 0.02-0.04 after 2000 steps (seeds 0, 1)
    "lsgan": (1000, 0.25),     # 0.025, 0.101; 0.018-0.029 after 2000 steps
    "wgan": (600, 0.15),       # 0.036 with the critic warm-up (0.031 without; 0.021 after 1500 steps)
    "wgan-gp": WGAN_GP_BUDGET,
    "dragan": DRAGAN_BUDGET,
    "ebgan": (1000, 0.15),     # 0.032; 0.025-0.040 after 2000 steps
    "infogan": (1000, 0.25),   # 0.100; 0.084-0.10 after 1500 steps
}


@pytest.mark.parametrize("model", list(UNCONDITIONAL))
def test_unconditional_model_learns_ring8(tmp_path, model):
    steps, fraction = UNCONDITIONAL[model]
    e0 = energy_to_data(train(tmp_path, model, 1))
    e1 = energy_to_data(train(tmp_path, model, steps))
    print(f"{model}: energy distance untrained {e0:.4f} -> {e1:.4f} after {steps} steps ({e1 / e0:.3f})")
    assert e1 < fraction * e0, (e0, e1)


@pytest.mark.parametrize("model", ["cgan", "acgan"])
def test_conditional_samples_land_in_the_requested_mode(tmp_path, model):
    run = train(tmp_path, model, 1000)
    labels = torch.arange(2000) % 8
    m = mode_coverage(run.sample(2000, seed=1, labels=labels), run.spec)
    hit = float((m["nearest_mode"] == labels).float().mean())
    print(f"{model}: {hit:.3f} of samples in the requested mode, {m['high_quality']:.3f} within 3 std")
    assert hit >= 0.9, hit


def test_infogan_code_finds_the_modes_without_labels(tmp_path):
    run = train(tmp_path, "infogan", 1000)
    latent = run.latent
    z, c, u = latent.sample_parts(4000, "cpu", torch.Generator().manual_seed(3))
    with torch.no_grad():
        x = run.generator(latent.join(z, c, u), None)
    mode = mode_coverage(x, run.spec)["nearest_mode"]
    # purity: share of samples whose mode is the majority mode of their code value (chance ~ 1/8)
    purity = sum(int(torch.bincount(mode[c == k], minlength=8).max()) for k in range(latent.n_cat)) / len(c)
    print(f"infogan: code purity {purity:.3f}")
    assert purity > 0.7, purity


def test_began_k_stays_in_unit_interval_and_m_decreases(tmp_path):
    records = train(tmp_path, "began", 1000, log_every=25).metrics()
    k = torch.tensor([r["k_t"] for r in records])
    M = torch.tensor([r["M"] for r in records])
    assert len(records) == 40
    assert (k >= 0).all() and (k <= 1).all() and k.max() > 0  # the controller moved, within its bounds
    early, late = M[:8].mean(), M[-8:].mean()
    print(f"began: M {early:.3f} (first 200 steps) -> {late:.3f} (last 200 steps)")
    assert late < 0.9 * early, (early, late)  # measured 0.101 -> 0.075 (seed 0)

