"""CycleGAN (Zhu et al. 2017) and DiscoGAN (Kim et al. 2017): two generators, two discriminators,
trained on unpaired sets A and B so that each mapping undoes the other.

``G: A -> B`` and ``F: B -> A``; ``D_B`` judges B images (real b against G(a)), ``D_A`` A images.
One G phase trains G and F together (one optimizer, as both papers), then one D phase trains
both Ds on the same batch and on the fakes the G phase made:

- G phase: ``adv(D_B(G(a)), real) + adv(D_A(F(b)), real)
  + cycle * [d(F(G(a)), a) + d(G(F(b)), b)] + identity * [|G(b) - b|_1 + |F(a) - a|_1]``;
- D phase: for each D, ``1/2 [adv(D(real), real) + adv(D(pool(fake)), fake)]``.

CycleGAN: least-squares ``adv`` (targets 1/0), ``d`` = L1, cycle 10, identity 0.5 * 10, image
pools of 50, lr decaying linearly to 0 over the second half. DiscoGAN: cross-entropy ``adv``,
``d`` = squared error (the paper's reconstruction loss), weight 1, no identity term, no pool,
no decay. The identity term needs A and B with the same channel count.
"""

from __future__ import annotations

import torch
from torch import nn

from .base import Batch, OptimSpec, Phase, StepInfo
from .translation import ImagePool, TranslationGame, bce_loss, linear_decay, lsgan_loss

ADVERSARIAL = {"lsgan": lsgan_loss, "bce": bce_loss}


def cycle_distance(name: str, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """How far a reconstruction is from its original: mean |x - y| ("l1") or (x - y)^2 ("mse")."""
    diff = x.float() - y.float()
    return diff.abs().mean() if name == "l1" else diff.pow(2).mean()


class CycleGame(TranslationGame):
    directions = {"AtoB": "G", "BtoA": "F"}

    def __init__(self, G: nn.Module, F: nn.Module, D_A: nn.Module, D_B: nn.Module, spec, optim_g: OptimSpec,
                 optim_d: OptimSpec, adversarial: str = "lsgan", cycle: float = 10.0, distance: str = "l1",
                 identity: float = 5.0, pool_size: int = 50, decay: bool = True):
        super().__init__(spec)
        self.nets = nn.ModuleDict({"G": G, "F": F, "D_A": D_A, "D_B": D_B})
        self.optim_g, self.optim_d = optim_g, optim_d
        self.adversarial, self.adv = adversarial, ADVERSARIAL[adversarial]
        self.cycle, self.distance, self.identity, self.decay = cycle, distance, identity, decay
        self.pool_a = ImagePool(pool_size, tuple(spec.extra["a_shape"]))
        self.pool_b = ImagePool(pool_size, tuple(spec.extra["b_shape"]))
        self._fakes: dict[str, torch.Tensor] = {}  # this step's G(a), F(b), for the D phase

    def phases(self) -> list[Phase]:
        return [Phase("G", ("G", "F"), self.optim_g, fresh_batch=True), Phase("D", ("D_A", "D_B"), self.optim_d)]

    def lr_factor(self, phase: str, info: StepInfo) -> float:
        return linear_decay(info) if self.decay else 1.0

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, dict]:
        # paired data trains it too: no loss here compares a[i] with b[i], so the pairing is unused
        a, b = batch.get("a", batch.get("input")), batch.get("b", batch.get("target"))
        if phase == "G":
            return self._generator_loss(a, b)
        if phase == "D":
            return self._discriminator_loss(a, b)
        raise KeyError(f"{type(self).__name__} has no phase {phase!r}")

    def _generator_loss(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, dict]:
        n = self.nets
        fake_b, fake_a = n["G"](a), n["F"](b)
        adversarial = self.adv(n["D_B"](fake_b), 1.0) + self.adv(n["D_A"](fake_a), 1.0)
        cycle = cycle_distance(self.distance, n["F"](fake_b), a) + cycle_distance(self.distance, n["G"](fake_a), b)
        loss = adversarial + self.cycle * cycle
        stats = {"g_adv": adversarial.detach(), "cycle": cycle.detach()}
        if self.identity > 0:
            identity = cycle_distance("l1", n["G"](b), b) + cycle_distance("l1", n["F"](a), a)
            loss = loss + self.identity * identity
            stats["identity"] = identity.detach()
        self._fakes = {"a": fake_a.detach(), "b": fake_b.detach()}
        return loss, stats

    def _discriminator_loss(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, dict]:
        n = self.nets
        if not self._fakes:  # a D phase without its G phase (never in training; kept safe)
            with torch.no_grad():
                self._fakes = {"a": n["F"](b), "b": n["G"](a)}
        fake_a, fake_b = self.pool_a.query(self._fakes["a"]), self.pool_b.query(self._fakes["b"])
        self._fakes = {}
        real_a, real_b = n["D_A"](a), n["D_B"](b)
        fake_la, fake_lb = n["D_A"](fake_a), n["D_B"](fake_b)
        loss = 0.5 * (self.adv(real_a, 1.0) + self.adv(fake_la, 0.0)) + 0.5 * (self.adv(real_b, 1.0)
                                                                             + self.adv(fake_lb, 0.0))
        squash = torch.sigmoid if self.adversarial == "bce" else (lambda t: t)
        d_real = 0.5 * (squash(real_a.detach().float()).mean() + squash(real_b.detach().float()).mean())
        d_fake = 0.5 * (squash(fake_la.detach().float()).mean() + squash(fake_lb.detach().float()).mean())
        return loss, {"d_real": d_real, "d_fake": d_fake}
