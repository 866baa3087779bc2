"""Metrics of a set of samples: load the real side once, then run the registered metrics on it.

:func:`evaluate_samples` takes samples and a dataset (its name, or the data spec of a run) and
knows nothing of training or runs: it accepts images in the layouts other codebases save
(:func:`as_samples`: (N, H, W), (N, H, W, C) or (N, C, H, W); uint8, or float in [0, 1] or
[-1, 1]), loads the real split (the dataset's *test* split by default, so a generator that copies
the training set gains nothing) and its features (cached, see :mod:`gankit.metrics.cache`), builds a
:class:`~gankit.metrics.registry.MetricContext` and calls every applicable metric of
:mod:`gankit.metrics.registry`. It is the one scoring path: ``gankit eval RUN`` draws samples and
calls it (:mod:`gankit.evaluation`, which also writes ``eval.json``), ``gankit score FILE`` reads
them from a file and calls it. ``evaluate``, ``fid_of_run`` and ``draw_samples`` are re-exported
here so that older imports keep working.
"""

from __future__ import annotations

import importlib
import sys
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


def check_sample_count(n: int, metrics: str | list[str] | None, flag: str = "--n", source: str | None = None) -> None:
    """A one-line error when ``n`` samples are too few for one of ``metrics`` (None: all), naming the minimum.

    ``flag`` is the option that set ``n`` (the fix is a larger value of it); ``source`` instead
    names the file or array the samples came from (the fix is more samples in it)."""
    names = parse_metrics(metrics)
    need = max(MIN_SAMPLES.get(name, 1) for name in names)
    if n >= need:
        return
    which = [name for name in names if MIN_SAMPLES.get(name, 1) == need]
    if source is not None:
        raise GankitError(f"{source}: too few samples ({n}): {' and '.join(which)} need{'s' * (len(which) == 1)} "
                          f"at least {need} (give {need} or more; a few thousand give stable numbers)")
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
            reason = f"{name} needs the class each sample was drawn for, which only a class-conditional model has"
        elif metric.needs_logits and spec.kind == "image" and not has_logits:
            reason = f"{name} needs class logits, which this feature extractor lacks"
        if reason:
            if explicit:
                raise GankitError(f"{reason} (drop it from --metrics)")
            continue
        keep.append(name)
    return keep


#: float samples may overshoot their range by this much (float32 rounding of x / 255 and the like)
RANGE_SLACK = 1e-4


def _accepted(spec) -> str:
    """What :func:`as_samples` takes for this dataset: the fix part of every error about a layout."""
    if spec.kind != "image":
        return f"give N points as an (N, {spec.shape[0]}) array of floats"
    c, h, w = spec.shape
    layouts = ("(N, H, W), (N, H, W, C) or (N, C, H, W) with C 1 (or 3 equal channels)" if c == 1
               else "(N, H, W, 3) or (N, 3, H, W)")
    return f"give N images as {layouts} and H x W {h}x{w}, uint8 0..255 or float in [0, 1] or [-1, 1]"


def as_samples(samples, spec, source: str = "the samples") -> torch.Tensor:
    """``samples`` (a tensor or NumPy array) as the metrics take them: uint8 (N, C, H, W) images of
    the dataset's shape, or float (N, dim) points. Images may come as (N, H, W), (N, H, W, C) or
    (N, C, H, W); uint8 (or integers 0..255), float in [0, 1] (read so when no value is negative)
    or in [-1, 1] (a generator's tanh range). RGB images whose three channels are equal count as
    gray (many tools save gray PNGs as RGB); nothing else is converted, and nothing is resized.

    Why so strict: a guessed layout, value range or resampling gives a plausible but meaningless
    score, while an error naming the accepted layouts (``source``: the file they came from) costs
    one re-save.
    """
    accepted = _accepted(spec)
    samples = _as_tensor(samples, source, accepted)
    shape = tuple(samples.shape)
    if spec.kind != "image":
        if samples.dim() != 2 or shape[1] != spec.shape[0] or not len(samples):
            raise GankitError(f"{source}: shape {shape} is not N points of {spec.name} ({accepted})")
        if not torch.isfinite(samples.float()).all():
            raise GankitError(f"{source}: holds NaN or infinite values (replace them; {accepted})")
        return samples.float()
    c, h, w = spec.shape
    if samples.dim() == 3:
        samples = samples.unsqueeze(1)
    elif samples.dim() == 4:
        channels_first = shape[1] in (1, 3) and (shape[3] not in (1, 3) or shape[2:] == (h, w))
        if not channels_first:
            if shape[3] not in (1, 3):
                raise GankitError(f"{source}: shape {shape} has no channel axis of size 1 or 3 "
                                  f"(drop the alpha channel of RGBA images; {accepted})")
            samples = samples.permute(0, 3, 1, 2)
    else:
        raise GankitError(f"{source}: shape {shape} is not a batch of images ({accepted})")
    if not len(samples):
        raise GankitError(f"{source}: shape {shape} holds no images ({accepted})")
    if tuple(samples.shape[2:]) != (h, w):
        raise GankitError(f"{source}: the images are {samples.shape[2]}x{samples.shape[3]}, those of {spec.name} "
                          f"{h}x{w} (resize them to {h}x{w} first: gankit does not resample samples, as the "
                          f"filter would change the score; {accepted})")
    samples = _to_uint8(samples, source, accepted)
    if samples.shape[1] != c:
        if c == 3:
            raise GankitError(f"{source}: the images are gray, {spec.name} is RGB (gray samples of color data are "
                              f"refused, not tiled: repeat the channel yourself if you mean it; {accepted})")
        if not (samples == samples[:, :1]).all():
            raise GankitError(f"{source}: the images are in color (3 channels that differ), {spec.name} is gray "
                              f"(convert them to gray first, or compare them with a color dataset; {accepted})")
        samples = samples[:, :1]
    return samples.contiguous()


def _as_tensor(samples, source: str, accepted: str) -> torch.Tensor:
    """A tensor of numbers (NumPy integers other than uint8 range-checked here: torch lacks some of them)."""
    import numpy as np

    if isinstance(samples, np.ndarray):
        if samples.dtype.kind not in "iuf":
            raise GankitError(f"{source}: dtype {samples.dtype} is not a number type ({accepted})")
        if samples.dtype.kind in "iu" and samples.dtype != np.uint8:
            lo, hi = (int(samples.min()), int(samples.max())) if samples.size else (0, 0)
            if lo < 0 or hi > 255:
                raise GankitError(f"{source}: integer values span {lo}..{hi}, outside 0..255 ({accepted})")
            samples = samples.astype(np.uint8)
        return torch.from_numpy(np.ascontiguousarray(samples))
    if not isinstance(samples, torch.Tensor):
        raise GankitError(f"{source}: a {type(samples).__name__}, not an array (pass a NumPy array or a "
                          f"torch tensor; {accepted})")
    if samples.dtype == torch.bool or samples.is_complex():
        raise GankitError(f"{source}: dtype {samples.dtype} is not a number type ({accepted})")
    return samples.detach().cpu()


def _to_uint8(x: torch.Tensor, source: str, accepted: str) -> torch.Tensor:
    """uint8 images from uint8, integers 0..255, or floats in [0, 1] or [-1, 1]; other ranges refused."""
    from ..data.base import to_uint8

    if x.dtype == torch.uint8:
        return x
    if not x.is_floating_point():
        lo, hi = int(x.min()), int(x.max())
        if lo < 0 or hi > 255:
            raise GankitError(f"{source}: integer values span {lo}..{hi}, outside 0..255 ({accepted})")
        return x.to(torch.uint8)
    if not torch.isfinite(x).all():
        raise GankitError(f"{source}: holds NaN or infinite values (replace them; {accepted})")
    lo, hi = float(x.min()), float(x.max())
    if lo >= -RANGE_SLACK and hi <= 1 + RANGE_SLACK:  # [0, 1]
        return x.float().clamp(0, 1).mul_(255).round_().to(torch.uint8)
    if lo >= -1 - RANGE_SLACK and hi <= 1 + RANGE_SLACK:  # [-1, 1], as gankit's own samples
        return to_uint8(x)
    raise GankitError(f"{source}: float values span {lo:.4g}..{hi:.4g}, outside [0, 1] and [-1, 1] (rescale "
                      f"them, e.g. divide 0..255 floats by 255, or save uint8; {accepted})")


def _real_split(data, dataset: str | None, split: str, data_root: str | None, max_real: int):
    """(the samples' data spec, the dataset's name, its real ``split``): from a run's spec (``data``;
    the real images adapted to the run's size and channels) or from a dataset name (its own spec)."""
    from ..data import get_dataset

    if data is not None and hasattr(data, "kind"):  # a run's DataSpec
        spec, dataset = data, dataset or data.name
        real = get_dataset(dataset, split, data_root, spec.image_size or None, spec.channels or None)
        if tuple(real.spec.shape) != tuple(spec.shape):
            raise GankitError(f"the {split} split of {dataset} has shape {real.spec.shape}, the samples "
                              f"{tuple(spec.shape)} (pass the run's --data-root)")
    else:
        dataset = str(data or dataset or "")
        if not dataset:
            raise GankitError("no dataset to compare the samples with (pass its name, e.g. "
                              "evaluate_samples(images, 'fashion-mnist'); gankit datasets lists them)")
        real = get_dataset(dataset, split, data_root)
        if hasattr(real, "paired"):
            raise GankitError(f"{dataset} is a translation task, whose outputs are scored against its test pairs "
                              f"(use gankit eval RUN for a translation run, or score against an image dataset)")
        spec = real.spec
    if len(real) > max_real:  # e.g. the toy mixtures' 100k test points: PR/DC cost grows with N_real x N
        real = real.subset(max_real, seed=0)
    return spec, dataset, real


def evaluate_samples(images, data=None, metrics: str | list[str] | None = None, *, dataset: str | None = None,
                     split: str = "test", extractor: str = "auto", classifier: str | None = None, seed: int = 0,
                     labels=None, data_root: str | None = None, inception_weights: str | None = None,
                     explicit: bool | None = None, use_cache: bool = True, warn=None, source: str = "the samples",
                     kid_subsets: int = 100, kid_subset_size: int = 1000, swd_max_images: int = SWD_MAX_IMAGES,
                     max_real: int = MAX_REAL) -> dict:
    """Metrics of ``images`` against the real ``split`` of a dataset: the scoring behind both
    ``gankit eval`` and ``gankit score``.

    ``data`` is the dataset's name (``"fashion-mnist"``, a folder; or pass ``dataset=``) or, from a
    run, its :class:`~gankit.data.DataSpec` (the real images are then adapted to the run's size).
    ``images``: see :func:`as_samples` for the accepted layouts and ranges. ``metrics``: names or
    ``"fid,kid"``; None runs every metric that applies, while naming one that does not apply (e.g.
    ``cond`` without ``labels``, the classes the samples were drawn for) is an error unless
    ``explicit=False``. ``source`` names the samples in error messages. Features come from the same
    extractor and cache as ``gankit eval``, so the numbers are comparable with a run's ``eval.json``.

    Returns ``{"metrics": {...}, "info": {...}, "seconds": {...}}``.
    """
    from .cache import real_features

    names = parse_metrics(metrics)
    explicit = metrics is not None if explicit is None else explicit
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    spec, dataset, real_ds = _real_split(data, dataset, split, data_root, max_real)
    samples = as_samples(images, spec, source)
    check_sample_count(len(samples), names, source=source)
    if labels is not None:
        labels = torch.as_tensor(labels, dtype=torch.int64).cpu()
        if labels.shape != (len(samples),):
            raise GankitError(f"labels have shape {tuple(labels.shape)} for {len(samples)} samples "
                              f"(give one class index per sample)")
    info: dict = {"n": len(samples), "split": split, "dataset": dataset, "n_real": len(real_ds)}
    if real_ds.split_rule:  # a folder's own split: say how it was made (gankit.data.folder)
        info["split_rule"] = real_ds.split_rule
    train_features = None
    ext = _extractor_for(names, explicit, spec, extractor, dataset, classifier, inception_weights, warn)
    if ext is None and spec.kind == "image":  # pixel metrics only (SWD): no feature network is needed
        names = [n for n in names if not REGISTRY[n].needs_features]
        info["extractor"] = {"name": "pixels", "id": "pixels"}
        real = {"features": None, "logits": None}
        fake = {"features": None, "logits": None}
    elif spec.kind == "image":
        info["extractor"] = {"name": ext.name, "id": ext.id, **{k: v for k, v in ext.info.items() if k != "class_names"}}
        real = real_features(dataset, split, real_ds.data, real_ds.labels, ext, use_cache)
        info["real_features_cached"] = real["cached"]
        seconds["real_features"] = time.perf_counter() - t0
        t = time.perf_counter()
        fake = ext(samples)
        seconds["sample_features"] = time.perf_counter() - t

        def train_features() -> dict:  # only memorization compares with the training split
            from ..data import get_dataset

            train_ds = get_dataset(dataset, "train", data_root, spec.image_size or None, spec.channels or None)
            return real_features(dataset, "train", train_ds.data, train_ds.labels, ext, use_cache)
    else:  # 2-D points: the coordinates are the features
        info["extractor"] = {"name": "points", "id": "points"}
        real = {"features": real_ds.data.float(), "logits": None}
        fake = {"features": samples, "logits": None}
    names = applicable(names, spec, labels is not None, fake.get("logits") is not None, explicit)
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


def _extractor_for(names: list[str], explicit: bool, spec, kind: str, dataset: str, classifier, inception_weights,
                   warn):
    """The feature extractor the metrics need, or None when they need none: only pixel metrics asked
    for, or (metrics not named) no classifier for this dataset, where SWD alone is run and a warning
    names how to get the rest."""
    from .features import get_extractor
    from .weights import NoClassifier

    if spec.kind != "image" or not any(REGISTRY[n].needs_features for n in names):
        return None
    try:
        return get_extractor(kind, dataset, classifier, inception_weights, warn)
    except NoClassifier as e:
        if explicit:
            raise
        (warn or (lambda m: print(m, file=sys.stderr)))(
            f"gankit: warning: {str(e).split(' (')[0]}: only the pixel metrics ({', '.join(_pixel_metrics())}) are "
            f"computed (train one for the rest: gankit features train --dataset {dataset})")
        return None


def _pixel_metrics() -> list[str]:
    return [name for name, m in REGISTRY.items() if m.images_only and not m.needs_features]


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
