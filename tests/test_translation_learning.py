"""Each translation model learns its built-in task: after a short CPU run it beats its untrained self
on the test split (and SRGAN beats bicubic upsampling on PSNR). Thresholds from measured runs
(seed 0, one thread, this suite's settings; the figures are in each test's comment), with margin."""

import pytest
import torch

import gankit
from gankit.models import build_game
from gankit.translation_eval import evaluate_translation

N_TEST = 500


def _scores(run) -> tuple[dict, dict, dict]:
    """(trained, untrained, baseline) metrics on N_TEST test inputs; untrained = the run's nets at step 0."""
    trained = evaluate_translation(run, n=N_TEST, write=False)
    torch.manual_seed(run.config.seed)  # the same initial weights the run started from
    fresh = build_game(run.config, run.spec).eval()
    untrained = evaluate_translation(run, n=N_TEST, write=False, sampler=fresh.sampler())
    return trained["metrics"], untrained["metrics"], trained["baseline"]


def _train(tmp_path, **kw):
    # fp32: the thresholds were measured in fp32 (auto picks bf16 where the CPU has it, and srgan then ties bicubic)
    return gankit.train(seed=0, quiet=True, out=tmp_path / "run", checkpoint_every=10**6, sample_every=10**6,
                        log_every=50, precision="fp32", **kw)


def test_pix2pix_learns_edges2fashion(tmp_path, one_thread):
    # measured: PSNR 7.8 -> 14.4 dB, classifier accuracy on outputs 0.09 -> 0.38 (the edges themselves: 6.5 dB,
    # 0.18), FID 1673 -> 217 (edges: 621)
    run = _train(tmp_path, model="pix2pix", dataset="edges2fashion", steps=200, batch_size=16, width=16)
    after, before, baseline = _scores(run)
    assert after["psnr"] > 13.0 and after["psnr"] > before["psnr"] + 4
    assert after["class_acc"] > 0.3 and after["class_acc"] > baseline["class_acc"] + 0.1
    assert after["fid"] < 0.5 * baseline["fid"]


def test_srgan_beats_bicubic_on_fashion_sr(tmp_path, one_thread):
    # measured (x4, 7 -> 28 px): PSNR 9.3 untrained, 15.79 bicubic, 16.19 srgan (200 MSE warm-start steps + 100
    # GAN steps; the warm start alone reached 17.2 at 300 steps); FID 1197 untrained, 191 bicubic, 36 srgan.
    # lr 1e-3: at the paper's 1e-4, 200 steps stay below bicubic (12.7 dB)
    run = _train(tmp_path, model="srgan", dataset="fashion-sr", steps=300, batch_size=16, width=16, lr_g=1e-3,
                 lr_d=1e-3, params={"blocks": 4, "pretrain_steps": 200})
    after, before, bicubic = _scores(run)
    # fp32 margin over bicubic: +0.40 dB on the AVX2 CI machine, +0.147 on an AVX512-BF16 one
    assert after["psnr"] > bicubic["psnr"] + 0.1 and after["psnr"] > before["psnr"] + 5
    assert after["fid"] < 0.4 * bicubic["fid"]
    assert [r for r in run.metrics() if r["step"] <= 200 and "d_loss" in r] == []  # D waits for the warm start


def test_cyclegan_learns_digits2mnist(tmp_path, one_thread):
    # measured: FID of G(a) vs MNIST 5107 -> 295, labels kept 0.10 -> 0.39 (A -> B) and 0.10 -> 0.75 (B -> A),
    # cycle error 158 -> 16 (0-255). The identity (printed digits taken as MNIST) scores FID 76 and 0.92:
    # 200 steps do not reach it (see docs/translation.md for longer runs)
    run = _train(tmp_path, model="cyclegan", dataset="digits2mnist", steps=200, batch_size=8, width=8,
                 params={"blocks": 3})
    after, before, _ = _scores(run)
    assert after["fid_b"] < 0.15 * before["fid_b"] and after["fid_a"] < 0.15 * before["fid_a"]
    assert after["label_acc_ab"] > 0.25 and after["label_acc_ba"] > 0.5
    assert after["cycle_a"] < 30 and after["cycle_b"] < 35


def test_discogan_learns_digits2mnist(tmp_path, one_thread):
    # measured: FID of G(a) vs MNIST 4813 -> 507, of F(b) vs printed 4694 -> 303, reconstruction error
    # 120 -> 32 (0-255), labels kept B -> A 0.10 -> 0.36 (A -> B only 0.13: DiscoGAN's weaker tie to its input)
    run = _train(tmp_path, model="discogan", dataset="digits2mnist", steps=300, batch_size=16, width=16)
    after, before, _ = _scores(run)
    assert after["fid_b"] < 0.2 * before["fid_b"] and after["fid_a"] < 0.2 * before["fid_a"]
    assert after["cycle_a"] < 0.4 * before["cycle_a"] and after["cycle_b"] < 0.4 * before["cycle_b"]
    assert after["label_acc_ba"] > 0.25
