"""Build generators and discriminators by architecture name for a given data spec.

Architectures: ``mlp`` (any data), ``dcgan`` (square images of 28, 32 or 64), ``zoo`` (the
28x28 backbone every zoo model shares by default, see :mod:`gankit.nets.zoo`) and ``sngan`` (the
SNGAN paper's standard CNN, 28 or 32 pixels, spectral norm built in).
``d_norm`` lets an objective forbid batch statistics in D (e.g. a gradient-penalty critic:
``layer``) or ask for spectral norm on every D layer instead (``spectral``, SNGAN);
``extra_in`` widens D's input for conditioning by concatenation (extra channels for images,
extra features for points), ``autoencoder`` builds the reconstructing D of EBGAN/BEGAN.
"""

from __future__ import annotations

from ..errors import GankitError
from .autoencoder import mlp_autoencoder, zoo_autoencoder
from .dcgan import SUPPORTED_SIZES, DCGANDiscriminator, DCGANGenerator
from .mlp import MLPDiscriminator, MLPGenerator
from .sngan import SUPPORTED_SIZES as SNGAN_SIZES
from .sngan import SNGANDiscriminator, SNGANGenerator, spectral_norm_all
from .zoo import ZooDiscriminator, ZooGenerator

ARCHS = {
    "mlp": "fully connected G and D (3 hidden layers)",
    "dcgan": "DCGAN convnets (Radford et al. 2015) for 28, 32 or 64 pixel images",
    "zoo": "the 28x28 backbone of InfoGAN / Lucic et al. 2018: FC1024-128x7x7-deconvs; conv64-conv128-FC1024",
    "sngan": "the SNGAN paper's standard CNN (Miyato et al. 2018, Table 3) for 28 or 32 pixel images",
}


def _check(arch: str, spec) -> None:
    if arch not in ARCHS:
        raise GankitError(f"unknown architecture {arch!r} (use one of: {', '.join(ARCHS)})")
    if arch == "mlp":
        return
    if spec.kind != "image":
        raise GankitError(f"--arch {arch} needs image data, and {spec.name} is 2D points (use --arch mlp)")
    if arch == "dcgan" and spec.image_size not in SUPPORTED_SIZES:
        raise GankitError(f"--arch dcgan supports image sizes {SUPPORTED_SIZES}, not {spec.image_size} "
                          "(pass --image-size 32 or 64)")
    if arch == "sngan" and spec.image_size not in SNGAN_SIZES:
        raise GankitError(f"--arch sngan supports image sizes {SNGAN_SIZES}, not {spec.image_size} "
                          "(pass --image-size 32)")
    if arch == "zoo" and spec.image_size != 28:
        raise GankitError(f"--arch zoo is the 28x28 backbone, and the images are {spec.image_size}px "
                          "(use --arch dcgan for 32 or 64, or --image-size 28)")


def _mlp_hidden(spec, width):
    return width or (128 if spec.kind == "points" else 512)


def build_generator(arch: str, spec, z_dim: int, width: int | None = None):
    _check(arch, spec)
    if arch == "mlp":
        return MLPGenerator(z_dim, spec.shape, hidden=_mlp_hidden(spec, width), image_output=spec.kind == "image")
    if arch == "dcgan":
        return DCGANGenerator(z_dim, spec.image_size, spec.channels, width or 64)
    if arch == "sngan":
        return SNGANGenerator(z_dim, spec.image_size, spec.channels, width or 64)
    return ZooGenerator(z_dim, spec.channels, width or 64)


def build_discriminator(arch: str, spec, width: int | None = None, d_norm: str = "batch", extra_in: int = 0):
    _check(arch, spec)
    if arch == "sngan":
        return SNGANDiscriminator(spec.image_size, spec.channels + extra_in, width or 64)  # always spectral
    if d_norm == "spectral":
        return spectral_norm_all(build_discriminator(arch, spec, width, "none", extra_in))
    if arch == "mlp":
        shape = (spec.shape[0] + extra_in, *spec.shape[1:])
        return MLPDiscriminator(shape, hidden=_mlp_hidden(spec, width))
    channels = spec.channels + extra_in
    if arch == "dcgan":
        return DCGANDiscriminator(spec.image_size, channels, width or 64, norm=d_norm)
    return ZooDiscriminator(channels, width or 64, norm=d_norm)


def build_autoencoder(arch: str, spec, width: int | None = None, code_dim: int | None = None):
    _check(arch, spec)
    if arch == "mlp":
        hidden = _mlp_hidden(spec, width)
        return mlp_autoencoder(spec.shape, hidden, code_dim or (hidden // 2), image_output=spec.kind == "image")
    if arch == "zoo":
        return zoo_autoencoder(spec.channels, width or 64, code_dim or 64)
    raise GankitError(f"--arch {arch} has no autoencoder discriminator (use --arch zoo or mlp)")


def build_nets(arch: str, spec, z_dim: int, width: int | None = None, d_norm: str = "batch"):
    return build_generator(arch, spec, z_dim, width), build_discriminator(arch, spec, width, d_norm)
