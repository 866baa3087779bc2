"""SRGAN (Ledig et al. 2017): super-resolution by a residual G, judged by D, guided by a content loss.

- warm start (``pretrain_steps``, the paper's SRResNet): G alone, on the pixel MSE to the original;
- then ``D``: ``BCE(D(y), 1) + BCE(D(G(x)), 0)``, and ``G``: ``content(G(x), y) + 1e-3 BCE(D(G(x)), 1)``,
  the content loss being the mean squared distance of feature maps of a frozen network
  (:mod:`gankit.nets.content`: the shipped domain classifier offline, VGG19's relu5_4 when its
  weights are on disk; ``mse`` falls back to pixels, the paper's SRGAN-MSE).

The feature network is no part of the Game's state (it is frozen and rebuilt from its own file),
so checkpoints hold only G and D.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import Batch, OptimSpec, Phase, StepInfo
from .translation import TranslationGame, bce_judgement, bce_loss


class SuperResolutionGame(TranslationGame):
    directions = {"AtoB": "G"}

    def __init__(self, G: nn.Module, D: nn.Module, spec, optim_g: OptimSpec, optim_d: OptimSpec,
                 content: nn.Module | None, adversarial: float = 1e-3, pretrain_steps: int = 0):
        super().__init__(spec)
        self.nets = nn.ModuleDict({"G": G, "D": D})
        self.optim_g, self.optim_d = optim_g, optim_d
        self._content = [content] if content is not None else []  # a list: outside the state_dict
        self.adversarial, self.pretrain_steps = adversarial, pretrain_steps

    def _warming(self, step: int) -> int:
        return 0 if step < self.pretrain_steps else 1

    def phases(self) -> list[Phase]:
        return [Phase("D", ("D",), self.optim_d, repeat=self._warming, fresh_batch=True),
                Phase("G", ("G",), self.optim_g)]  # the batch D saw (drawn here while D warms up)

    def content_loss(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        if not self._content:
            return (fake.float() - real.float()).pow(2).mean()
        net = self._content[0]
        if next(net.parameters()).device != fake.device:
            net.to(fake.device)
        with torch.no_grad():
            target = net(real)
        return (net(fake).float() - target.float()).pow(2).mean()

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, dict]:
        G, D = self.nets["G"], self.nets["D"]
        x, y = batch["input"], batch["target"]
        if phase == "D":
            with torch.no_grad():
                fake = G(x)
            return bce_judgement(D(y), D(fake))
        if phase == "G":
            fake = G(x)
            mse = (fake.float() - y.float()).pow(2).mean()
            if info.step < self.pretrain_steps:
                return mse, {"mse": mse.detach()}
            content = self.content_loss(fake, y)
            adversarial = bce_loss(D(fake), 1.0)
            return content + self.adversarial * adversarial, {"content": content.detach(), "g_adv": adversarial.detach(),
                                                              "mse": mse.detach()}
        raise KeyError(f"srgan has no phase {phase!r}")
