"""--param NAME=VALUE: a recipe's own numbers (gamma, clip, penalty, margin...) reach its objective."""

import pytest
import yaml

import gankit
from gankit.cli import main
from gankit.config import TrainConfig
from gankit.data import get_dataset
from gankit.models import build_game, resolve

RING = get_dataset("ring8")


def objective(model, params=None):
    cfg = resolve(TrainConfig(model=model, dataset="ring8", params=params), RING.spec)
    return cfg, build_game(cfg, RING.spec).objective


def test_paper_values_by_default_and_overrides_on_top():
    cfg, began = objective("began")
    assert cfg.params == {"gamma": 0.75, "lambda_k": 0.001} and (began.gamma, began.lambda_k) == (0.75, 0.001)
    cfg, began = objective("began", {"lambda_k": 0.01})
    assert cfg.params == {"gamma": 0.75, "lambda_k": 0.01} and began.lambda_k == 0.01
    assert objective("wgan", {"clip": 0.05})[1].clip == 0.05
    assert objective("wgan-gp", {"penalty": 1})[1].penalty == 1.0


def test_cli_params_are_recorded_and_merge_over_the_config_file(tmp_path):
    conf = tmp_path / "c.yaml"
    conf.write_text(yaml.safe_dump({"model": "began", "dataset": "ring8", "params": {"gamma": 0.5}}))
    out = tmp_path / "r"
    assert main(["train", "--config", str(conf), "--param", "lambda_k=0.02", "--steps", "2", "--batch-size", "16",
                 "--quiet", "--out", str(out)]) == 0
    assert gankit.load_run(out).config.params == {"gamma": 0.5, "lambda_k": 0.02}


@pytest.mark.parametrize("args, message", [
    (["--model", "began", "--param", "gama=0.5"], "began has no param 'gama' (its params are gamma, lambda_k"),
    (["--model", "gan", "--param", "gamma=0.5"], "gan has no param 'gamma' (it has none"),
    (["--model", "began", "--param", "gamma"], "'gamma' is not NAME=VALUE"),
    (["--model", "began", "--param", "gamma=high"], "'high' in 'gamma=high' is not a number"),
])
def test_bad_params_are_one_line_errors(tmp_path, capsys, args, message):
    try:
        code = main(["train", "--dataset", "ring8", "--steps", "1", "--out", str(tmp_path / "r"), *args])
    except SystemExit as e:  # argparse's own errors
        code = e.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gankit: error:") and message in err and "\n" not in err, err


def test_runs_written_before_params_existed_still_load(tmp_path):
    out = tmp_path / "old"
    gankit.train(model="wgan", dataset="ring8", steps=2, batch_size=16, critic_warmup=False, quiet=True, out=out)
    doc = yaml.safe_load((out / "config.yaml").read_text())
    del doc["train"]["params"], doc["train"]["critic_warmup"]
    (out / "config.yaml").write_text(yaml.safe_dump(doc))
    assert gankit.load_run(out).sample(5, seed=0).shape == (5, 2)


def test_params_cannot_change_on_resume(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "--model", "began", "--dataset", "ring8", "--steps", "2", "--batch-size", "16", "--quiet",
                 "--out", str(out)]) == 0
    assert main(["train", "--resume", str(out), "--steps", "4", "--param", "gamma=1"]) == 2
    assert "--param cannot change when resuming" in capsys.readouterr().err


def test_params_may_be_words_and_integers(tmp_path, capsys):
    """A recipe's params take the type of its defaults: float, int, a word, or a Choice of words."""
    from gankit.models import MODELS, Choice, _params, register

    register("paramtest", summary="test only", paper="-", loss="-",
             params=dict(rate=0.5, blocks=3, kind=Choice("resnet", ("resnet", "dcgan")), note="x"))(lambda s, c: None)
    try:
        info = MODELS["paramtest"]
        assert _params(info, None) == {"rate": 0.5, "blocks": 3, "kind": "resnet", "note": "x"}
        got = _params(info, {"rate": 1, "blocks": 5.0, "kind": "dcgan", "note": 7})
        assert got == {"rate": 1.0, "blocks": 5, "kind": "dcgan", "note": "7"}
        assert isinstance(got["rate"], float) and isinstance(got["blocks"], int)
        for given, message in [({"blocks": 2.5}, "2.5 in 'blocks=2.5' is not an integer"),
                               ({"kind": "vgg"}, "param kind of paramtest must be one of resnet, dcgan, not 'vgg'"),
                               ({"rate": "fast"}, "'fast' in 'rate=fast' is not a number")]:
            with pytest.raises(gankit.GankitError, match=message):
                _params(info, given)
        assert main(["models"]) == 0
        assert "kind=resnet (one of resnet|dcgan)" in capsys.readouterr().out
        assert TrainConfig(params={"kind": "dcgan", "blocks": 4}).validate()
    finally:
        del MODELS["paramtest"]


@pytest.mark.parametrize("model,param,value,needle", [
    ("wgan", "clip", "-1", "must be > 0"),  # it set every critic weight to -1 (issue 21)
    ("wgan-gp", "penalty", "-10", "must be >= 0"),
    ("wgan-gp", "penalty", "nan", "finite"),
    ("began", "gamma", "1.5", "<= 1"),
    ("stylegan", "mixing", "2", "<= 1"),
])
def test_out_of_range_params_are_refused(capsys, tmp_path, model, param, value, needle):
    rc = main(["train", "--model", model, "--dataset", "ring8", "--param", f"{param}={value}",
               "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err.startswith("gankit: error: ") and len(err.splitlines()) == 1, err
    assert needle in err and param in err
    assert not (tmp_path / "r").exists()
