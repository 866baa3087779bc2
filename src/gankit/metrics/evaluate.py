"""Metrics of a set of samples: load the real side once, then run the registered metrics on it.

:func:`evaluate_samples` takes samples (uint8 images or 2-D points) and a data spec and knows
nothing of training or runs: it loads the real split (the dataset's *test* split by default, so
a generator that copies the training set gains nothing) and its features (cached, see
:mod:`gankit.metrics.cache`), builds a :class:`~gankit.metrics.registry.MetricContext` and calls
every applicable metric of :mod:`gankit.metrics.registry`. Drawing samples from a run and
writing ``eval.json`` is the layer above, :mod:`gankit.evaluation`; its ``evaluate``,
``fid_of_run`` and ``draw_samples`` are re-exported here so that older imports keep working.
"""

from __future__ import annotations

import importlib
import time

import torch

from ..errors import GankitError
from .registry import METRICS, REGISTRY, MetricContext

# the built-in metrics register themselves on import; importing them here, in this order, is what
# fixes the order of METRICS (and of ``--metrics all``): the package imports this module first
for _module in ("fid", "kid", "inception_score", "prdc", "swd", "coverage", "conditional", "memorization"):
    importlib.import_module(f".{_module}", __package__)

ALIASES = {"conditional": "cond", "cond_acc": "cond", "memorization": "memo", "prdc": "pr,dc", "all": ",".join(METRICS)}
SWD_MAX_IMAGES = 1000
MAX_REAL = 10000  # real samples compared against (Fashion-MNIST's test split is exactly 10k)


#: the fewest samples each metric is defined on (the others take any): FID's covariance and KID's unbiased
#: MMD need 2, precision/recall and density/coverage a k-th nearest neighbour other than the sample itself,
#: k = 5 (gankit.metrics.prdc)
MIN_SAMPLES = {"fid": 2, "kid": 2, "pr": 6, "dc": 6}


def parse_metrics(spec: str | list[str] | None) -> list[str]:
    """``"fid,kid"`` or ``["fid", "kid"]`` (or None: all) to a validated list of metric names."""
    if spec is None:
        return list(METRICS)
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names: list[str] = []
    for item in items:
        item = item.strip().lower()
        if not item:
            continue
        for name in ALIASES.get(item, item).split(","):
            if name not in METRICS:
                raise GankitError(f"unknown metric {name!r} (use any of: {', '.join(METRICS)}, or all)")
            if name not in names:
                names.append(name)
    if not names:
        raise GankitError("no metrics given (e.g. --metrics fid,kid)")
    return names


def check_sample_count(n: int, metrics: str | None, flag: str) -> None:
    """A one-line error when ``n`` samples are too few for one of ``metrics`` (None: all), naming the minimum."""
    names = parse_metrics(metrics)
    need = max(MIN_SAMPLES.get(name, 1) for name in names)
    if n < need:
        which = [name for name in names if MIN_SAMPLES.get(name, 1) == need]
        raise GankitError(f"{flag} {n} is too few samples: {' and '.join(which)} need{'s' * (len(which) == 1)} at "
                          f"least {need} (pass {flag} {need} or more; a few thousand give stable numbers)")


def applicable(names: list[str], spec, conditional: bool, has_logits: bool, explicit: bool) -> list[str]:
    """Drop metrics that do not apply to this run (from their registered flags); asking for one
    explicitly is an error."""
    keep = []
    for name in names:
        metric, reason = REGISTRY[name], None
        if metric.images_only and spec.kind != "image":
            reason = f"{name} needs images, {spec.name} is 2-D points"
        elif metric.needs_labels and not conditional:
            reason = f"{name} needs a class-conditional model"
        elif metric.needs_logits and spec.kind == "image" and not has_logits:
            reason = f"{name} needs class logits, which this feature extractor lacks"
        if reason:
            if explicit:
                raise GankitError(f"{reason} (drop it from --metrics)")
            continue
        keep.append(name)
    return keep


def evaluate_samples(samples: torch.Tensor, spec, metrics: list[str], *, labels: torch.Tensor | None = None,
                     dataset: str | None = None, data_root: str | None = None, split: str = "test",
                     extractor: str = "auto", classifier: str | None = None, inception_weights: str | None = None,
                     explicit: bool = False, use_cache: bool = True, seed: int = 0, warn=None,
                     kid_subsets: int = 100, kid_subset_size: int = 1000, swd_max_images: int = SWD_MAX_IMAGES,
                     max_real: int = MAX_REAL) -> dict:
    """Metrics of ``samples`` (uint8 images or float points) against the real ``split`` of the run's data.

    ``labels`` are the classes the samples were asked for (conditional models). Returns
    ``{"metrics": {...}, "info": {...}, "seconds": {...}}``.
    """
    from ..data import get_dataset
    from .cache import real_features
    from .features import get_extractor

    dataset = dataset or spec.name
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    real_ds = get_dataset(dataset, split, data_root, spec.image_size or None, spec.channels or None)
    if tuple(real_ds.spec.shape) != tuple(spec.shape):
        raise GankitError(f"the {split} split of {dataset} has shape {real_ds.spec.shape}, the samples "
                          f"{tuple(spec.shape)} (pass the run's --data-root)")
    if len(real_ds) > max_real:  # e.g. the toy mixtures' 100k test points: PR/DC cost grows with N_real x N
        real_ds = real_ds.subset(max_real, seed=0)
    info: dict = {"n": len(samples), "split": split, "dataset": dataset, "n_real": len(real_ds)}
    train_features = None
    if spec.kind == "image":
        ext = get_extractor(extractor, dataset, classifier, inception_weights, warn)
        info["extractor"] = {"name": ext.name, "id": ext.id, **{k: v for k, v in ext.info.items() if k != "class_names"}}
        real = real_features(dataset, split, real_ds.data, real_ds.labels, ext, use_cache)
        info["real_features_cached"] = real["cached"]
        seconds["real_features"] = time.perf_counter() - t0
        t = time.perf_counter()
        fake = ext(samples)
        seconds["sample_features"] = time.perf_counter() - t

        def train_features() -> dict:  # only memorization compares with the training split
            train_ds = get_dataset(dataset, "train", data_root, spec.image_size or None, spec.channels or None)
            return real_features(dataset, "train", train_ds.data, train_ds.labels, ext, use_cache)
    else:  # 2-D points: the coordinates are the features
        info["extractor"] = {"name": "points", "id": "points"}
        real = {"features": real_ds.data.float(), "logits": None}
        fake = {"features": samples.float(), "logits": None}
    names = applicable(metrics, spec, labels is not None, fake.get("logits") is not None, explicit)
    ctx = MetricContext(spec=spec, samples=samples, real_data=real_ds.data, real=real, fake=fake, labels=labels,
                        seed=seed, kid_subsets=kid_subsets, kid_subset_size=kid_subset_size,
                        swd_max_images=swd_max_images, train_features=train_features, info=info)
    out: dict = {}
    for name in names:
        t = time.perf_counter()
        out.update(REGISTRY[name].fn(ctx))
        seconds[name] = round(time.perf_counter() - t, 3)
    seconds["total"] = round(time.perf_counter() - t0, 3)
    seconds = {k: round(v, 3) for k, v in seconds.items()}
    return {"metrics": out, "info": info, "seconds": seconds}


# -- moved to gankit.evaluation (they draw samples from a run); imported lazily, as
# gankit.evaluation itself imports this module
def draw_samples(run, n: int, seed: int = 0):
    """Moved to :func:`gankit.evaluation.draw_samples`."""
    from ..evaluation import draw_samples as _draw_samples

    return _draw_samples(run, n, seed)


def evaluate(run, *args, **kwargs) -> dict:
    """Moved to :func:`gankit.evaluation.evaluate`."""
    from ..evaluation import evaluate as _evaluate

    return _evaluate(run, *args, **kwargs)


def fid_of_run(run, *args, **kwargs) -> float:
    """Moved to :func:`gankit.evaluation.fid_of_run`."""
    from ..evaluation import fid_of_run as _fid_of_run

    return _fid_of_run(run, *args, **kwargs)
