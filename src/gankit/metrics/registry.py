"""The metric registry: metric name -> the function that computes its output keys.

Each metric module registers its metric next to its pure function, so adding a metric is one
decorated function in one file; :func:`gankit.metrics.evaluate.evaluate_samples` loads the real
data and features once, builds a :class:`MetricContext` and runs every applicable registered
metric on it (after NVlabs stylegan2-ada's ``register_metric``: a dict filled by a decorator).

    @register_metric("mean_norm", "mean feature norm of the samples")
    def _mean_norm(ctx):
        return {"mean_norm": float(ctx.fake["features"].norm(dim=1).mean())}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch


@dataclass
class MetricContext:
    """Everything one evaluation knows; metrics read what they need from it.

    ``real``/``fake`` are ``{"features", "logits"}`` dicts (logits None for 2-D points, whose
    coordinates are the features). ``info`` is the result's info dict (a metric may add to it),
    ``cache`` is shared by the metrics of one evaluation (PR and DC share their distances).
    """

    spec: object  # the data spec of the samples (kind "image" or points, shape, num_classes, ...)
    samples: torch.Tensor  # uint8 images or float points
    real_data: torch.Tensor  # the real split compared against (images or points), capped
    real: dict
    fake: dict
    labels: torch.Tensor | None = None  # the classes the samples were asked for (conditional models)
    seed: int = 0
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    swd_max_images: int | None = 1000
    #: features of the *training* split, loaded on the first call (only memorization needs them)
    train_features: Callable[[], dict] | None = None
    info: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """A registered metric. The flags say when it applies (see :func:`gankit.metrics.evaluate.applicable`)."""

    name: str
    description: str
    fn: Callable[[MetricContext], dict]
    images_only: bool = False  # needs images (not 2-D points)
    needs_logits: bool = False  # on images, needs the extractor's class logits
    needs_labels: bool = False  # needs the requested classes (a class-conditional model)
    needs_features: bool = True  # on images, needs a feature extractor (SWD reads pixels: no classifier needed)


#: name -> Metric, in registration order (the order ``--metrics all`` runs and the CLI lists them)
REGISTRY: dict[str, Metric] = {}
#: name -> description (what it reports), kept in step with REGISTRY
METRICS: dict[str, str] = {}


def register_metric(name: str, description: str, *, images_only: bool = False, needs_logits: bool = False,
                    needs_labels: bool = False, needs_features: bool = True):
    """Decorator: register ``fn(ctx: MetricContext) -> dict`` as metric ``name``; returns ``fn`` unchanged.

    Two different functions under one name is an error (a silent overwrite would change what
    ``--metrics`` computes); re-registering the same function (a module reload) is not.
    """

    def decorator(fn: Callable[[MetricContext], dict]):
        old = REGISTRY.get(name)
        if old is not None and (old.fn.__module__, old.fn.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"metric {name!r} is already registered (by {REGISTRY[name].fn.__module__})")
        REGISTRY[name] = Metric(name, description, fn, images_only, needs_logits, needs_labels, needs_features)
        METRICS[name] = description
        return fn

    return decorator
