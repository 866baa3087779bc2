"""text2image (GAN-INT-CLS + StackGAN): the game learns to draw captions, its D learns to match,
the CLI and the API draw a caption, bad inputs get their one line. Thresholds from measured runs
(seed 0, one thread, fp32, the settings below; figures in each test's comment)."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

import gankit
from gankit.caption_eval import evaluate_captions, evaluate_emoji_captions
from gankit.data.base import to_model_space
from gankit.data.captions import load_emoji_captions, load_fashion_captions
from gankit.models import build_game
from test_cli_errors import assert_one_line_error, run_cli

STEPS = 600


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    run = gankit.train(model="text2image", dataset="fashion-captions", steps=STEPS, batch_size=64, lr_g=5e-4,
                       lr_d=5e-4, precision="fp32", seed=0, quiet=True, sample_every=10**9, checkpoint_every=10**9,
                       out=tmp_path_factory.mktemp("t2i") / "run")
    torch.set_num_threads(threads)
    return run


def _untrained_sampler(run):
    torch.manual_seed(run.config.seed)  # the weights the run started from
    return build_game(run.config, run.spec).sampler()


def test_text2image_learns_to_draw_captions(trained):
    # measured (600 steps, 1,000 seen captions): class accuracy 0.094 -> 0.222, stated attributes met 0.479 -> 0.590,
    # FID 1725 -> 182 (3,000 steps: docs/text-to-image.md)
    after = evaluate_captions(trained, 1000, 500)
    before = evaluate_captions(trained, 1000, 500, sampler=_untrained_sampler(trained))
    assert after["seen"]["class_acc"] > 0.16 and after["seen"]["class_acc"] > before["seen"]["class_acc"] + 0.07
    assert after["seen"]["attr_acc"] > before["seen"]["attr_acc"] + 0.04
    assert after["all"]["fid"] < 0.3 * before["all"]["fid"]


@torch.no_grad()
def test_matching_aware_d_scores_mismatched_captions_lower(trained):
    # measured on the 1,800 of 2,000 test images whose rolled caption names another class: D's mean probability
    # 0.769 for the image's own caption, 0.139 for the other one
    test = load_fashion_captions("test").subset(2000, seed=1)
    game = trained.game.eval()
    e = game.nets["E"](test.tokens)
    other = torch.roll(torch.arange(len(test)), 1)
    wrong = other[test.labels[other] != test.labels]  # captions of another class
    keep = (test.labels[other] != test.labels).nonzero().flatten()
    x = to_model_space(test.data, trained.spec)
    matched = torch.sigmoid(game.nets["D"](x[keep], e[keep])).mean().item()
    mismatched = torch.sigmoid(game.nets["D"](x[keep], e[wrong])).mean().item()
    assert matched > mismatched + 0.3, (matched, mismatched)


def test_sample_text_cli_draws_one_row_per_caption(trained, capsys, tmp_path):
    out = tmp_path / "boots.npy"
    rc, stdout, err = run_cli(capsys, ["sample", str(trained.path), "--text", "a dark ankle boot", "--text",
                                       "a light, wide sandal", "--n", "8", "--seed", "3", "--out", str(out)])
    assert rc == 0, err
    assert "wrote" in stdout
    images = np.load(out)
    assert images.shape == (8, 28, 28) and images.dtype == np.uint8
    api = trained.sample(4, seed=3, text="a dark ankle boot")
    assert torch.equal(api, torch.from_numpy(images[:4]).unsqueeze(1))  # the same z and caption: the same images
    assert not torch.equal(api, torch.from_numpy(images[4:]).unsqueeze(1))


def test_gankit_eval_scores_a_caption_run_with_its_images_classifier(trained, capsys):
    # fashion-captions adds captions to Fashion-MNIST's images: the shipped Fashion-MNIST classifier scores it
    # (before: "no domain classifier for 'fashion-captions'"); cond is the class accuracy of class captions
    rc, stdout, err = run_cli(capsys, ["eval", str(trained.path), "--n", "500", "--metrics", "fid,cond", "--json"])
    assert rc == 0, err
    assert "classifier-fashion-mnist" in stdout and '"cond"' in stdout


def test_sample_text_errors(trained, capsys, tmp_path):
    out = str(tmp_path / "x.png")
    assert_one_line_error(capsys, ["sample", str(trained.path), "--text", "a purple ankle boot", "--out", out],
                          "unknown word 'purple'")
    assert_one_line_error(capsys, ["sample", str(trained.path), "--text", "a boot", "--class", "3", "--out", out],
                          "drop --class")
    with pytest.raises(gankit.GankitError, match="captions for"):
        trained.sample(3, text=["a bag", "a coat"])


@pytest.mark.parametrize("argv, needle", [
    (["--model", "text2image", "--dataset", "fashion-mnist"], "has none"),
    (["--model", "text2image", "--dataset", "fashion-captions", "--stages", "3"], "1 or 2"),
    (["--model", "text2image", "--dataset", "fashion-captions", "--stages", "2"], "--image-size 64"),
    (["--model", "text2image", "--dataset", "fashion-captions", "--image-size", "30"], "--image-size 32 or 64"),
    (["--model", "text2image", "--dataset", "fashion-captions", "--param", "attributes=2"], "attributes 0 or 1"),
    (["--model", "dcgan", "--dataset", "fashion-mnist", "--stages", "2"], "stages"),
])
def test_train_bad_inputs(capsys, tmp_path, argv, needle):
    assert_one_line_error(capsys, ["train", *argv, "--steps", "2", "--quiet", "--out", str(tmp_path / "x")], needle)


def test_sample_text_refuses_a_model_without_text(capsys, tmp_path):
    gankit.train(model="gan", dataset="ring8", steps=2, out=tmp_path / "gan", quiet=True)
    assert_one_line_error(capsys, ["sample", str(tmp_path / "gan"), "--text", "a bag", "--out",
                                   str(tmp_path / "x.png")], "text2image")


def test_two_stages_train_and_draw_at_full_size(tmp_path):
    run = gankit.train(model="text2image", dataset="fashion-captions", image_size=32, steps=3,
                       batch_size=8, params={"stages": 2}, precision="fp32", quiet=True, out=tmp_path / "s2")
    assert set(run.game.nets) == {"E", "G", "D", "G2", "D2"}
    assert run.sample(2, text="a wide coat").shape == (2, 1, 32, 32)
    logged = {k for r in run.metrics() for k in r}
    assert {"d_loss", "g_loss", "d2_loss", "g2_loss", "kl", "kl2"} <= logged
    draft = run.game.nets["G"].net.out_shape
    assert draft == (1, 16, 16)


class _RealEmojiSampler:
    """Draws each caption as the real emoji that has it: the evaluator's ceiling."""
    attributes = True

    def __init__(self):
        self.by_tokens = {}
        for split in ("train", "test"):
            ds = load_emoji_captions(split, 32)
            self.by_tokens.update({tuple(t.tolist()): x for t, x in zip(ds.tokens, ds.data)})

    def fixed_inputs(self, n, seed=None, labels=None):
        return {"z": torch.zeros(n, 1), "y": labels}

    def generate(self, inputs):
        return torch.stack([self.by_tokens[tuple(t.tolist())] for t in inputs["text"]])


def test_emoji_caption_eval_scores_real_emoji_at_the_classifiers_accuracy():
    # drawings that are the captions' own emoji score the shipped classifier's test accuracy (0.8493, its sidecar):
    # captions, images and groups line up; a fashion run gets its one line
    spec = load_emoji_captions("train", 32).spec
    scores = evaluate_emoji_captions(SimpleNamespace(spec=spec), sampler=_RealEmojiSampler())
    assert (scores["train"]["n"], scores["test"]["n"]) == (3290, 365)
    assert abs(scores["test"]["group_acc"] - 0.8493) < 1e-3 and scores["train"]["group_acc"] > 0.85
    with pytest.raises(gankit.GankitError, match="is not emoji-captions"):
        evaluate_emoji_captions(SimpleNamespace(spec=load_fashion_captions("test").spec))


def test_resume_continues_exactly(tmp_path):
    common = dict(model="text2image", dataset="fashion-captions", batch_size=8, precision="fp32", quiet=True,
                  sample_every=10**6, log_every=1)
    full = gankit.train(steps=6, checkpoint_every=10**6, out=tmp_path / "full", **common)
    gankit.train(steps=3, checkpoint_every=3, out=tmp_path / "half", **common)
    resumed = gankit.train(resume=tmp_path / "half", steps=6)
    for a, b in zip(full.game.state_dict().values(), resumed.game.state_dict().values()):
        assert torch.equal(a, b)
