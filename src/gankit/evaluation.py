"""Evaluate a run: draw samples from it, compute the chosen metrics, write eval.json.

This is the layer above :mod:`gankit.metrics`: it knows about runs (their config, spec, step and
folder), while the metrics know only tensors. ``evaluate(run, metrics=["fid"], n=10000)`` is the
API behind ``gankit eval`` and ``gankit compare --evaluate``; ``fid_of_run`` is what benchmarks
and the learning tests call.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from .metrics.evaluate import evaluate_samples, parse_metrics


def draw_samples(run, n: int, seed: int = 0, ema: bool = True) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` samples from a run through its Sampler (EMA G where the run keeps one); conditional
    models get uniformly drawn classes (seeded by ``seed + 7``), returned with the samples."""
    sampler = run.sampler(ema=ema)
    labels = sampler.random_labels(n, seed + 7)
    if sampler.codes:  # InfoGAN: its codes are drawn with z, not labels the metrics could check
        labels = None
    return sampler.generate(sampler.fixed_inputs(n, seed, labels)), labels


def evaluate(run, metrics: str | list[str] | None = None, n: int = 10000, seed: int = 0, split: str = "test",
             extractor: str = "auto", classifier: str | None = None, inception_weights: str | None = None,
             write: bool = True, use_cache: bool = True, warn=None, ema: bool = True) -> dict:
    """Evaluate a run (a :class:`gankit.Run` or its folder) and, with ``write``, save ``eval.json`` in it.

    Returns ``{"metrics": {"fid": ..., ...}, "info": {...}, "seconds": {...}}``.
    """
    from .api import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    explicit = metrics is not None
    names = parse_metrics(metrics)
    t = time.perf_counter()
    samples, labels = draw_samples(run, n, seed, ema=ema)
    sample_seconds = time.perf_counter() - t
    result = evaluate_samples(samples, run.spec, names, labels=labels, dataset=run.config.dataset,
                              data_root=run.config.data_root, split=split, extractor=extractor,
                              classifier=classifier, inception_weights=inception_weights, explicit=explicit,
                              use_cache=use_cache, seed=seed, warn=warn)
    result["seconds"]["sampling"] = round(sample_seconds, 3)
    result["seconds"]["total"] = round(result["seconds"]["total"] + sample_seconds, 3)
    result["info"].update({"run": str(run.path), "model": run.config.model, "step": run.step, "seed": seed,
                           "ema": bool(ema and run.has_ema)})
    if write:
        (Path(run.path) / "eval.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def fid_of_run(run, n: int = 10000, seed: int = 0, **kwargs) -> float:
    """The FID of a run against the test split (domain-classifier features unless told otherwise)."""
    return evaluate(run, ["fid"], n=n, seed=seed, write=False, **kwargs)["metrics"]["fid"]
