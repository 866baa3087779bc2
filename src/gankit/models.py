"""Named recipes: a model name -> networks + objective + optimizer defaults.

A variant is a composition along four axes (loss, regularizer, conditioning, network), and its
paper's defaults live here, next to its name, in one place. ``gankit models`` prints this table.
To add a variant: write its objective (if new) and register a recipe below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from .config import TrainConfig
from .data.base import DataSpec
from .errors import GankitError
from .nets.factory import build_nets
from .objectives import G_LOSSES, Latent, MinimaxGAN, Objective


@dataclass
class Recipe:
    generator: nn.Module
    discriminator: nn.Module
    objective: Objective
    n_critic: int = 1


@dataclass
class ModelInfo:
    name: str
    summary: str
    paper: str
    loss: str
    build: Callable[[DataSpec, TrainConfig], Recipe]
    defaults: dict = field(default_factory=dict)
    #: defaults that differ for 2D point data (small nets train faster with larger steps)
    point_defaults: dict = field(default_factory=dict)
    conditional: bool = False


MODELS: dict[str, ModelInfo] = {}

#: defaults every recipe starts from; a recipe overrides what its paper says
BASE_DEFAULTS = dict(
    arch="dcgan", width=None, z_dim=100, g_loss="non-saturating", n_critic=1,
    optim_g="adam", optim_d="adam", lr_g=2e-4, lr_d=2e-4, betas_g=[0.5, 0.999], betas_d=[0.5, 0.999],
)
POINT_DEFAULTS = dict(arch="mlp", z_dim=2, lr_g=1e-3, lr_d=1e-3)  # measured on ring8: see tests/test_learning.py


def register(name: str, summary: str, paper: str, loss: str, conditional: bool = False,
             point_defaults: dict | None = None, **defaults):
    def wrap(fn):
        MODELS[name] = ModelInfo(name, summary, paper, loss, fn, {**BASE_DEFAULTS, **defaults},
                                 {**POINT_DEFAULTS, **(point_defaults or {})}, conditional)
        return fn
    return wrap


def get_model(name: str) -> ModelInfo:
    if name not in MODELS:
        raise GankitError(f"unknown model {name!r} (run 'gankit models' to list them; e.g. {', '.join(MODELS)})")
    return MODELS[name]


def resolve(cfg: TrainConfig, spec: DataSpec) -> TrainConfig:
    """Fill every ``None`` model/optimizer field of ``cfg`` from the recipe's defaults."""
    info = get_model(cfg.model)
    defaults = dict(info.defaults)
    if spec.kind == "points":
        defaults.update(info.point_defaults)
    values = cfg.to_dict()
    for key, default in defaults.items():
        if values.get(key) is None:
            values[key] = list(default) if isinstance(default, (list, tuple)) else default
    resolved = TrainConfig(**values)
    if resolved.g_loss not in G_LOSSES:
        raise GankitError(f"unknown --g-loss {resolved.g_loss!r} (use one of: {', '.join(G_LOSSES)})")
    return resolved.validate()


def build_recipe(cfg: TrainConfig, spec: DataSpec) -> Recipe:
    """Build the nets and objective of a resolved config (see :func:`resolve`)."""
    return get_model(cfg.model).build(spec, cfg)


def build_optimizer(kind: str, params, lr: float, betas, fused: bool) -> torch.optim.Optimizer:
    params = list(params)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), fused=fused or None)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=betas[0] if betas else 0.0)
    raise GankitError(f"unknown optimizer {kind!r} (use adam, rmsprop or sgd)")


# --------------------------------------------------------------------------------------------
# The recipes
# --------------------------------------------------------------------------------------------

@register(
    "gan",
    summary="the original GAN with fully connected nets",
    paper="Goodfellow et al. 2014, Generative Adversarial Nets",
    loss="D: binary cross-entropy real vs fake; G: -log D(G(z)) (non-saturating), "
         "or log(1 - D(G(z))) with --g-loss minimax",
    arch="mlp",
)
def gan(spec: DataSpec, cfg: TrainConfig) -> Recipe:
    G, D = build_nets(cfg.arch, spec, cfg.z_dim, cfg.width)
    return Recipe(G, D, MinimaxGAN(Latent(cfg.z_dim), cfg.g_loss), cfg.n_critic)


@register(
    "dcgan",
    summary="deep convolutional GAN: strided convs, batchnorm, Adam(2e-4, beta1 0.5)",
    paper="Radford, Metz & Chintala 2015, Unsupervised Representation Learning with DCGANs",
    loss="same game as gan (non-saturating G loss)",
    arch="dcgan",
    point_defaults={"arch": "dcgan"},  # convnets only: on 2D points this is an error, not a silent MLP
)
def dcgan(spec: DataSpec, cfg: TrainConfig) -> Recipe:
    G, D = build_nets(cfg.arch, spec, cfg.z_dim, cfg.width)
    return Recipe(G, D, MinimaxGAN(Latent(cfg.z_dim), cfg.g_loss), cfg.n_critic)
