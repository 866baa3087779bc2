"""GAN families: one file each, saying only how D and G losses are computed."""

from .acgan import ACGAN
from .base import Latent, Objective
from .began import BEGAN
from .dragan import DRAGAN
from .ebgan import EnergyGAN
from .hinge import HingeGAN
from .infogan import InfoGAN
from .lsgan import LeastSquaresGAN
from .minimax import G_LOSSES, MinimaxGAN
from .wgan import WassersteinGAN, WassersteinGP

__all__ = ["ACGAN", "BEGAN", "DRAGAN", "G_LOSSES", "EnergyGAN", "HingeGAN", "InfoGAN", "Latent",
           "LeastSquaresGAN", "MinimaxGAN", "Objective", "WassersteinGAN", "WassersteinGP"]
