"""``LatentGame``: one G fed with z (plus a class or codes), one D, the classic zoo's game.

It puts a zoo objective (``gankit.objectives``: how D's and G's losses are computed) behind the
Game interface unchanged, so the zoo moved here without being rewritten. Its phases, in order:

- ``D``: ``n_critic`` updates per generator step (WGAN's warm-up schedule where asked), each on
  a fresh real batch; trains D and the objective's own D-side heads (ACGAN's classifier, InfoGAN's Q).
- ``Dreg`` (with ``r1`` > 0): the R1 penalty (Mescheder et al. 2018), ``r1/2 E||grad_x D(x)||^2``
  on the last real batch, lazily: every ``r1_every``-th D update, scaled by ``r1_every``, with D's
  optimizer (StyleGAN2's lazy regularization).
- ``G``: one update, on the labels (and, for feature matching, the real images) of D's last batch;
  with ``reuse_fakes`` (one D step per G step), on the fakes of that D step too
  (:meth:`~gankit.objectives.base.Objective.fake_for_generator`).

With an ``augment`` module (``--diffaugment``, ``--ada``), every loss sees D through an
:class:`~gankit.games.augmented.AugmentedView`; ADA's probability is steered from D's outputs on the
real batches of the D phase, and lives in the Game's state (so in every checkpoint).
"""

from __future__ import annotations

from functools import partial

import torch
from torch import nn

from ..critic_schedule import critic_steps
from ..errors import GankitError
from ..objectives.base import Objective
from ..objectives.penalties import r1_penalty
from .augmented import AugmentedView
from .base import Batch, Game, OptimSpec, Phase, StepInfo
from .sampler import LatentSampler

R1_EVERY = 16  # StyleGAN2's lazy R1 interval


class LatentGame(Game):
    def __init__(self, G: nn.Module, D: nn.Module, objective: Objective, spec, optim_g: OptimSpec,
                 optim_d: OptimSpec, n_critic: int = 1, critic_warmup: bool = False, r1: float = 0.0,
                 r1_every: int = R1_EVERY, ema: dict[str, float] | None = None, augment: nn.Module | None = None,
                 reuse_fakes: bool = False):
        super().__init__()
        self.nets = nn.ModuleDict({"G": G, "D": D})
        self.objective = objective
        self.spec = spec
        self.optim_g, self.optim_d = optim_g, optim_d
        self.n_critic, self.critic_warmup = n_critic, critic_warmup
        self.r1, self.r1_every = r1, r1_every
        self.ema = dict(ema or {})
        self.augment = augment  # a submodule when set: ADA's p is saved with the game
        objective.reuse_fakes = reuse_fakes  # G's step on D's fakes (Objective.fake_for_generator)

    @property
    def latent(self):
        return self.objective.latent

    def phases(self) -> list[Phase]:
        critic = partial(critic_steps, n_critic=self.n_critic, warmup=self.critic_warmup)
        # reused fakes: G's graph is built in the D phase, so G stays unfrozen there
        keep = ("G",) if self.objective.reuse_fakes else ()
        phases = [Phase("D", ("D",), self.optim_d, repeat=critic, fresh_batch=True, keeps_graph=keep)]
        if self.r1 > 0:
            phases.append(Phase("Dreg", ("D",), None, shares="D", every=self.r1_every, repeat=critic))
        phases.append(Phase("G", ("G",), self.optim_g))
        return phases

    def parameters_of(self, phase: Phase) -> list[nn.Parameter]:
        own = super().parameters_of(phase)
        if phase.name == "G":
            return own + self.objective.generator_parameters()
        return own + self.objective.discriminator_parameters()

    def batches_per_step(self) -> int:
        return self.n_critic

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, dict]:
        G, D = self.nets["G"], self.nets["D"]
        real, labels = batch["x"], batch.get("y")
        if self.augment is not None:
            D = AugmentedView(D, self.augment, watch=real if phase == "D" else None)
        if phase == "D":
            loss, stats = self.objective.discriminator_loss(G, D, real, labels)
            if hasattr(self.augment, "observe"):
                stats = {**stats, **self._steer_ada(D)}
            return loss, stats
        if phase == "G":
            return self.objective.generator_loss(G, D, real.shape[0], labels, real.device, real=real)
        if phase == "Dreg":
            r1 = r1_penalty(D, real, labels)
            return (0.5 * self.r1 * self.r1_every) * r1, {"r1": r1.detach()}
        raise KeyError(f"LatentGame has no phase {phase!r}")

    def _steer_ada(self, view: AugmentedView) -> dict:
        if not view.real_logits:
            raise GankitError(f"--ada steers p by D's outputs on real images, which {type(self.objective).__name__} "
                              "does not compute through D or its head (use --diffaugment)")
        self.augment.observe(torch.cat([t.flatten() for t in view.real_logits]))
        return self.augment.stats()

    def after_step(self, phase: str, info: StepInfo) -> None:
        if phase == "D":
            self.objective.after_discriminator_step(self.nets["D"])
        if phase == "G":
            self.objective._kept = None  # a G loss that did not take D's fakes must not keep their graph

    def sampler(self, nets: dict[str, nn.Module] | None = None) -> LatentSampler:
        G = (nets or {}).get("G", self.nets["G"])
        codes = hasattr(self.latent, "n_cat")  # InfoGAN: labels pin the categorical code
        if codes:
            num_classes = self.latent.n_cat
        else:
            num_classes = self.spec.num_classes if self.objective.conditional else 0
        return LatentSampler(G, self.latent, self.spec, num_classes, codes)
