"""SeqGAN (Yu, Zhang, Wang & Yu 2017) and the maximum-likelihood language model it is measured against.

A text GAN cannot backpropagate through the discrete tokens G samples, so SeqGAN treats G as a
policy and D's probability that a whole sequence is real as the reward (REINFORCE). A reward comes
only at the end of a sequence; for the intermediate tokens the paper estimates the action value by
Monte Carlo search (its eq. 4): the prefix ``Y[1:t]`` is completed N times by the rollout policy and
the reward is the mean of D over those completions; for t = L it is D of the sequence itself:

    Q(Y[1:t-1], y_t) = 1/N sum_n D(MC^n(Y[1:t]))   (t < L),    D(Y[1:L])   (t = L)
    grad J = E[ sum_t grad log G(y_t | Y[1:t-1]) Q(Y[1:t-1], y_t) ]                  (eq. 6-7)

The rollout policy is G itself (the paper: "we use the same parameters as the generator"; its
released code lags a copy behind, a detail left out). Without a baseline, as the paper.

Training has three stages, chosen by ``info.step`` through each phase's ``repeat`` (so a resumed run
is in the right stage): ``pretrain_g`` steps of maximum likelihood (phase ``MLE``: teacher forcing),
``pretrain_d`` steps of D alone on real text vs G's samples, then adversarial steps: one policy
gradient update of G (phase ``G``) and ``d_steps`` updates of D on fresh samples.

Caccia et al. 2020 ("Language GANs Falling Short") show that the MLE model alone, sampled at a lower
temperature, matches or beats such GANs once quality (BLEU against test text) and diversity
(self-BLEU) are read together: :class:`MLEGame` is that baseline (one phase, teacher forcing), and
bench/text_curve.py draws both curves. Positions after a text's ``<eos>`` are forced ``<pad>``, not
the policy's choice: they carry no likelihood and no policy gradient (:func:`policy_mask`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.base import DataSpec
from ..errors import GankitError
from ..nets.lstm_lm import policy_mask
from .base import Batch, Game, OptimSpec, Phase, StepInfo


class TextSampler:
    """Samples of an LSTM generator: token ids long (N, L). The inputs are uniforms (N, L) drawn from a
    seeded generator (``{"u"}``), one per position; ``generate(inputs, temperature=T)`` turns them into
    tokens by inverting softmax(logits / T)'s CDF, so one seed names the same draw at every temperature
    (T = 0: greedy)."""

    conditional = False
    codes = False
    num_classes = 0
    z_dim = 0

    def __init__(self, G: nn.Module, spec: DataSpec):
        self.G, self.spec = G, spec

    def check_count(self, n: int, flag: str = "--n") -> None:
        if n <= 0:
            raise GankitError(f"{flag} must be a positive integer, not {n} (e.g. {flag} 64)")

    def fixed_inputs(self, n: int, seed: int | None = None, labels=None) -> Batch:
        self.check_count(n)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        return {"u": torch.rand(n, self.spec.shape[0], generator=gen)}

    def grid_inputs(self, n: int, seed: int, data=None) -> Batch:
        return self.fixed_inputs(n, seed)

    def random_labels(self, n: int, seed: int):
        return None

    def standing_statistics(self, *args, **kwargs) -> bool:
        return False

    @torch.no_grad()
    def generate(self, inputs: Batch, temperature: float = 1.0, batch_size: int = 500, **opts) -> torch.Tensor:
        if opts.get("truncation") is not None:
            raise GankitError("truncation applies to a latent z; a text model's knob is the temperature "
                              "(pass temperature=0.7)")
        if not temperature >= 0:
            raise GankitError(f"temperature must be >= 0, not {temperature} (e.g. 0.7; 0 is greedy)")
        device = next(self.G.parameters()).device
        was_training = self.G.training
        self.G.eval()
        try:
            u = inputs["u"]
            out = [self.G.sample(u[i:i + batch_size].to(device), temperature).cpu() for i in range(0, len(u), batch_size)]
        finally:
            self.G.train(was_training)
        return torch.cat(out)

    def preview(self, inputs: Batch):
        return self.generate(inputs), None

    def sample(self, n: int, seed: int | None = None, labels=None, **opts) -> torch.Tensor:
        return self.generate(self.fixed_inputs(n, seed), **opts)

    def texts(self, n: int, seed: int | None = None, temperature: float = 1.0) -> list[str]:
        from ..data.text import decode

        return decode(self.sample(n, seed, temperature=temperature), self.spec)


def mle_loss(G: nn.Module, x: torch.Tensor, eos: int) -> tuple[torch.Tensor, dict]:
    """Mean negative log-likelihood per token (teacher forcing), over the tokens up to each ``<eos>``."""
    mask = policy_mask(x, eos)
    nll = -(G.log_probs(x) * mask).sum() / mask.sum()
    return nll, {"nll": nll.detach()}


class MLEGame(Game):
    """The baseline: the generator trained by maximum likelihood only (one phase, ``G``)."""

    def __init__(self, G: nn.Module, spec: DataSpec, optim_g: OptimSpec):
        super().__init__()
        self.nets = nn.ModuleDict({"G": G})
        self.spec, self.optim_g = spec, optim_g
        self.eos = spec.extra["eos"]

    def phases(self) -> list[Phase]:
        return [Phase("G", ("G",), self.optim_g)]

    def loss(self, phase: str, batch: Batch, info: StepInfo):
        return mle_loss(self.nets["G"], batch["x"], self.eos)

    def sampler(self, nets=None) -> TextSampler:
        return TextSampler((nets or {}).get("G", self.nets["G"]), self.spec)


class SeqGANGame(MLEGame):
    def __init__(self, G: nn.Module, D: nn.Module, spec: DataSpec, optim_mle: OptimSpec, optim_g: OptimSpec,
                 optim_d: OptimSpec, pretrain_g: int, pretrain_d: int, rollouts: int = 16, d_steps: int = 1):
        super().__init__(G, spec, optim_g)
        self.nets["D"] = D
        self.optim_mle, self.optim_d = optim_mle, optim_d
        self.pretrain_g, self.pretrain_d = pretrain_g, pretrain_d
        self.rollouts, self.d_steps = rollouts, d_steps

    @property
    def adversarial_from(self) -> int:
        return self.pretrain_g + self.pretrain_d

    def _mle_turns(self, step: int) -> int:
        return 1 if step < self.pretrain_g else 0

    def _g_turns(self, step: int) -> int:
        return 1 if step >= self.adversarial_from else 0

    def _d_turns(self, step: int) -> int:
        if step < self.pretrain_g:
            return 0
        return 1 if step < self.adversarial_from else self.d_steps

    def phases(self) -> list[Phase]:
        return [Phase("MLE", ("G",), self.optim_mle, repeat=self._mle_turns),
                Phase("G", ("G",), self.optim_g, repeat=self._g_turns),
                Phase("D", ("D",), self.optim_d, repeat=self._d_turns, fresh_batch=True)]

    def _fake(self, n: int, device) -> torch.Tensor:
        return self.nets["G"].sample(torch.rand(n, self.spec.shape[0], device=device))

    @torch.no_grad()
    def rewards(self, ids: torch.Tensor) -> torch.Tensor:
        """Q (B, L) of eq. 4: for t < L the mean of D(prob real) over ``rollouts`` completions of ids[:, :t],
        for t = L D(ids). A prefix that already holds ``<eos>`` completes to the sequence itself, so
        positions from a text's end on get D(ids) without rollouts (they are masked out of the loss)."""
        G, D = self.nets["G"], self.nets["D"]
        B, L = ids.shape
        full = torch.sigmoid(D(ids))
        q = full.unsqueeze(1).repeat(1, L)
        ends = policy_mask(ids, self.eos).sum(1).long()  # tokens the policy chose per row (to eos included)
        reps = ids.repeat(self.rollouts, 1)
        states = G.prefix_states(ids)  # read each prefix once, then repeat its state for the N rollouts
        for t in range(1, int(ends.max())):
            open_rows = ends > t  # rows whose prefix ids[:, :t] has not ended yet
            logits, (h, c) = states[t]
            start = (logits.repeat(self.rollouts, 1), (h.repeat(self.rollouts, 1), c.repeat(self.rollouts, 1)))
            done = G.complete(reps[:, :t], torch.rand(B * self.rollouts, L, device=ids.device), start=start)
            q[:, t - 1] = torch.where(open_rows, torch.sigmoid(D(done)).view(self.rollouts, B).mean(0), full)
        return q

    def loss(self, phase: str, batch: Batch, info: StepInfo):
        G, D, x = self.nets["G"], self.nets["D"], batch["x"]
        if phase == "MLE":
            return mle_loss(G, x, self.eos)
        if phase == "D":
            fake = self._fake(len(x), x.device)
            real_logit, fake_logit = D(x), D(fake)
            loss = (F.binary_cross_entropy_with_logits(real_logit, torch.ones_like(real_logit))
                    + F.binary_cross_entropy_with_logits(fake_logit, torch.zeros_like(fake_logit)))
            return loss, {"d_real": torch.sigmoid(real_logit).mean().detach(),
                          "d_fake": torch.sigmoid(fake_logit).mean().detach()}
        # phase G: REINFORCE with the Monte Carlo rewards (eq. 6-7)
        ids = self._fake(len(x), x.device)
        D.eval()  # rewards from D without its dropout: the same D a sample would be judged by
        try:
            q = self.rewards(ids)
        finally:
            D.train()
        mask = policy_mask(ids, self.eos)
        loss = -(G.log_probs(ids) * q * mask).sum() / len(ids)
        return loss, {"reward": q[:, -1].mean(), "g_len": mask.sum(1).mean()}  # mean D(sample), tokens per sample
