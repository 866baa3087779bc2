"""End-to-end evaluation: the classifier command, gankit eval, --eval-every, sanity ordering, offline fallback."""

import json

import pytest
import torch
import torch.nn.functional as F

import gankit
from gankit.cli import main
from gankit.metrics import evaluate
from gankit.metrics.features import get_extractor
from gankit.metrics.fid import fid


@pytest.fixture(scope="module", autouse=True)
def _isolated_cache(isolated_gankit_home):
    """Feature caches and user weights go to a temporary GANKIT_HOME (conftest)."""


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, fashion_small):
    out = tmp_path_factory.mktemp("runs") / "dc"
    gankit.train(model="dcgan", dataset="fashion-mnist", steps=4, batch_size=16, width=8, quiet=True,
                 log_every=1, eval_every=2, eval_n=200, eval_metrics="fid,coverage", out=out,
                 data=fashion_small.subset(64))
    return out


def test_shipped_classifier_is_accurate_and_small():
    from gankit.metrics.weights import PACKAGE_WEIGHTS, load_classifier

    path = PACKAGE_WEIGHTS / "fashion-mnist-classifier.pt"
    assert path.is_file() and path.stat().st_size < 2_000_000
    _, meta, _ = load_classifier("fashion-mnist")
    assert meta["test_accuracy"] >= 0.90 and "gankit features train" in meta["command"]


def test_classifier_features_do_not_depend_on_the_batch(fashion_train):
    """The extractor runs the classifier in cache-sized batches (features.CLASSIFIER_BATCH): the same features
    as one batch of all the images."""
    extractor = get_extractor("classifier", "fashion-mnist")
    images = fashion_train.data[:300]
    batched = extractor(images)["features"]
    whole = extractor(images, batch_size=len(images))["features"]
    assert extractor.batch_size < len(images) and batched.shape == whole.shape
    assert torch.allclose(batched, whole, atol=1e-5)


def test_features_train_is_seeded_and_records_accuracy(tmp_path, capsys):
    from gankit.metrics.train_classifier import train_classifier

    a = train_classifier(out=tmp_path / "a.pt", epochs=2, limit=1024, batch_size=64, quiet=True, test_limit=1000)
    b = train_classifier(out=tmp_path / "b.pt", epochs=2, limit=1024, batch_size=64, quiet=True, test_limit=1000)
    sa = torch.load(tmp_path / "a.pt", weights_only=True)["state_dict"]
    sb = torch.load(tmp_path / "b.pt", weights_only=True)["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert a["test_accuracy"] == b["test_accuracy"] > 0.4  # 1024 images, two epochs: well above chance (0.1)
    assert json.loads((tmp_path / "a.json").read_text())["test_accuracy"] == a["test_accuracy"]
    assert main(["features", "info", "--classifier", str(tmp_path / "a.pt")]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_eval_cli_writes_eval_json_and_table(tiny_run, capsys):
    code = main(["eval", str(tiny_run), "--n", "200", "--metrics", "fid,kid,is,pr,dc,swd,coverage"])
    assert code == 0
    out = capsys.readouterr().out
    assert "FID" in out and "precision" in out and "SWDx1e3" in out
    result = json.loads((tiny_run / "eval.json").read_text())
    m = result["metrics"]
    for key in ("fid", "kid", "kid_std", "is", "precision", "recall", "density", "coverage", "swd", "classes_covered",
                "class_kl"):
        assert key in m, key
    assert m["fid"] > 0 and 1.0 <= m["is"] <= 10.0 and len(m["swd_levels"]) == 2
    assert result["info"]["extractor"]["name"] == "classifier" and result["info"]["step"] == 4


def test_eval_every_appends_metrics_during_training(tiny_run):
    records = gankit.load_run(tiny_run).metrics()
    with_fid = [r["step"] for r in records if "fid" in r]
    assert with_fid == [2, 4]
    assert all("classes_covered" in r and "eval_seconds" in r for r in records if "fid" in r)


def test_eval_toy_run_reports_modes(tmp_path):
    out = tmp_path / "ring"
    gankit.train(model="gan", dataset="ring8", steps=5, batch_size=64, quiet=True, out=out)
    result = evaluate(out, ["fid", "pr", "coverage"], n=500)
    assert result["metrics"]["num_modes"] == 8 and 0 <= result["metrics"]["modes_covered"] <= 8
    assert result["info"]["n_real"] == 10000  # the 100k toy test split is capped
    with pytest.raises(gankit.GankitError, match="needs images"):
        evaluate(out, ["swd"], n=100)


def test_unknown_metric_is_a_one_line_error(tiny_run, capsys):
    assert main(["eval", str(tiny_run), "--metrics", "fid,bogus"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gankit: error: unknown metric 'bogus'") and err.count("\n") == 1


def test_inception_without_weights_falls_back_in_one_line():
    messages = []
    ext = get_extractor("inception", "fashion-mnist", inception_weights="/nonexistent/inception.pth",
                        warn=messages.append)
    assert ext.name == "classifier"
    assert len(messages) == 1 and "falling back" not in messages[0] and "domain classifier" in messages[0]


def test_sanity_values_order_on_a_subset(fashion_train):
    """test-vs-train < blurred train < one repeated image and pure noise, in FID (domain features)."""
    ext = get_extractor("classifier", "fashion-mnist")
    test = gankit.data.get_dataset("fashion-mnist", "test").subset(2000, seed=1).data
    train = fashion_train.subset(2000, seed=2).data
    blurred = F.avg_pool2d(train.float(), 3, 1, 1).round().to(torch.uint8)
    noise = torch.randint(0, 256, train.shape, generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    repeated = train[:1].repeat(len(train), 1, 1, 1)
    real = ext(test)["features"]
    values = {name: fid(ext(x)["features"], real) for name, x in
              [("train", train), ("blurred", blurred), ("repeated", repeated), ("noise", noise)]}
    assert values["train"] < values["blurred"] < min(values["repeated"], values["noise"]), values


class _Images(torch.utils.data.Dataset):
    def __init__(self, x):
        self.x = x

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]


def test_fid_equals_torch_fidelity_through_its_own_pipeline(fashion_train):
    """Our classifier registered in torch-fidelity: its calculate_metrics FID equals ours."""
    import torch_fidelity

    from gankit.metrics.fidelity import register_with_torch_fidelity

    name = register_with_torch_fidelity("fashion-mnist")
    a = gankit.data.get_dataset("fashion-mnist", "test").data[:400]
    b = fashion_train.data[:400]
    theirs = torch_fidelity.calculate_metrics(input1=_Images(a), input2=_Images(b), feature_extractor=name, fid=True,
                                              cuda=False, cache=False, verbose=False, batch_size=200,
                                              save_cpu_ram=True)["frechet_inception_distance"]
    ext = get_extractor("classifier", "fashion-mnist")
    assert fid(ext(a)["features"], ext(b)["features"]) == pytest.approx(theirs, rel=1e-3)


def test_conditional_accuracy_of_a_conditional_run(tmp_path, fashion_small):
    out = tmp_path / "cgan"
    gankit.train(model="cgan", dataset="fashion-mnist", steps=2, batch_size=16, quiet=True, out=out,
                 data=fashion_small.subset(64))
    result = evaluate(out, ["cond", "fid"], n=100, write=False)
    assert 0.0 <= result["metrics"]["cond_acc"] <= 1.0
    assert set(result["metrics"]["cond_acc_per_class"]) <= set(range(10))
    with pytest.raises(gankit.GankitError, match="class-conditional"):
        evaluate(_unconditional(tmp_path, fashion_small), ["cond"], n=50, write=False)


def _unconditional(tmp_path, fashion_small):
    out = tmp_path / "dc"
    gankit.train(model="dcgan", dataset="fashion-mnist", steps=1, batch_size=16, width=8, quiet=True, out=out,
                 data=fashion_small.subset(64))
    return out
