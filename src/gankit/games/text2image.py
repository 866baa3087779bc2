"""Text-to-image: GAN-INT-CLS's matching-aware D (Reed et al. 2016) with StackGAN's conditioning
augmentation and optional second stage (Zhang et al. 2017). The nets are in :mod:`..nets.text2image`.

Nets: ``E`` (the caption encoder), ``G`` (conditioning augmentation + stage-I generator), ``D``
(matching-aware D at stage I's size); with two stages also ``G2`` (its own conditioning
augmentation + the stage-II refiner) and ``D2`` (matching D at full size).

Phases of one step, with ``e = E(caption)`` and ``e~`` the batch's captions rolled by one (a real
image with somebody else's caption):

- ``D`` (trains D and E): ``BCE(D(x, e), 1) + 1/2 [BCE(D(x, e~), 0) + BCE(D(G(z, e), e), 0)]``,
  GAN-CLS's three kinds of pair, weighted as in StackGAN. Reed et al. pre-train their encoder; here
  E learns from this loss alone, the only one that can tell whether a caption fits an image;
- ``G``: ``BCE(D(G(z, e), e), 1) + kl * KL(N(mu, sigma^2) || N(0, I))`` with e detached (G learns
  to draw the caption, not to move it);
- with ``stages=2``, ``D2`` and ``G2``: the same on full-size images, G2 refining G's draft
  (detached, so each stage has its own objective). StackGAN trains stage II after stage I is
  done; here both train from the first step, stage I at half size (the real batch average-pooled
  2x), so one run gives both; StackGAN-v2 (Zhang et al. 2018) trains its stages jointly too.

``attributes=0`` is the class-conditional baseline of docs/text-to-image.md: the same nets and losses
with every caption replaced by its class's plain caption ("a sandal"), so G never hears of
darkness or width.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..nets.text2image import kl_divergence
from .base import Batch, Game, OptimSpec, Phase, StepInfo
from .sampler import LatentSampler


class TextConditionedGenerator(nn.Module):
    """One stage's G: text embedding -> conditioning augmentation -> ``net``. ``forward(z, e)``
    (stage I) or ``forward(draft, e)`` (stage II) -> images; ``last_kl`` is that call's KL term."""

    def __init__(self, augment: nn.Module, net: nn.Module):
        super().__init__()
        self.augment, self.net = augment, net
        self.last_kl: torch.Tensor | None = None

    def forward(self, z_or_draft: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        c, mu, logvar = self.augment(e)
        self.last_kl = kl_divergence(mu.float(), logvar.float())
        return self.net(z_or_draft, c)


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    logits = logits.float()
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


class TextToImageGame(Game):
    def __init__(self, E: nn.Module, G: nn.Module, D: nn.Module, latent, spec, class_tokens: torch.Tensor,
                 optim_g: OptimSpec, optim_d: OptimSpec, kl: float = 1.0, attributes: bool = True,
                 G2: nn.Module | None = None, D2: nn.Module | None = None):
        super().__init__()
        nets = {"E": E, "G": G, "D": D}
        if G2 is not None:
            nets.update(G2=G2, D2=D2)
        self.nets = nn.ModuleDict(nets)
        self.latent, self.spec = latent, spec
        self.optim_g, self.optim_d, self.kl, self.attributes = optim_g, optim_d, kl, attributes
        self.stages = 2 if G2 is not None else 1
        self.register_buffer("class_tokens", class_tokens.clone(), persistent=False)

    def phases(self) -> list[Phase]:
        phases = [Phase("D", ("D", "E"), self.optim_d, fresh_batch=True), Phase("G", ("G",), self.optim_g)]
        if self.stages == 2:
            phases += [Phase("D2", ("D2",), self.optim_d), Phase("G2", ("G2",), self.optim_g)]
        return phases

    def _text(self, batch: Batch) -> torch.Tensor:
        return batch["text"] if self.attributes else self.class_tokens[batch["y"]]

    def _stage1_real(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(x, 2) if self.stages == 2 else x

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, dict]:
        x, text = batch["x"], self._text(batch)
        z = self.latent.sample(x.shape[0], x.device)
        if phase == "D":
            D, e = self.nets["D"], self.nets["E"](text)
            real = self._stage1_real(x)
            with torch.no_grad():
                fake = self.nets["G"](z, e.detach())
            matched, mismatched, fake_score = D(real, e), D(real, e.roll(1, 0)), D(fake, e)
            loss = _bce(matched, 1.0) + 0.5 * (_bce(mismatched, 0.0) + _bce(fake_score, 0.0))
            return loss, {"d_loss": loss.detach(), "d_matched": torch.sigmoid(matched.float()).mean().detach(),
                          "d_mismatched": torch.sigmoid(mismatched.float()).mean().detach(),
                          "d_fake": torch.sigmoid(fake_score.float()).mean().detach()}
        with torch.no_grad():
            e = self.nets["E"](text)
        if phase == "G":
            G = self.nets["G"]
            fake = G(z, e)
            adversarial = _bce(self.nets["D"](fake, e), 1.0)
            return adversarial + self.kl * G.last_kl, {"g_loss": adversarial.detach(), "kl": G.last_kl.detach()}
        if phase in ("D2", "G2"):
            with torch.no_grad():
                draft = self.nets["G"](z, e)
            G2, D2 = self.nets["G2"], self.nets["D2"]
            if phase == "D2":
                with torch.no_grad():
                    fake = G2(draft, e)
                loss = _bce(D2(x, e), 1.0) + 0.5 * (_bce(D2(x, e.roll(1, 0)), 0.0) + _bce(D2(fake, e), 0.0))
                return loss, {"d2_loss": loss.detach()}
            adversarial = _bce(D2(G2(draft, e), e), 1.0)
            return adversarial + self.kl * G2.last_kl, {"g2_loss": adversarial.detach(), "kl2": G2.last_kl.detach()}
        raise KeyError(f"text2image has no phase {phase!r}")

    def sampler(self, nets: dict[str, nn.Module] | None = None) -> "TextSampler":
        nets = {**dict(self.nets.items()), **(nets or {})}
        return TextSampler(nets["E"], nets["G"], nets.get("G2"), self.latent, self.spec,
                           self.class_tokens.cpu(), self.attributes)


class TextSampler(LatentSampler):
    """Samples of a caption: ``{"z", "text"}`` (token ids) in, images out. Class labels still work
    (``--class k``, evaluation, the training grids): class k means its plain caption ("a sandal"),
    so every tool built for class-conditional models runs unchanged. ``captions(texts)`` turns
    strings into the tokens of the run's vocabulary (an unknown word is a one-line error)."""

    def __init__(self, E: nn.Module, G: nn.Module, G2: nn.Module | None, latent, spec, class_tokens: torch.Tensor,
                 attributes: bool = True):
        super().__init__(G, latent, spec, num_classes=spec.num_classes)
        self.E, self.G2, self.class_tokens, self.attributes = E, G2, class_tokens, attributes

    @property
    def vocab(self):
        from ..data.captions import Vocabulary

        return Vocabulary.from_list(self.spec.extra["vocab"], self.spec.extra["max_len"])

    def captions(self, texts: list[str]) -> torch.Tensor:
        return self.vocab.encode_all(list(texts))

    def fixed_inputs(self, n: int, seed: int | None = None, labels=None, texts: list[str] | None = None) -> Batch:
        """``{"z", "y", "text"}``: ``texts`` (one caption for all, or one each) or else the plain captions
        of ``labels`` (cycling through the classes when None)."""
        batch = super().fixed_inputs(n, seed, labels)
        if texts is None:
            batch["text"] = self.class_tokens[batch["y"]]
        else:
            tokens = self.captions(texts)
            batch["text"] = tokens.expand(n, -1).clone() if len(tokens) == 1 else tokens
            if len(batch["text"]) != n:
                raise ValueError(f"{len(texts)} captions for {n} samples")
        return batch

    def grid_inputs(self, n: int, seed: int, data=None) -> Batch:
        """A training grid: the captions of ``n`` fixed training images where the data has them (so
        the grid shows attributes as well as classes), else one row per class."""
        if data is not None and getattr(data, "tokens", None) is not None and len(data) >= n:
            idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n]
            batch = super().fixed_inputs(n, seed, data.labels[idx])
            batch["text"] = data.tokens[idx]
            return batch
        return self.fixed_inputs(n, seed)

    def embed(self, text: torch.Tensor) -> torch.Tensor:
        return self.E(text)

    @torch.no_grad()
    def generate(self, inputs: Batch, truncation: float | None = None, truncation_method: str = "shrink",
                 batch_size: int = 500, raw: bool = False, seed: int = 0,
                 truncation_cutoff: int | None = None) -> torch.Tensor:
        """Images of ``inputs["text"]`` (else of the plain captions of ``inputs["y"]``), eval mode:
        conditioning augmentation then gives its mean, one image per (caption, z)."""
        if truncation_cutoff is not None:
            from ..errors import GankitError

            raise GankitError("--truncation-cutoff picks the layers of a style-based G (stylegan); text2image "
                              "truncates z (drop --truncation-cutoff)")
        z = self.truncate(inputs["z"], truncation, truncation_method, seed)
        text = inputs.get("text")
        if text is None:
            text = self.class_tokens[self.labels(len(z), inputs.get("y"))]
        device = next(self.G.parameters()).device
        nets = [self.E, self.G] + ([self.G2] if self.G2 is not None else [])
        modes = [net.training for net in nets]
        for net in nets:
            net.eval()
        try:
            def decode(start: int) -> torch.Tensor:
                e = self.E(text[start:start + batch_size].to(device))
                image = self.G(z[start:start + batch_size].to(device), e)
                return self.G2(image, e) if self.G2 is not None else image

            return self._batched(len(z), batch_size, decode, raw)
        finally:
            for net, mode in zip(nets, modes):
                net.train(mode)

    def standing_statistics(self, batches: int | None = None, batch_size: int = 64, seed: int = 0) -> bool:
        """Batchnorm statistics of (EMA copies of) G and G2 from their own inputs: z and the embeddings of
        the class captions."""
        from ..ema import STANDING_BATCHES, standing_statistics

        device = next(self.G.parameters()).device
        batches = batches or STANDING_BATCHES

        @torch.no_grad()
        def inputs(second: bool):
            for i in range(batches):
                batch = self.fixed_inputs(batch_size, seed + i, self.random_labels(batch_size, seed + i))
                e = self.E(batch["text"].to(device))
                z = batch["z"].to(device)
                yield (self.G(z, e), e) if second else (z, e)

        done = standing_statistics(self.G, inputs(False))
        if self.G2 is not None:
            done = standing_statistics(self.G2, inputs(True)) or done
        return done
