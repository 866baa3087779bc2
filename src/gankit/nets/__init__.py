"""Networks only: nn.Modules that know nothing of losses or training.

Every generator is called as ``G(z, y=None)`` and every discriminator as ``D(x, y=None)``,
returning one logit (or critic value) per sample. Discriminators also expose
``D.features(x, y)`` (the last hidden layer) and ``D.feature_dim``, so that objectives can add
heads (auxiliary classifier, InfoGAN's Q) or match features without knowing the architecture.
"""

from .autoencoder import AutoencoderD
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator
from .zoo import ZooDiscriminator, ZooGenerator

__all__ = ["AutoencoderD", "DCGANDiscriminator", "DCGANGenerator", "MLPDiscriminator", "MLPGenerator",
           "ZooDiscriminator", "ZooGenerator"]
