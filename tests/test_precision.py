"""--precision: fp32 and bf16 both train on the CPU, auto resolves by the hardware, and the
resolved choice with its reason is written to the run's config.yaml."""

import math

import pytest
import torch
import yaml

import gankit
from gankit import precision as precision_mod
from gankit.cli import main
from gankit.errors import GankitError
from gankit.precision import resolve_precision

CPU = torch.device("cpu")


def _tiny(fashion_small):
    return dict(model="dcgan", dataset="fashion-mnist", batch_size=32, width=8, steps=6, log_every=3, seed=0,
                quiet=True, data=fashion_small.subset(256, seed=2), diagnostics=False)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_works_on_cpu_in_each_precision(tmp_path, fashion_small, precision):
    run = gankit.train(out=tmp_path / precision, precision=precision, device="cpu", **_tiny(fashion_small))
    records = run.metrics()
    assert [r["step"] for r in records] == [3, 6]
    assert all(math.isfinite(r[k]) for r in records for k in ("d_loss", "g_loss", "d_real", "d_fake"))
    runtime = yaml.safe_load((tmp_path / precision / "config.yaml").read_text())["runtime"]
    assert runtime["precision"] == precision and runtime["precision_reason"] == "requested"
    images = gankit.load_run(tmp_path / precision).sample(4, seed=0)
    assert images.dtype == torch.uint8 and images.shape == (4, 1, 28, 28)


def test_bf16_really_runs_the_nets_in_bf16(fashion_small):
    """Guard: autocast is on in the D and G updates (conv outputs in bf16), not silently fp32."""
    from gankit.nets.dcgan import DCGANDiscriminator

    D = DCGANDiscriminator(width=8)
    seen = []
    D.body[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    with resolve_precision("bf16", CPU).autocast(CPU):
        D(torch.zeros(2, 1, 28, 28))
    assert seen == [torch.bfloat16]


def test_auto_is_the_default_and_is_recorded_with_its_reason(tmp_path, fashion_small):
    from gankit.config import TrainConfig

    assert TrainConfig().precision == "auto"
    gankit.train(out=tmp_path / "auto", device="cpu", **_tiny(fashion_small))
    doc = yaml.safe_load((tmp_path / "auto" / "config.yaml").read_text())
    expected = "bf16" if precision_mod.cpu_has_fast_bf16() else "fp32"
    assert doc["train"]["precision"] == "auto"
    assert doc["runtime"]["precision"] == expected
    assert doc["runtime"]["precision_reason"].startswith("auto:")


def test_cli_precision_flag_is_recorded(tmp_path, fashion_small, monkeypatch):
    # the CLI loads the dataset itself: pass a folder-free dataset by patching the loader to the small subset
    import gankit.api as api

    monkeypatch.setattr(api, "get_dataset", lambda *a, **k: fashion_small.subset(256, seed=2))
    out = tmp_path / "cli"
    assert main(["train", "--model", "dcgan", "--width", "8", "--steps", "2", "--batch-size", "32",
                 "--precision", "fp32", "--device", "cpu", "--out", str(out), "--quiet", "--no-diagnostics"]) == 0
    runtime = yaml.safe_load((out / "config.yaml").read_text())["runtime"]
    assert runtime["precision"] == "fp32"


@pytest.mark.parametrize("fast, expected", [(True, "bf16"), (False, "fp32")])
def test_auto_on_cpu_follows_the_bf16_units(monkeypatch, fast, expected):
    monkeypatch.setattr(precision_mod, "cpu_has_fast_bf16", lambda: fast)
    p = resolve_precision("auto", CPU)
    assert p.name == expected and p.reason.startswith("auto:")


def test_fp16_on_cpu_is_a_one_line_error():
    with pytest.raises(GankitError, match="fp16 needs a CUDA device"):
        resolve_precision("fp16", CPU)
