"""Optimizers by name, as a phase's :class:`~gankit.games.base.OptimSpec` asks for them."""

from __future__ import annotations

import torch

from .errors import GankitError


def build_optimizer(kind: str, params, lr: float, betas, fused: bool) -> torch.optim.Optimizer:
    params = list(params)
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(betas), fused=fused or None)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=betas[0] if betas else 0.0)
    raise GankitError(f"unknown optimizer {kind!r} (use adam, rmsprop or sgd)")
