"""Evaluate a run: draw samples, extract features, compute the chosen metrics, write eval.json.

``evaluate(run, metrics=["fid"], n=10000)`` is the API behind ``gankit eval``; it is also what the
``--eval-every`` callback and benchmarks call. The real side is the dataset's *test* split by
default (FID against held-out data, so a generator that copies the training set gains nothing),
its features cached (see :mod:`gankit.metrics.cache`). Metrics know nothing of training: the core,
:func:`evaluate_samples`, takes samples and a data spec.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from ..errors import GankitError

#: metric name -> what it reports (the keys it adds to the result)
METRICS = {
    "fid": "Frechet distance of features to the real split (lower is better)",
    "kid": "kernel distance, unbiased, mean and std over 100 subsets of 1000 (lower is better)",
    "is": "classifier score from the domain classifier's logits, 10 splits (higher is better, max = classes)",
    "pr": "precision and recall, k=3 (Kynkaanniemi et al. 2019)",
    "dc": "density and coverage, k=5 (Naeem et al. 2020)",
    "swd": "sliced Wasserstein distance on Laplacian pyramids x1e3 (ProGAN), per level and mean",
    "coverage": "classes covered and class-histogram KL (images), modes covered and high quality (toy data)",
    "cond": "conditional accuracy: samples of class k classified as k (class-conditional models)",
    "memo": "memorization: share of samples closer to a training image than typical train pairs",
}
ALIASES = {"conditional": "cond", "cond_acc": "cond", "memorization": "memo", "prdc": "pr,dc", "all": ",".join(METRICS)}
IMAGE_ONLY = {"is", "swd", "memo"}
NEEDS_LOGITS = {"is", "coverage", "cond"}
SWD_MAX_IMAGES = 1000
MAX_REAL = 10000  # real samples compared against (Fashion-MNIST's test split is exactly 10k)


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


def applicable(names: list[str], spec, conditional: bool, has_logits: bool, explicit: bool) -> list[str]:
    """Drop metrics that do not apply to this run; asking for one explicitly is an error."""
    keep = []
    for name in names:
        reason = None
        if name in IMAGE_ONLY and spec.kind != "image":
            reason = f"{name} needs images, {spec.name} is 2-D points"
        elif name == "cond" and not conditional:
            reason = "cond needs a class-conditional model"
        elif name in NEEDS_LOGITS and spec.kind == "image" and not has_logits:
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
    from . import coverage as cov
    from .cache import real_features
    from .conditional import conditional_accuracy
    from .features import get_extractor
    from .fid import fid_from_stats, statistics
    from .inception_score import inception_score
    from .kid import kid
    from .memorization import memorization
    from .swd import swd

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
    if spec.kind == "image":
        ext = get_extractor(extractor, dataset, classifier, inception_weights, warn)
        info["extractor"] = {"name": ext.name, "id": ext.id, **{k: v for k, v in ext.info.items() if k != "class_names"}}
        real = real_features(dataset, split, real_ds.data, real_ds.labels, ext, use_cache)
        info["real_features_cached"] = real["cached"]
        seconds["real_features"] = time.perf_counter() - t0
        t = time.perf_counter()
        fake = ext(samples)
        seconds["sample_features"] = time.perf_counter() - t
    else:  # 2-D points: the coordinates are the features
        info["extractor"] = {"name": "points", "id": "points"}
        real = {"features": real_ds.data.float(), "logits": None}
        fake = {"features": samples.float(), "logits": None}
    has_logits = fake.get("logits") is not None
    names = applicable(metrics, spec, labels is not None, has_logits, explicit)
    out: dict = {}

    def timed(name, fn):
        t = time.perf_counter()
        out.update(fn())
        seconds[name] = round(time.perf_counter() - t, 3)

    for name in names:
        if name == "fid":
            timed("fid", lambda: {"fid": fid_from_stats(statistics(fake["features"]), statistics(real["features"]))})
        elif name == "kid":
            timed("kid", lambda: kid(fake["features"], real["features"], kid_subsets, kid_subset_size, seed))
        elif name == "is":
            timed("is", lambda: inception_score(fake["logits"]))
        elif name == "pr":
            timed("pr", lambda: {k: v for k, v in _prdc_cached(real, fake, seed).items() if k in ("precision", "recall")})
        elif name == "dc":
            timed("dc", lambda: {k: v for k, v in _prdc_cached(real, fake, seed).items() if k in ("density", "coverage")})
        elif name == "swd":
            timed("swd", lambda: swd(real_ds.data, samples, seed=seed, max_images=swd_max_images))
            info["swd_images"] = min(len(samples), len(real_ds), swd_max_images)
        elif name == "coverage":
            if spec.kind == "image":
                timed("coverage", lambda: cov.class_coverage(fake["logits"], real["logits"]))
            else:
                timed("coverage", lambda: cov.toy_coverage(samples, spec))
        elif name == "cond":
            if spec.kind == "image":
                predicted = fake["logits"].argmax(1)
            else:
                from ..data import mode_coverage
                predicted = mode_coverage(samples, spec)["nearest_mode"]
            timed("cond", lambda: conditional_accuracy(predicted, labels))
        elif name == "memo":
            def memo():
                train_ds = get_dataset(dataset, "train", data_root, spec.image_size or None, spec.channels or None)
                train = real_features(dataset, "train", train_ds.data, train_ds.labels, ext, use_cache)
                return memorization(fake["features"], train["features"], seed=seed)
            timed("memo", memo)
    seconds["total"] = round(time.perf_counter() - t0, 3)
    seconds = {k: round(v, 3) for k, v in seconds.items()}
    return {"metrics": out, "info": info, "seconds": seconds}


def _prdc_cached(real: dict, fake: dict, seed: int = 0) -> dict:
    """PR and DC share their distance computations: compute once per evaluation.

    Both papers compare equally many real and fake samples (the k-NN radii depend on the set
    size), so the real side is a random subset of the size of the fake side when it is larger.
    """
    if "_prdc" not in fake:
        from .prdc import prdc

        real_f, n = real["features"], len(fake["features"])
        if len(real_f) > n:
            real_f = real_f[torch.randperm(len(real_f), generator=torch.Generator().manual_seed(seed))[:n]]
        fake["_prdc"] = prdc(real_f, fake["features"])
    return fake["_prdc"]


def draw_samples(run, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` samples from a run; class-conditional models get uniformly drawn class labels."""
    from ..models import get_model

    labels = None
    try:
        conditional = get_model(run.config.model).conditional
    except GankitError:
        conditional = False
    if conditional and run.spec.num_classes > 0:
        gen = torch.Generator().manual_seed(seed + 7)
        labels = torch.randint(run.spec.num_classes, (n,), generator=gen)
    return run.sample(n, seed=seed, labels=labels), labels


def evaluate(run, metrics: str | list[str] | None = None, n: int = 10000, seed: int = 0, split: str = "test",
             extractor: str = "auto", classifier: str | None = None, inception_weights: str | None = None,
             write: bool = True, use_cache: bool = True, warn=None) -> dict:
    """Evaluate a run (a :class:`gankit.Run` or its folder) and, with ``write``, save ``eval.json`` in it.

    Returns ``{"metrics": {"fid": ..., ...}, "info": {...}, "seconds": {...}}``.
    """
    from ..api import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    explicit = metrics is not None
    names = parse_metrics(metrics)
    t = time.perf_counter()
    samples, labels = draw_samples(run, n, seed)
    sample_seconds = time.perf_counter() - t
    result = evaluate_samples(samples, run.spec, names, labels=labels, dataset=run.config.dataset,
                              data_root=run.config.data_root, split=split, extractor=extractor,
                              classifier=classifier, inception_weights=inception_weights, explicit=explicit,
                              use_cache=use_cache, seed=seed, warn=warn)
    result["seconds"]["sampling"] = round(sample_seconds, 3)
    result["seconds"]["total"] = round(result["seconds"]["total"] + sample_seconds, 3)
    result["info"].update({"run": str(run.path), "model": run.config.model, "step": run.step, "seed": seed})
    if write:
        (Path(run.path) / "eval.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def fid_of_run(run, n: int = 10000, seed: int = 0, **kwargs) -> float:
    """The FID of a run against the test split (domain-classifier features unless told otherwise)."""
    return evaluate(run, ["fid"], n=n, seed=seed, write=False, **kwargs)["metrics"]["fid"]
