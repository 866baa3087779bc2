"""MaskGAN (Fedus, Goodfellow & Dai 2018, "MaskGAN: Better Text Generation via Filling in the ______").

Text GANs cannot backpropagate through sampled tokens, so MaskGAN makes the generator an agent: a
seq2seq G reads a text with contiguous blanks and writes every position, copying the tokens it was
given and sampling the blanked ones; a discriminator of the same shape, given the same blanked
context, says for every filled token how likely it is real; the reward of token t is r_t = log D(x_t),
its return R_t = sum_{s>=t} gamma^(s-t) r_s, and G follows REINFORCE with the advantage R_t - b_t,
b_t a learned critic's estimate of R_t (actor-critic: the baseline cuts the variance, and only the
filled tokens are actions). As in the paper, G is first pretrained by maximum likelihood on filling
the blanks (``mle_steps``); without it the policy gradient starts from noise and never finds words.

The phases, by generator step (``StepInfo.step``):

- ``step < mle_steps``: ``G_mle`` alone, the cross-entropy of the true tokens in the blanks;
- after: ``D`` (real text vs G's fills, on the blanked positions only), ``critic`` (squared error of b_t
  against the return), then ``G`` (REINFORCE), which waits ``d_warmup`` further steps so that its
  first rewards come from a discriminator that has learned something.

The fills of one step (a rollout of G) are drawn once and shared by its three adversarial phases, as
the paper's single rollout serves D, the critic and G.

Evaluation (:meth:`MaskFillSampler.evaluate`): the token accuracy of the fills against the held-out
truth, and perplexities of the blanks' tokens (of the truth under G; of a fill under any G, e.g. an
MLE-only one, as the paper scores samples under a language model).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..data.base import DataSpec
from ..errors import GankitError
from .base import Batch, Game, OptimSpec, Phase, StepInfo

#: the largest fill batch one call generates at once (memory is B x L x vocab logits per step at most)
FILL_BATCH = 500


# -- masking -------------------------------------------------------------------------------------
def maskable(x: torch.Tensor, spec: DataSpec) -> torch.Tensor:
    """Positions that hold a text token (not ``<pad>``/``<bos>``/``<eos>``): only those are blanked."""
    extra = spec.extra
    return (x != extra["pad"]) & (x != extra["bos"]) & (x != extra["eos"])


def contiguous_mask(x: torch.Tensor, spec: DataSpec, rate: float, spans: int = 1,
                    generator: torch.Generator | None = None) -> torch.Tensor:
    """bool (B, L), True where a token is blanked: ``round(rate * n)`` of a row's n text tokens (at least
    one), in ``spans`` contiguous runs (fewer when the row is too short to keep them apart).

    The paper's contiguous masking is one run (``spans`` 1): a whole phrase goes missing, which is harder
    than scattered letters and what in-filling is about. With several, the runs are near-equal in length
    and the gaps between them random (at least one kept token apart, so runs never merge). Drawn on the
    CPU from ``generator`` (the global RNG when None), so a seed names the same blanks on every machine.
    """
    ok = maskable(x, spec).cpu()
    n = ok.sum(1)
    k = torch.where(n > 0, (rate * n).round().long().clamp(min=1), 0).minimum(n)
    if spans == 1:  # vectorized: one run at a uniform offset among the row's n - k + 1 places
        offset = (torch.rand(len(n), generator=generator) * (n - k + 1)).long().minimum(n - k)
        rank = ok.long().cumsum(1) - 1  # a token's index among its row's text tokens
        out = ok & (rank >= offset[:, None]) & (rank < (offset + k)[:, None])
        return out.to(x.device)
    out = torch.zeros_like(ok)
    for row in range(x.shape[0]):
        where = ok[row].nonzero().flatten()
        nr, kr = len(where), int(k[row])
        if nr == 0:
            continue
        s = max(1, min(spans, kr, nr - kr + 1))  # s runs need s - 1 kept tokens between them
        lengths = [kr // s + (i < kr % s) for i in range(s)]
        extra = (nr - kr) - (s - 1)  # free kept tokens, shared among the s + 1 gaps
        cuts = torch.randperm(extra + s, generator=generator)[:s].sort().values.tolist()
        gaps = [c - i for i, c in enumerate(cuts)]  # stars and bars: s cut points -> cumulative gaps
        pos, prev = 0, 0
        for i, (g, length) in enumerate(zip(gaps, lengths)):
            pos += (g - prev) + (1 if i else 0)
            prev = g
            out[row, where[pos:pos + length]] = True
            pos += length
    return out.to(x.device)


def spans_of(mask_row: torch.Tensor) -> list[tuple[int, int]]:
    """The runs of True in a 1-D bool tensor as (start, end) pairs (end excluded)."""
    runs, start = [], None
    for i, m in enumerate(mask_row.tolist() + [False]):
        if m and start is None:
            start = i
        elif not m and start is not None:
            runs.append((start, i))
            start = None
    return runs


# -- returns -------------------------------------------------------------------------------------
def discounted_returns(rewards: torch.Tensor, gamma: float) -> torch.Tensor:
    """R_t = sum_{s>=t} gamma^(s-t) r_s along the last dim (rewards zero where nothing was decided)."""
    out = torch.zeros_like(rewards)
    running = torch.zeros_like(rewards[..., 0])
    for t in range(rewards.shape[-1] - 1, -1, -1):
        running = rewards[..., t] + gamma * running
        out[..., t] = running
    return out


def advantages(rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float) -> torch.Tensor:
    """A_t = R_t - b_t on the blanks (the actions), 0 elsewhere: REINFORCE's weight of log G(x_t)."""
    return (discounted_returns(rewards * mask, gamma) - values) * mask


def _masked_mean(v: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (v * mask).sum() / mask.sum().clamp(min=1)


# -- G's use -------------------------------------------------------------------------------------
def _shift(x: torch.Tensor, bos: int) -> torch.Tensor:
    """The decoder's input: the previous token at each position, ``<bos>`` first."""
    return torch.cat([torch.full_like(x[:, :1], bos), x[:, :-1]], 1)


def _ban_specials(logits: torch.Tensor, spec: DataSpec) -> torch.Tensor:
    """A blank holds a text token: ``<pad>``/``<bos>``/``<eos>`` get no probability (never sampled, never scored)."""
    banned = [spec.extra["pad"], spec.extra["bos"], spec.extra["eos"]]
    logits = logits.clone()
    logits[..., banned] = torch.finfo(logits.dtype).min  # finite: 0 * log p stays 0 in fp16 too
    return logits


def blank_out(G: nn.Module, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``x`` with its blanks replaced by G's mask token: what G and D are shown as context."""
    return x.masked_fill(mask, G.mask_id)


def g_logits(G: nn.Module, x: torch.Tensor, mask: torch.Tensor, spec: DataSpec) -> torch.Tensor:
    """G's next-token logits (B, L, V) at every position, teacher-forced on ``x`` (the truth or a fill)."""
    return _ban_specials(G(blank_out(G, x, mask), _shift(x, spec.extra["bos"])), spec)


@torch.no_grad()
def sample_fill(G: nn.Module, x: torch.Tensor, mask: torch.Tensor, spec: DataSpec, greedy: bool = False,
                temperature: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """``x`` with every blank filled by G, left to right (a blank's fill is fed to the next position):
    unmasked tokens are copied exactly, masked ones sampled (argmax when ``greedy``). The truth under the
    mask is never read (it is replaced by the mask token before G sees anything)."""
    ctx = G.encode(blank_out(G, x, mask))
    out = x.masked_fill(mask, spec.extra["pad"])
    prev = torch.full_like(x[:, 0], spec.extra["bos"])
    h = None
    for t in range(x.shape[1]):
        logits, h = G.step(ctx[:, t], prev, h)
        if mask[:, t].any():
            logits = _ban_specials(logits, spec)
            if greedy:
                tok = logits.argmax(-1)
            else:
                probs = torch.softmax(logits.float() / temperature, -1)
                tok = torch.multinomial(probs, 1, generator=generator)[:, 0]
            out[:, t] = torch.where(mask[:, t], tok, out[:, t])
        prev = out[:, t]
    return out


@torch.no_grad()
def span_nll(G: nn.Module, x: torch.Tensor, mask: torch.Tensor, spec: DataSpec) -> tuple[float, int]:
    """Summed negative log-likelihood (nats) of the tokens of ``x`` in the blanks under G, and their count."""
    logp = torch.log_softmax(g_logits(G, x, mask, spec).float(), -1).gather(-1, x.unsqueeze(-1))[..., 0]
    return float(-(logp * mask).sum()), int(mask.sum())


# -- the game ------------------------------------------------------------------------------------
class MaskGANGame(Game):
    """Nets ``G`` (the filler), ``D`` (per-token real/fake) and ``C`` (the critic); see the module docstring."""

    def __init__(self, G: nn.Module, D: nn.Module, C: nn.Module, spec: DataSpec, optim_g: OptimSpec,
                 optim_d: OptimSpec, optim_mle: OptimSpec, mask_rate: float = 0.5, spans: int = 1,
                 mle_steps: int = 1000, d_warmup: int = 0, discount: float = 0.89, d_steps: int = 1,
                 mle_weight: float = 0.0, entropy: float = 0.0):
        super().__init__()
        self.nets = nn.ModuleDict({"G": G, "D": D, "C": C})
        self.spec = spec
        self.optim_g, self.optim_d, self.optim_mle = optim_g, optim_d, optim_mle
        self.mask_rate, self.spans = mask_rate, spans
        self.mle_steps, self.d_warmup, self.discount, self.d_steps = mle_steps, d_warmup, discount, d_steps
        self.mle_weight, self.entropy = mle_weight, entropy
        self._rollout: tuple | None = None  # (key, x, mask, fill): one rollout per step, shared by its phases
        self._returns_cache: tuple | None = None  # (rewards, returns) of that rollout under D after D's update

    def phases(self) -> list[Phase]:
        mle, adv, g_from = self.mle_steps, self.mle_steps, self.mle_steps + self.d_warmup
        d_steps = self.d_steps
        return [
            Phase("G_mle", ("G",), self.optim_mle, repeat=lambda step: 1 if step < mle else 0),
            Phase("D", ("D",), self.optim_d, repeat=lambda step: d_steps if step >= adv else 0),
            Phase("critic", ("C",), self.optim_d, repeat=lambda step: 1 if step >= adv else 0),
            Phase("G", ("G",), self.optim_g, repeat=lambda step: 1 if step >= g_from else 0),
        ]

    def mask(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return contiguous_mask(x, self.spec, self.mask_rate, self.spans, generator)

    def _rollout_of(self, batch: Batch, info: StepInfo):
        x = batch["x"]
        key = (info.step, x.data_ptr(), x.shape)
        if self._rollout is None or self._rollout[0] != key:
            mask = self.mask(x)
            self._rollout = (key, x, mask, sample_fill(self.nets["G"], x, mask, self.spec))
            self._returns_cache = None
        return self._rollout[1:]

    def _returns(self, masked: torch.Tensor, fill: torch.Tensor, mask: torch.Tensor):
        """Per-token rewards log D(fill_t) on the blanks (0 elsewhere) and their discounted returns, computed
        once per rollout (by the critic's phase; D does not change before G's phase reads them)."""
        if self._returns_cache is None:
            with torch.no_grad():
                reward = F.logsigmoid(self.nets["D"](masked, fill)[..., 0].float()) * mask
                self._returns_cache = reward, discounted_returns(reward, self.discount)
        return self._returns_cache

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, dict]:
        G, spec = self.nets["G"], self.spec
        if phase == "G_mle":
            x = batch["x"]
            mask = self.mask(x)
            logits = g_logits(G, x, mask, spec).float()
            nll = F.cross_entropy(logits.transpose(1, 2), x, reduction="none")
            acc = (logits.argmax(-1) == x).float()
            m = mask.float()
            return _masked_mean(nll, m), {"g_mle_nll": _masked_mean(nll, m).detach(),
                                          "g_mle_acc": _masked_mean(acc, m).detach()}
        x, mask, fill = self._rollout_of(batch, info)
        m = mask.float()
        masked = blank_out(G, x, mask)
        if phase == "D":
            real = self.nets["D"](masked, x)[..., 0].float()
            fake = self.nets["D"](masked, fill)[..., 0].float()
            loss = (_masked_mean(F.binary_cross_entropy_with_logits(real, torch.ones_like(real), reduction="none"), m)
                    + _masked_mean(F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake), reduction="none"), m))
            return loss, {"d_real": _masked_mean(torch.sigmoid(real), m).detach(),
                          "d_fake": _masked_mean(torch.sigmoid(fake), m).detach()}
        reward, ret = self._returns(masked, fill, mask)
        if phase == "critic":
            value = self.nets["C"](masked, _shift(fill, spec.extra["bos"]))[..., 0].float()
            loss = _masked_mean((value - ret) ** 2, m)
            return loss, {"critic_mse": loss.detach()}
        if phase == "G":
            with torch.no_grad():
                value = self.nets["C"](masked, _shift(fill, spec.extra["bos"]))[..., 0].float()
                advantage = advantages(reward, value, m, self.discount)
            logp_all = torch.log_softmax(g_logits(G, fill, mask, spec).float(), -1)
            logp = logp_all.gather(-1, fill.unsqueeze(-1))[..., 0]
            loss = -_masked_mean(advantage * logp, m)
            stats = {"g_reward": _masked_mean(reward, m), "g_advantage": _masked_mean(advantage, m)}
            if self.entropy:
                ent = _masked_mean(-(logp_all.exp() * logp_all).sum(-1), m)
                loss = loss - self.entropy * ent
                stats["g_entropy"] = ent.detach()
            if self.mle_weight:
                nll = F.cross_entropy(g_logits(G, x, mask, spec).float().transpose(1, 2), x, reduction="none")
                loss = loss + self.mle_weight * _masked_mean(nll, m)
            return loss, stats
        raise KeyError(phase)

    def sampler(self, nets: dict[str, nn.Module] | None = None) -> MaskFillSampler:
        G = (nets or {}).get("G", self.nets["G"])
        return MaskFillSampler(G, self.spec, self.mask_rate, self.spans)


# -- the sampler ---------------------------------------------------------------------------------
class MaskFillSampler:
    """What a MaskGAN sample is: held-out texts with contiguous blanks, filled by G.

    ``fixed_inputs(n, seed)`` draws n texts of the dataset's test split (the training split where it
    has none, e.g. a Dataset made in memory) and their blanks: ``{"x": ids (n, L), "mask": bool (n, L)}``;
    ``x`` keeps the truth under the blanks for scoring, and :meth:`generate` never reads it.
    """

    conditional = False

    def __init__(self, G: nn.Module, spec: DataSpec, mask_rate: float, spans: int = 1):
        self.G, self.spec, self.mask_rate, self.spans = G, spec, mask_rate, spans
        self._texts: torch.Tensor | None = None

    def texts(self, data=None) -> torch.Tensor:
        """The held-out texts fills are drawn for: the test split of the run's dataset, else ``data``'s."""
        if self._texts is None:
            from ..data import get_dataset

            try:
                self._texts = get_dataset(self.spec.name, "test").data
            except GankitError:
                if data is None:
                    raise GankitError(f"{self.spec.name} has no test split to draw texts from (pass texts to "
                                      "fill(), or inputs with 'x' and 'mask' to generate())") from None
                self._texts = data.data
        return self._texts

    def check_count(self, n: int, flag: str = "--n") -> None:
        if n <= 0:
            raise GankitError(f"{flag} must be a positive integer, not {n} (e.g. {flag} 64)")

    def fixed_inputs(self, n: int, seed: int | None = None, labels=None, data=None) -> Batch:
        self.check_count(n)
        texts = self.texts(data)
        gen = torch.Generator().manual_seed(seed if seed is not None else int(torch.randint(2**31, ())))
        idx = torch.randint(len(texts), (n,), generator=gen) if n > len(texts) else \
            torch.randperm(len(texts), generator=gen)[:n]
        x = texts[idx].long()
        return {"x": x, "mask": contiguous_mask(x, self.spec, self.mask_rate, self.spans, gen)}

    def grid_inputs(self, n: int, seed: int, data=None) -> Batch:
        return self.fixed_inputs(n, seed, data=data)

    def standing_statistics(self, *args, **kwargs) -> bool:
        return False  # no batchnorm in these nets

    @torch.no_grad()
    def generate(self, inputs: Batch, greedy: bool = False, temperature: float = 1.0, seed: int = 0,
                 batch_size: int = FILL_BATCH, **opts) -> torch.Tensor:
        """Token ids long (n, L) on the CPU: ``inputs["x"]`` with its ``mask`` filled by G (sampled at
        ``temperature``, seeded; ``greedy`` takes the likeliest token)."""
        if opts.get("truncation") is not None:
            raise GankitError("maskgan samples tokens; truncation is for latent models (drop --truncation)")
        if not (temperature > 0 and math.isfinite(temperature)):
            raise GankitError(f"temperature must be a positive number, not {temperature} (e.g. 1.0)")
        device = next(self.G.parameters()).device
        gen = torch.Generator(device=device).manual_seed(seed)
        was = self.G.training
        self.G.eval()
        try:
            out = [sample_fill(self.G, x.to(device), m.to(device), self.spec, greedy, temperature, gen).cpu()
                   for x, m in zip(inputs["x"].split(batch_size), inputs["mask"].split(batch_size))]
        finally:
            self.G.train(was)
        return torch.cat(out)

    def preview(self, inputs: Batch):
        return self.generate(inputs), None

    def sample(self, n: int, seed: int | None = None, labels=None, **opts) -> torch.Tensor:
        return self.generate(self.fixed_inputs(n, seed), **opts)

    # -- for users ---------------------------------------------------------------------------
    def fill(self, texts: str | list[str], blank: str = "_", greedy: bool = False, temperature: float = 1.0,
             seed: int = 0) -> list[str]:
        """Texts with blanks (each ``blank`` character is one missing token) -> the texts filled by G,
        e.g. ``fill("ele__nt")`` -> ``["elephant"]``-like; every other character is kept as written.
        Pick a ``blank`` your texts do not otherwise use (fortunes contain ``_``: pass e.g. ``blank="\\x00"``)."""
        from ..data.text import decode, encode

        if len(blank) != 1:
            raise GankitError(f"blank is one character, not {blank!r} (e.g. blank='_')")
        texts = [texts] if isinstance(texts, str) else list(texts)
        if not texts:
            return []
        vocab = self.spec.extra["vocab"]
        stand_in = next(c for c in vocab[3:] if len(c) == 1)  # any real character, replaced by the mask
        x = encode([t.replace(blank, stand_in) for t in texts], self.spec)
        mask = torch.zeros_like(x, dtype=torch.bool)
        for row, t in enumerate(texts):
            mask[row, [i for i, c in enumerate(t) if c == blank]] = True
        return decode(self.generate({"x": x, "mask": mask}, greedy=greedy, temperature=temperature, seed=seed),
                      self.spec)

    def evaluate(self, n: int = 1000, seed: int = 0, greedy: bool = False, reference: nn.Module | None = None,
                 data=None) -> dict:
        """Fill-in-the-blank scores on ``n`` held-out texts with seeded blanks: ``accuracy`` (filled tokens
        equal to the truth), ``ppl_truth`` (perplexity of the true blank tokens under this G: what MLE
        optimizes) and ``ppl_fill_ref`` (perplexity of this G's fills under ``reference``, another G such
        as the MLE-pretrained one, default this G: how likely a language model finds the fills)."""
        inputs = self.fixed_inputs(n, seed, data=data)
        x, mask = inputs["x"], inputs["mask"]
        fill = self.generate(inputs, greedy=greedy, seed=seed)
        device = next(self.G.parameters()).device
        ref = reference if reference is not None else self.G
        was = self.G.training, ref.training
        self.G.eval(), ref.eval()
        try:
            nll_t, count = span_nll(self.G, x.to(device), mask.to(device), self.spec)
            nll_f, _ = span_nll(ref, fill.to(device), mask.to(device), self.spec)
        finally:
            self.G.train(was[0]), ref.train(was[1])
        return {"accuracy": float((fill == x)[mask].float().mean()), "ppl_truth": math.exp(nll_t / count),
                "ppl_fill_ref": math.exp(nll_f / count), "tokens": count}
