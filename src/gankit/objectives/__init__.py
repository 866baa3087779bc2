"""GAN families: one file each, saying only how D and G losses are computed."""

from .base import Latent, Objective
from .minimax import G_LOSSES, MinimaxGAN

__all__ = ["G_LOSSES", "Latent", "MinimaxGAN", "Objective"]
