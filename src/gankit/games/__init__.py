"""Games: what a GAN family trains (named nets, phases, losses) and what a sample of it is.

See :mod:`gankit.games.base` for the contract and docs/architecture.md for how to add a family.
"""

from .base import Batch, Game, OptimSpec, Phase, Stats, StepInfo
from .latent import LatentGame
from .sampler import TRUNCATION_METHODS, LatentSampler, Sampler, class_rows

__all__ = ["Batch", "Game", "LatentGame", "LatentSampler", "OptimSpec", "Phase", "Sampler", "Stats", "StepInfo",
           "TRUNCATION_METHODS", "class_rows"]
