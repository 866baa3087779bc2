"""Translation runs end to end on tiny synthetic domains: exact resume of cyclegan (pools, decay, both
optimizers), ``gankit translate``, and the errors a user meets."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import gankit
from gankit.checkpoint import load_checkpoint
from gankit.data.pairs import TranslationDataset, translation_spec
from gankit.engine import Callback


def _domains(paired: bool, n: int = 32, size: int = 8, ca: int = 1, cb: int = 1, name: str = "toy", **extra):
    g = torch.Generator().manual_seed(0)
    a = torch.randint(0, 256, (n, ca, size, size), generator=g, dtype=torch.uint8)
    b = (255 - a) if ca == cb and paired else torch.randint(0, 256, (n, cb, size, size), generator=g, dtype=torch.uint8)
    return TranslationDataset(translation_spec(name, a, b, paired, **extra), a, b)


class Crash(Callback):
    """Stops training after ``at`` steps, as a killed process would (the checkpoint of step ``at`` is kept)."""

    def __init__(self, at: int):
        self.at = at

    def on_step(self, view):
        if view.step == self.at + 1:
            raise KeyboardInterrupt


def test_cyclegan_resume_after_a_crash_is_exact(tmp_path):
    data = _domains(paired=False)
    common = dict(model="cyclegan", batch_size=4, width=4, steps=8, seed=1, quiet=True, log_every=2,
                  checkpoint_every=3, params={"blocks": 1, "pool": 6}, data=data)
    gankit.train(out=tmp_path / "full", **common)
    with pytest.raises(KeyboardInterrupt):
        gankit.train(out=tmp_path / "crashed", callbacks=[Crash(3)], **common)
    assert load_checkpoint(tmp_path / "crashed" / "checkpoints" / "last.pt")["step"] == 3
    gankit.train(resume=tmp_path / "crashed", steps=8, quiet=True, data=data)
    full = load_checkpoint(tmp_path / "full" / "checkpoints" / "last.pt")
    resumed = load_checkpoint(tmp_path / "crashed" / "checkpoints" / "last.pt")
    game = full["game"]
    assert {"pool_a.images", "pool_b.images", "pool_a.filled"} <= set(game)
    assert int(game["pool_a.filled"]) == 6  # the pool filled up and then swapped
    for key, value in game.items():
        assert torch.equal(value, resumed["game"][key]), key
    for name in ("G", "D"):
        lr_full = full["optimizers"][name]["param_groups"][0]["lr"]
        assert lr_full == resumed["optimizers"][name]["param_groups"][0]["lr"] < 2e-4  # decayed, identically


def test_translate_command_writes_one_image_per_input(tmp_path):
    data = _domains(paired=True)
    run = gankit.train(model="pix2pix", batch_size=4, width=4, steps=2, quiet=True, data=data, out=tmp_path / "run")
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    for i in range(3):
        Image.fromarray(data.a[i, 0].numpy()).save(inputs / f"x{i}.png")
    Image.fromarray(np.zeros((16, 24, 3), np.uint8)).save(inputs / "big.png")  # resized + cropped to 8x8 gray
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "gankit", "translate", str(run.path), str(inputs), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "wrote 4 translated images (AtoB)" in proc.stdout and "1 resized to 8x8" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["big.png", "x0.png", "x1.png", "x2.png"]
    # the written image is the API's translation of the same input
    api = gankit.load_run(run.path).translate(data.a[:1])
    assert np.array_equal(np.asarray(Image.open(out / "x0.png")), api[0, 0].numpy())
    from gankit.viz.report import write_report

    page = write_report(run.path).read_text()  # the grids of the run are the input | output | target panels
    assert "final, fixed test inputs: input | output | target" in page and (run.path / "progress.gif").is_file()
    bad = subprocess.run([sys.executable, "-m", "gankit", "translate", str(run.path), str(inputs), "--out", str(out),
                          "--direction", "BtoA"], capture_output=True, text=True)
    assert bad.returncode == 2 and "translates AtoB only, not BtoA" in bad.stderr
    assert bad.stderr.count("\n") == 1


def test_models_refuse_data_of_the_wrong_kind(tmp_path):
    from gankit.errors import GankitError

    with pytest.raises(GankitError, match="pix2pix learns from pairs and toy is unpaired"):
        gankit.train(model="pix2pix", steps=1, quiet=True, data=_domains(paired=False), out=tmp_path / "a")
    with pytest.raises(GankitError, match="cyclegan translates images between two domains"):
        gankit.train(model="cyclegan", dataset="ring8", steps=1, quiet=True, out=tmp_path / "b")
    with pytest.raises(GankitError, match="identity loss compares G\\(b\\) with b.*--param identity=0"):
        gankit.train(model="cyclegan", steps=1, quiet=True, data=_domains(False, cb=3), out=tmp_path / "c")
    with pytest.raises(GankitError, match="srgan needs super-resolution pairs"):
        gankit.train(model="srgan", steps=1, quiet=True, data=_domains(True), out=tmp_path / "d")
    with pytest.raises(GankitError, match="--eval-every draws samples, and a translation model translates"):
        gankit.train(model="cyclegan", steps=1, eval_every=1, width=4, params={"blocks": 1}, quiet=True,
                     data=_domains(paired=False), out=tmp_path / "f")
    with pytest.raises(GankitError, match="draws samples rather than translating"):
        run = gankit.train(model="gan", dataset="ring8", steps=1, quiet=True, out=tmp_path / "e")
        run.translate(torch.zeros(1, 1, 8, 8, dtype=torch.uint8))


def test_srgan_content_net_vgg19_says_where_its_weights_must_be(tmp_path, monkeypatch):
    from gankit.errors import GankitError

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # an empty hub cache: no VGG19 file
    full = _domains(True, size=4)
    small = full.a[:, :, :2, :2].contiguous()
    data = TranslationDataset(translation_spec("fashion-sr", small, full.b, True, sr_scale=2), small, full.b)
    with pytest.raises(GankitError, match=r"--content-net vgg19 needs torchvision's VGG19 weights at .*vgg19-dcbb9e9d"):
        gankit.train(model="srgan", steps=1, quiet=True, data=data, out=tmp_path / "a",
                     params={"content_net": "vgg19"})


def test_srgan_content_loss_reads_the_classifier_features(tmp_path):
    """The default content loss is zero for the target itself and grows as details are lost."""
    from gankit.data import get_dataset
    from gankit.nets.content import content_network

    net = content_network("classifier", "fashion-mnist")
    assert not any(p.requires_grad for p in net.parameters())
    y = get_dataset("fashion-mnist", "test").data[:16].float().div(127.5).sub(1)
    blurred = torch.nn.functional.avg_pool2d(y, 4).repeat_interleave(4, 2).repeat_interleave(4, 3)
    same = (net(y) - net(y)).pow(2).mean()
    lost = (net(blurred) - net(y)).pow(2).mean()
    assert same == 0 and lost > 0.01


def test_eval_command_reports_a_translation_run_beside_its_baseline(tmp_path):
    import json

    run = gankit.train(model="pix2pix", dataset="edges2fashion", subset=64, batch_size=8, width=4, steps=2,
                       quiet=True, out=tmp_path / "run")
    proc = subprocess.run([sys.executable, "-m", "gankit", "eval", str(run.path), "--n", "100"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "100 test inputs (paired); baseline: the input itself" in proc.stdout
    assert proc.stdout.count("psnr") == 1 and "class_acc" in proc.stdout
    saved = json.loads((run.path / "eval.json").read_text())
    assert set(saved["metrics"]) == set(saved["baseline"]) == {"psnr", "ssim", "l1", "fid", "class_acc"}
    assert 0 < saved["info"]["class_acc_real"] <= 1
