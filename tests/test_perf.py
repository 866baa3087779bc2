"""gankit.perf and `gankit bench`: FLOP counting, the step benchmark, --compile/--channels-last."""

import json

import pytest
import torch

import gankit
from gankit.cli import main
from gankit.perf import bench_model, count_flops, matmul_peak


def test_count_flops_of_a_matmul_is_2mnk():
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    assert count_flops(lambda: a @ b) == 2 * 8 * 16 * 4


def test_count_flops_works_inside_autograd_grad_and_counts_the_penalty():
    """A gradient penalty differentiates D with ``autograd.grad``; torch's per-module counter hooks raised there
    (wgan-gp and dragan could not be benchmarked). The total is the same as torch's own counter where that works."""
    from torch.utils.flop_counter import FlopCounterMode

    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.Tanh(), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 1))
    x = torch.randn(2, 1, 8, 8, requires_grad=True)
    with FlopCounterMode(display=False) as torch_counter:
        net(x).sum().backward()
    plain = count_flops(lambda: net(x).sum().backward())
    assert plain == torch_counter.get_total_flops()

    def penalized():
        grad, = torch.autograd.grad(net(x).sum(), x, create_graph=True)
        grad.pow(2).sum().backward()

    assert count_flops(penalized) > plain


def test_matmul_peak_is_a_positive_rate():
    assert matmul_peak("fp32", "cpu", sizes=(64,), repeats=1) > 0


def test_bench_model_reports_consistent_figures(fashion_small):
    r = bench_model("dcgan", batch_size=16, steps=2, warmup=1, chunk=1, precision="fp32", device="cpu",
                    data=fashion_small.subset(128, seed=0), width=8, peak=False)
    assert r.ms_per_step > 0 and r.flops_per_step > 0
    assert r.images_per_s == pytest.approx(1000 * 16 / r.ms_per_step)
    assert r.gflops_per_s == pytest.approx(r.flops_per_step / r.ms_per_step / 1e6)
    assert r.precision == "fp32" and r.compile_s is None
    assert any("share of peak" in line for line in r.lines())


def test_g_update_skips_d_weight_gradients(tmp_path, fashion_small):
    """The engine freezes D's weights in the G update: a step costs fewer FLOPs than with them live."""
    from gankit.perf.bench import bench_trainer
    from gankit.config import TrainConfig
    from gankit.models import resolve
    from gankit.precision import resolve_precision

    data = fashion_small.subset(64, seed=0)
    cfg = resolve(TrainConfig(model="dcgan", batch_size=16, width=8, precision="fp32"), data.spec)
    cpu = torch.device("cpu")
    trainer = bench_trainer(cfg, data, cpu, resolve_precision("fp32", cpu), tmp_path)
    frozen = count_flops(lambda: trainer.step())
    trainer.freeze_untrained = False  # what the step would cost without the freeze
    live = count_flops(lambda: trainer.step())
    assert frozen < live
    trainer.freeze_untrained = True
    trainer.step()
    assert all(p.requires_grad for p in trainer.game.parameters())  # unfrozen again after the step


def test_gankit_bench_cli_prints_json(capsys, fashion_small, monkeypatch):
    import gankit.perf.bench as bench

    monkeypatch.setattr(bench, "get_dataset", lambda *a, **k: fashion_small.subset(128, seed=0))
    monkeypatch.setattr(bench, "matmul_peak", lambda *a, **k: 100.0)
    assert main(["bench", "--model", "dcgan", "--width", "8", "--batch-size", "16", "--steps", "2",
                 "--warmup", "1", "--precision", "bf16", "--device", "cpu", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["precision"] == "bf16" and out["batch_size"] == 16 and out["flops_per_step"] > 0
    assert out["peak_share"] == pytest.approx(out["gflops_per_s"] / 100.0)


def test_channels_last_trains(tmp_path, fashion_small):
    run = gankit.train(out=tmp_path / "cl", model="dcgan", width=8, batch_size=16, steps=3, log_every=3,
                       precision="fp32", device="cpu", channels_last=True, quiet=True, diagnostics=False,
                       data=fashion_small.subset(64, seed=0))
    assert run.metrics()[-1]["step"] == 3


@pytest.mark.slow
def test_compile_trains_and_reports_compile_time(tmp_path, fashion_small):
    run = gankit.train(out=tmp_path / "c", model="dcgan", width=8, batch_size=16, steps=4, log_every=2,
                       precision="fp32", device="cpu", compile=True, quiet=True, diagnostics=False,
                       data=fashion_small.subset(64, seed=0))
    records = run.metrics()
    assert records[0]["compile_s"] > 0 and "compile_s" not in records[-1]
