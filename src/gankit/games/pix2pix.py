"""pix2pix (Isola et al. 2017): a conditional GAN on paired images, plus an L1 pull to the target.

D is a PatchGAN that judges the (input, image) pair, concatenated on channels: it asks "is this
the right output for this input?", patch by patch. G is a U-Net; its only noise is dropout.

- ``D``: ``1/2 [BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)]`` (the paper halves D's objective so D
  learns slower than G);
- ``G``: ``BCE(D(x, G(x)), 1) + lambda ||y - G(x)||_1`` (non-saturating; lambda 100).

Both phases use the same batch; the G phase runs G again (its weights are frozen during D's
update, so the D phase's G(x) carries no graph to reuse).
"""

from __future__ import annotations

import torch
from torch import nn

from .base import Batch, OptimSpec, Phase, StepInfo
from .translation import TranslationGame, bce_judgement, bce_loss


class Pix2PixGame(TranslationGame):
    directions = {"AtoB": "G"}

    def __init__(self, G: nn.Module, D: nn.Module, spec, optim_g: OptimSpec, optim_d: OptimSpec, l1: float = 100.0):
        super().__init__(spec)
        self.nets = nn.ModuleDict({"G": G, "D": D})
        self.optim_g, self.optim_d, self.l1 = optim_g, optim_d, l1

    def phases(self) -> list[Phase]:
        return [Phase("D", ("D",), self.optim_d, fresh_batch=True), Phase("G", ("G",), self.optim_g)]

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, dict]:
        G, D = self.nets["G"], self.nets["D"]
        x, y = batch["input"], batch["target"]
        if phase == "D":
            with torch.no_grad():
                fake = G(x)
            loss, stats = bce_judgement(D(torch.cat([x, y], 1)), D(torch.cat([x, fake], 1)))
            return 0.5 * loss, stats
        if phase == "G":
            fake = G(x)
            adversarial = bce_loss(D(torch.cat([x, fake], 1)), 1.0)
            l1 = (fake.float() - y.float()).abs().mean()
            return adversarial + self.l1 * l1, {"g_adv": adversarial.detach(), "l1": l1.detach()}
        raise KeyError(f"pix2pix has no phase {phase!r}")
