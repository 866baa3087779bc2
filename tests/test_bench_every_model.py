"""`gankit bench` runs for every registered model (issue 20: the FLOP counter crashed inside the
gradient penalty's ``autograd.grad`` for wgan-gp and dragan)."""

import json

import pytest

from gankit.cli import main
from gankit.models import MODELS

#: the data each family trains on; the image zoo takes Fashion-MNIST
DATASET = {"text2image": "fashion-captions", "pix2pix": "edges2fashion", "cyclegan": "digits2mnist",
           "discogan": "digits2mnist", "srgan": "fashion-sr", "wavegan": "spoken-digits", "gansynth": "notes",
           "mle-lm": "words", "seqgan": "words", "maskgan": "words"}
#: and what else a family needs from the command line
EXTRA = {"biggan": ["--image-size", "32"], "progan": ["--image-size", "32"], "stylegan": ["--image-size", "32"],
         "wavegan": ["--param", "d=2"], "gansynth": ["--param", "w=2"],
         "ssgan": ["--labels-per-class", "10"]}


def test_every_model_has_a_bench_dataset():
    assert set(DATASET) <= set(MODELS) and set(EXTRA) <= set(MODELS)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_gankit_bench_runs_every_model(model, capsys, monkeypatch):
    from gankit.perf import bench

    monkeypatch.setattr(bench, "matmul_peak", lambda *a, **k: 100.0)  # the peak is not what is tested
    rc = main(["bench", "--model", model, "--dataset", DATASET.get(model, "fashion-mnist"), "--batch-size", "4",
               "--steps", "1", "--warmup", "1", "--precision", "fp32", "--device", "cpu", "--json", "--threads", "1", *EXTRA.get(model, [])])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    out = json.loads(captured.out)
    assert out["model"] == model and out["ms_per_step"] > 0
    assert out["flops_per_step"] > 0, "every family runs convolutions or matmuls the counter sees"
