"""Build a (G, D) pair by architecture name for a given data spec.

Architectures: ``mlp`` (any data), ``dcgan`` (square images of 28, 32 or 64).
``d_norm`` lets an objective forbid batch statistics in D (e.g. a gradient-penalty critic).
"""

from __future__ import annotations

from ..errors import GankitError
from .dcgan import SUPPORTED_SIZES, DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator

ARCHS = {
    "mlp": "fully connected G and D (3 hidden layers)",
    "dcgan": "DCGAN convnets (Radford et al. 2015) for 28, 32 or 64 pixel images",
}


def build_nets(arch: str, spec, z_dim: int, width: int | None = None, d_norm: str = "batch"):
    if arch == "mlp":
        hidden = width or (128 if spec.kind == "points" else 512)
        G = MLPGenerator(z_dim, spec.shape, hidden=hidden, image_output=spec.kind == "image")
        D = MLPDiscriminator(spec.shape, hidden=hidden)
        return G, D
    if arch == "dcgan":
        if spec.kind != "image":
            raise GankitError(f"--arch dcgan needs image data, and {spec.name} is 2D points (use --arch mlp)")
        if spec.image_size not in SUPPORTED_SIZES:
            raise GankitError(f"--arch dcgan supports image sizes {SUPPORTED_SIZES}, not {spec.image_size} "
                              "(pass --image-size 32 or 64)")
        width = width or 64
        G = DCGANGenerator(z_dim, spec.image_size, spec.channels, width)
        D = DCGANDiscriminator(spec.image_size, spec.channels, width, norm=d_norm)
        return G, D
    raise GankitError(f"unknown architecture {arch!r} (use one of: {', '.join(ARCHS)})")
