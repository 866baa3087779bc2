"""A gankit plugin: your own spectral-norm discriminator, gankit's hinge loss, registered as ``my-sngan``.

    gankit train --plugin examples/my_sngan.py --model my-sngan --dataset fashion-mnist --steps 400 --out runs/mine
    gankit sample runs/mine --n 64 --out mine.png       # a new process: config.yaml names this file
    gankit eval runs/mine --n 2000 --metrics fid

Importing this file is all a plugin does: ``@register`` adds the recipe to gankit's table, and the run's
config.yaml records this file's absolute path, so every command that opens the run imports it again.
The walk-through, with measured numbers, is docs/extending.md.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gankit.errors import GankitError
from gankit.models import latent_game, register
from gankit.nets.factory import build_generator
from gankit.objectives import HingeGAN, Latent


class MySpectralD(nn.Module):
    """Two strided convs and a linear head, every weight divided by its largest singular value
    (Miyato et al. 2018), so D is 1-Lipschitz per layer and needs no batchnorm.

    gankit calls every D as ``D(x, y=None)`` on images in [-1, 1] and wants one logit per sample."""

    def __init__(self, channels: int, image_size: int, width: int = 64):
        super().__init__()
        self.body = nn.Sequential(
            spectral_norm(nn.Conv2d(channels, width, 4, 2, 1)), nn.LeakyReLU(0.1),
            spectral_norm(nn.Conv2d(width, 2 * width, 4, 2, 1)), nn.LeakyReLU(0.1),
            nn.Flatten(),
        )
        side = image_size // 4
        self.head = spectral_norm(nn.Linear(2 * width * side * side, 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.body(x)).squeeze(1)


@register(
    "my-sngan",
    summary="a plugin's own spectral-norm D against gankit's zoo G, hinge loss (examples/my_sngan.py)",
    paper="Miyato, Kataoka, Koyama & Yoshida 2018, Spectral Normalization for GANs (Table 1, setting C)",
    loss="D: E relu(1 - D(x)) + E relu(1 + D(G(z))); G: -E D(G(z))",
    arch="zoo", lr_g=2e-4, lr_d=2e-4, betas_g=[0.5, 0.999], betas_d=[0.5, 0.999], n_critic=1,
)
def my_sngan(spec, cfg):
    if spec.kind != "image" or spec.image_size % 4:
        raise GankitError(f"my-sngan draws images with a side divisible by 4, and {spec.name} is not "
                          "(use e.g. --dataset fashion-mnist)")
    G = build_generator(cfg.arch, spec, cfg.z_dim, cfg.width)  # gankit's own G, chosen by --arch
    D = MySpectralD(spec.channels, spec.image_size, cfg.width or 64)
    return latent_game(spec, cfg, G, D, HingeGAN(Latent(cfg.z_dim)))  # n_critic, EMA, --r1... for free
