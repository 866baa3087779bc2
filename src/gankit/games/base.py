"""The contract between a GAN family and the Trainer: a :class:`Game` of named nets and phases.

A family states *what* it trains: its nets (``nets``, an ``nn.ModuleDict``), the optimizer
updates one generator step makes (``phases()``, in order) and the loss of each
(``loss(phase, batch, info)``). The Trainer decides *how*: it builds one optimizer per phase,
draws batches, freezes the nets a phase does not train, runs precision, EMA copies, the log
window and checkpoints. So CycleGAN's two G and two D, StyleGAN's lazy R1 phase or WGAN's
critic schedule are a family's own business, not branches in the loop (the shape of
stylegan2-ada's training loop, and of pytorch-CycleGAN-and-pix2pix's models, written anew here).

A Game calls its nets only as ``self.nets[name](...)`` (or their methods); its ``state_dict`` is
every net plus its own buffers (BEGAN's k_t...), so a checkpoint needs nothing else from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

#: one batch of named tensors: {"x", "y"} (images + labels) today; {"a", "b"} (unpaired) or
#: {"input", "target"} (paired) for translation families
Batch = dict[str, torch.Tensor]
#: detached scalars a loss reports; the Trainer logs their window means
Stats = dict[str, torch.Tensor]


@dataclass(frozen=True)
class StepInfo:
    """Where training is, handed to every loss and hook: schedules read it (fade-in, EMA, kimg)."""

    step: int    # generator steps done (the --steps unit)
    images: int  # real images drawn so far, checkpointed: schedules in kimg survive resume
    total: int   # the run's target step count


@dataclass(frozen=True)
class OptimSpec:
    """How the Trainer builds a phase's optimizer (``kind``: adam, rmsprop or sgd)."""

    kind: str
    lr: float
    betas: tuple[float, ...] = (0.5, 0.999)


def every_step(step: int) -> int:
    return 1


@dataclass(frozen=True)
class Phase:
    """One optimizer update the loop makes, ``repeat(step)`` times per generator step, in order.

    ``every`` > 1 makes it lazy (Karras et al. 2020, StyleGAN2): of the updates ``repeat`` asks
    for, only every ``every``-th one runs (the first one included), and the Game scales its loss
    by ``every`` so the regularizer keeps its weight on average. ``optim`` None shares the
    optimizer of the phase named ``shares``. ``fresh_batch``: each of its updates draws a new
    real batch (D phases); the others reuse the last batch drawn (G sees the labels D saw).
    ``keeps_graph``: nets the phase does not train but whose graph its loss keeps for a later phase
    (the D step's fakes, reused by the G step): the Trainer leaves them unfrozen for it.
    """

    name: str
    nets: tuple[str, ...]
    optim: OptimSpec | None
    shares: str | None = None
    every: int = 1
    repeat: Callable[[int], int] = every_step
    fresh_batch: bool = False
    keeps_graph: tuple[str, ...] = ()

    def __post_init__(self):
        if (self.optim is None) == (self.shares is None):
            raise ValueError(f"phase {self.name}: give exactly one of optim and shares")
        if self.every < 1:
            raise ValueError(f"phase {self.name}: every must be >= 1, not {self.every}")


class Game(nn.Module):
    """Base class of every family. Subclasses set ``self.nets`` and implement the methods below."""

    nets: nn.ModuleDict
    #: EMA copies the Trainer keeps: net name -> half-life in real images (e.g. {"G": 10_000})
    ema: dict[str, float]

    def __init__(self):
        super().__init__()
        self.ema = {}

    def phases(self) -> list[Phase]:
        raise NotImplementedError

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, Stats]:
        raise NotImplementedError

    def after_step(self, phase: str, info: StepInfo) -> None:
        """After a phase's optimizer step: weight clipping, BEGAN's k_t, fade-in alpha, image pools."""

    def sampler(self, nets: dict[str, nn.Module] | None = None):
        """The :class:`gankit.games.sampler.Sampler` of this family over ``nets`` (default: its own;
        the Trainer and a loaded run pass the EMA copies where they exist)."""
        raise NotImplementedError

    def parameters_of(self, phase: Phase) -> list[nn.Parameter]:
        """What a phase's optimizer updates: its nets' parameters (a Game may add heads of its own)."""
        return [p for name in phase.nets for p in self.nets[name].parameters()]

    def batch_size(self, info: StepInfo) -> int | None:
        """Real images the next batch should hold, or None for the run's --batch-size (ProGAN shrinks
        its batch as it grows)."""
        return None

    def lr_factor(self, phase: str, info: StepInfo) -> float:
        """What the phase's optimizer multiplies its learning rate by now (CycleGAN decays it linearly
        to zero over the second half); a pure function of ``info``, so a resumed run gets it right."""
        return 1.0

    def batches_per_step(self) -> int:
        """Real batches one generator step draws in steady state (turns --epochs into --steps)."""
        return 1
