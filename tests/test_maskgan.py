"""maskgan (Fedus et al. 2018): contiguous masking, copying, returns, the user's fill(), and learning on words."""

import copy

import pytest
import torch

import gankit
from gankit.data.base import Dataset, DataSpec
from gankit.engine import Callback
from gankit.errors import GankitError
from gankit.games.maskgan import (
    MaskFillSampler,
    advantages,
    contiguous_mask,
    discounted_returns,
    maskable,
    sample_fill,
    spans_of,
)
from gankit.nets.maskgan import MaskSeq2Seq

VOCAB = ["<pad>", "<bos>", "<eos>"] + list("abcdefgh")
SPEC = DataSpec("toy-text", "text", (12,), extra={"vocab": VOCAB, "pad": 0, "bos": 1, "eos": 2, "unit": "char"})


def _texts(n=200, seed=0) -> torch.Tensor:
    """Rows of 3..11 text tokens, then <eos>, then <pad> (the data contract of gankit.data.text)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.zeros(n, 12, dtype=torch.long)
    for row in range(n):
        length = int(torch.randint(3, 12, (), generator=g))
        x[row, :length] = torch.randint(3, len(VOCAB), (length,), generator=g)
        x[row, length] = 2
    return x


@pytest.mark.parametrize("rate,spans", [(0.5, 1), (0.3, 1), (0.5, 2), (0.6, 3)])
def test_masking_blanks_contiguous_spans_at_the_rate(rate, spans):
    x = _texts()
    mask = contiguous_mask(x, SPEC, rate, spans, torch.Generator().manual_seed(1))
    ok = maskable(x, SPEC)
    assert not (mask & ~ok).any(), "only text tokens are blanked, never <eos>/<pad>"
    for row in range(len(x)):
        n = int(ok[row].sum())
        assert int(mask[row].sum()) == min(n, max(1, round(rate * n)))
        runs = spans_of(mask[row])
        assert 1 <= len(runs) <= spans
        if n >= 2 * spans:  # room for every run: they are near-equal and kept apart
            assert len(runs) == spans and max(e - s for s, e in runs) - min(e - s for s, e in runs) <= 1
    share = mask.sum() / ok.sum()
    assert abs(share.item() - rate) < 0.06, share
    # a seed names the blanks; the one-run offsets cover the text (not always the same place)
    again = contiguous_mask(x, SPEC, rate, spans, torch.Generator().manual_seed(1))
    assert torch.equal(mask, again)
    starts = {spans_of(mask[r])[0][0] for r in range(len(x))}
    assert len(starts) > (3 if spans == 1 else 1)


def test_fill_copies_every_unmasked_token_and_never_reads_the_truth():
    torch.manual_seed(0)
    G = MaskSeq2Seq(len(VOCAB), len(VOCAB), 8, 16)
    x = _texts(64)
    mask = contiguous_mask(x, SPEC, 0.5, 2, torch.Generator().manual_seed(0))
    out = sample_fill(G, x, mask, SPEC, generator=torch.Generator().manual_seed(3))
    assert out.dtype == torch.long and out.shape == x.shape
    assert torch.equal(out[~mask], x[~mask])
    assert (out[mask] >= 3).all(), "a blank holds a text token, not <pad>/<bos>/<eos>"
    scrambled = x.masked_fill(mask, 5)  # other truth under the blanks: the same fills
    assert torch.equal(sample_fill(G, scrambled, mask, SPEC, generator=torch.Generator().manual_seed(3)), out)


def test_discounted_returns_and_advantages_match_a_hand_computed_case():
    r = torch.tensor([[0.0, -1.0, -2.0, 0.0]])
    # R_3 = 0; R_2 = -2; R_1 = -1 + 0.5 * -2 = -2; R_0 = 0 + 0.5 * -2 = -1
    assert torch.allclose(discounted_returns(r, 0.5), torch.tensor([[-1.0, -2.0, -2.0, 0.0]]))
    assert torch.allclose(discounted_returns(r, 0.0), r)
    mask = torch.tensor([[0.0, 1.0, 1.0, 0.0]])
    b = torch.tensor([[9.0, -1.5, -1.0, 9.0]])  # the critic's values; unmasked positions are no actions
    assert torch.allclose(advantages(r, b, mask, 0.5), torch.tensor([[0.0, -0.5, -1.0, 0.0]]))
    # a reward outside the blanks never counts
    assert torch.allclose(advantages(r + torch.tensor([[0, 0, 0, 5.0]]), b, mask, 0.5),
                          torch.tensor([[0.0, -0.5, -1.0, 0.0]]))


def test_user_fill_keeps_the_given_characters(tmp_path):
    words = gankit.data.get_dataset("words", "test")
    torch.manual_seed(0)
    V = len(words.spec.extra["vocab"])
    sampler = MaskFillSampler(MaskSeq2Seq(V, V, 8, 16), words.spec, 0.5)
    out = sampler.fill(["ele__nt", "h___e", "cat"], seed=1)
    assert [len(t) for t in out] == [7, 5, 3]
    assert out[0][:3] == "ele" and out[0][5:] == "nt" and out[1][0] == "h" and out[1][4] == "e" and out[2] == "cat"
    assert all(c.isalpha() for c in "".join(out))
    assert out == sampler.fill(["ele__nt", "h___e", "cat"], seed=1)
    with pytest.raises(GankitError, match="vocabulary"):
        sampler.fill("Ele_ant")
    with pytest.raises(GankitError, match="one character"):
        sampler.fill("ele__nt", blank="__")


def test_recipe_refuses_images_and_bad_params(tmp_path):
    with pytest.raises(GankitError, match="fills blanks in text"):
        gankit.train(model="maskgan", dataset="ring8", steps=1, out=tmp_path / "a", quiet=True)
    data = Dataset(SPEC, _texts())
    with pytest.raises(GankitError, match="mask_rate"):
        gankit.train(model="maskgan", data=data, dataset="toy-text", steps=1, out=tmp_path / "b", quiet=True,
                     params={"mask_rate": 1.5})


MLE_STEPS, ADV_STEPS = 100, 30


class _KeepG(Callback):
    """A copy of G as it is after ``step`` steps: the MLE-only baseline, taken from the same run."""

    def __init__(self, step: int):
        self.step, self.G = step, None

    def on_step(self, view) -> None:
        if view.step == self.step:
            self.G = copy.deepcopy(view.sampler().G)


@pytest.fixture(scope="module")
def learned(tmp_path_factory):
    """maskgan on words, seed 0, one thread, fp32, width 64: its G scored after the MLE pretraining (the baseline,
    copied at step MLE_STEPS) and after ADV_STEPS adversarial steps, on 500 test words with the same seeded
    blanks (greedy fills), and an untrained G of the same shape."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    keep = _KeepG(MLE_STEPS)
    run = gankit.train(model="maskgan", dataset="words", seed=0, steps=MLE_STEPS + ADV_STEPS, batch_size=64, width=64,
                       precision="fp32", params={"mle_steps": MLE_STEPS, "d_warmup": 10, "mle_lr": 5e-3},
                       sample_every=10**9, checkpoint_every=10**9, log_every=10, quiet=True, callbacks=[keep],
                       out=tmp_path_factory.mktemp("maskgan") / "run")
    gan = run.sampler()
    spec = run.spec
    V = len(spec.extra["vocab"])
    mle = MaskFillSampler(keep.G, spec, 0.5)
    torch.manual_seed(0)
    untrained = MaskFillSampler(MaskSeq2Seq(V, V, 32, 64), spec, 0.5)
    scores = {"untrained": untrained.evaluate(500, greedy=True), "mle": mle.evaluate(500, greedy=True),
              "maskgan": gan.evaluate(500, greedy=True), "maskgan_sampled": gan.evaluate(500, reference=keep.G)}
    torch.set_num_threads(threads)
    return scores, run


def test_mle_pretraining_fills_blanks_better_than_an_untrained_g(learned):
    # measured (seed 0, 500 test words, 2,014 blanked letters, greedy fills): untrained 0.035, after 100 MLE steps
    # 0.147; perplexity of the true letters 26.0 -> 11.3 (a uniform guess over the 26 letters: 26)
    scores, _ = learned
    assert scores["untrained"]["accuracy"] < 0.06, scores
    assert scores["mle"]["accuracy"] > 0.10 and scores["mle"]["accuracy"] > scores["untrained"]["accuracy"] + 0.05
    assert scores["mle"]["ppl_truth"] < 14 < scores["untrained"]["ppl_truth"]


def test_the_adversarial_phase_keeps_the_mle_start(learned):
    # measured (seed 0): 30 adversarial steps after 100 MLE steps: greedy accuracy 0.147 -> 0.141, perplexity of
    # the true letters 11.28 -> 11.15, sampled fills 0.093 (untrained 0.035). Longer runs (bench/maskgan_fill.py,
    # 600 + 300/400 steps) move accuracy by < 0.015 either way: D stays near 0.5 against the MLE G at this size
    scores, _ = learned
    assert scores["maskgan"]["accuracy"] > scores["mle"]["accuracy"] - 0.03, scores
    assert scores["maskgan"]["ppl_truth"] < scores["mle"]["ppl_truth"] * 1.1, scores
    assert scores["maskgan_sampled"]["accuracy"] > scores["untrained"]["accuracy"] + 0.03, scores


def test_phases_follow_the_schedule(learned):
    _, run = learned
    records = run.metrics()
    mle = [r for r in records if "g_mle_nll" in r]
    adv = [r for r in records if "d_loss" in r]
    assert mle and max(r["step"] for r in mle) == MLE_STEPS and all(r["step"] > MLE_STEPS for r in adv)
    assert all(0 < r["d_real"] < 1 and 0 < r["d_fake"] < 1 for r in adv)
    # G's policy updates wait d_warmup (10) steps after pretraining: its reward is logged from then on
    rewarded = [r["step"] for r in records if "g_reward" in r]
    assert rewarded and min(rewarded) > MLE_STEPS + 10 and all(r["g_reward"] < 0 for r in records if "g_reward" in r)
    # samples through the Run: held-out words with their blanks filled, every other letter copied
    sampler = run.sampler()
    inputs = sampler.fixed_inputs(16, seed=3)
    out = run.sample(16, seed=3)
    assert out.dtype == torch.long and torch.equal(out[~inputs["mask"]], inputs["x"][~inputs["mask"]])


class _LikesA(torch.nn.Module):
    """A fixed discriminator: a filled 'a' looks real (logit +5), anything else fake (-5)."""

    def forward(self, masked, filled):
        return ((filled == VOCAB.index("a")).float() * 10 - 5).unsqueeze(-1)


def test_policy_gradient_moves_g_towards_what_d_rewards():
    from gankit.games.base import OptimSpec, StepInfo
    from gankit.games.maskgan import MaskGANGame

    torch.manual_seed(0)
    V = len(VOCAB)
    spec = OptimSpec("adam", 1e-2, (0.9, 0.999))
    game = MaskGANGame(MaskSeq2Seq(V, V, 8, 16), _LikesA(), MaskSeq2Seq(V, 1, 8, 16), SPEC, spec, spec, spec,
                       mle_steps=0, d_warmup=0)
    opt_g = torch.optim.Adam(game.nets["G"].parameters(), 1e-2)
    opt_c = torch.optim.Adam(game.nets["C"].parameters(), 1e-2)
    x = _texts(64)

    def share_of_a() -> float:
        sampler = game.sampler()
        inputs = sampler.fixed_inputs(64, seed=0, data=Dataset(SPEC, x))
        fills = sampler.generate(inputs)[inputs["mask"]]
        return (fills == VOCAB.index("a")).float().mean().item()

    before = share_of_a()
    for step in range(40):
        info = StepInfo(step, 0, 40)
        batch = {"x": x}
        for name, opt in (("critic", opt_c), ("G", opt_g)):
            loss, _ = game.loss(name, batch, info)
            opt.zero_grad()
            loss.backward()
            opt.step()
    # measured: 0.12 (about 1/8, uniform over the 8 letters) -> 0.9+ after 40 updates
    assert before < 0.25 and share_of_a() > 0.6, (before, share_of_a())
