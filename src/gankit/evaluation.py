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
from .safe_write import write_text


def draw_samples(run, n: int, seed: int = 0, ema: bool = True, truncation: float | None = None,
                 truncation_method: str = "shrink") -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` samples from a run through its Sampler (EMA G where the run keeps one, truncated where
    asked); conditional models get uniformly drawn classes (seeded by ``seed + 7``), returned with
    the samples."""
    sampler = run.sampler(ema=ema)
    labels = sampler.random_labels(n, seed + 7)
    if sampler.codes:  # InfoGAN: its codes are drawn with z, not labels the metrics could check
        labels = None
    inputs = sampler.fixed_inputs(n, seed, labels)
    return sampler.generate(inputs, truncation=truncation, truncation_method=truncation_method, seed=seed), labels


def evaluate(run, metrics: str | list[str] | None = None, n: int = 10000, seed: int = 0, split: str = "test",
             extractor: str = "auto", classifier: str | None = None, inception_weights: str | None = None,
             write: bool = True, use_cache: bool = True, warn=None, ema: bool = True,
             truncation: float | None = None, truncation_method: str = "shrink") -> dict:
    """Evaluate a run (a :class:`gankit.Run` or its folder) and, with ``write``, save ``eval.json`` in it.

    Returns ``{"metrics": {"fid": ..., ...}, "info": {...}, "seconds": {...}}``.
    """
    from .api import Run, load_run

    if not isinstance(run, Run):
        run = load_run(run)
    from .data.pairs import is_translation

    if is_translation(run.spec):  # images in, images out: paired/unpaired metrics beside a baseline
        from .translation_eval import evaluate_translation

        return evaluate_translation(run, n=None if n == 10000 else n, split=split, write=write)
    explicit = metrics is not None
    names = parse_metrics(metrics)
    t = time.perf_counter()
    samples, labels = draw_samples(run, n, seed, ema=ema, truncation=truncation, truncation_method=truncation_method)
    sample_seconds = time.perf_counter() - t
    result = evaluate_samples(samples, run.spec, names, labels=labels, dataset=run.config.dataset,
                              data_root=run.config.data_root, split=split, extractor=extractor,
                              classifier=classifier, inception_weights=inception_weights, explicit=explicit,
                              use_cache=use_cache, seed=seed, warn=warn)
    result["seconds"]["sampling"] = round(sample_seconds, 3)
    result["seconds"]["total"] = round(result["seconds"]["total"] + sample_seconds, 3)
    result["info"].update({"run": str(run.path), "model": run.config.model, "step": run.step, "seed": seed,
                           "ema": bool(ema and run.has_ema)})
    if truncation is not None:
        result["info"].update({"truncation": truncation, "truncation_method": truncation_method})
    if write:
        write_text(Path(run.path) / "eval.json", json.dumps(result, indent=2) + "\n", root=run.path)
    return result


def fid_of_run(run, n: int = 10000, seed: int = 0, **kwargs) -> float:
    """The FID of a run against the test split (domain-classifier features unless told otherwise)."""
    return evaluate(run, ["fid"], n=n, seed=seed, write=False, **kwargs)["metrics"]["fid"]


SWEEP_PSIS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)


def truncation_sweep(run, psis=SWEEP_PSIS, method: str = "shrink", n: int = 5000, seed: int = 0,
                     ema: bool = True, warn=None) -> list[dict]:
    """The truncation trade-off (Brock et al. 2019, Fig. 2(b)): FID, precision and recall (and, for a
    class-conditional model, class accuracy) of ``n`` samples for each psi, plus the untruncated
    model (``psi`` None) as the last row. The same z and classes at every psi (one ``seed``)."""
    from .api import Run, load_run
    from .games.sampler import check_truncation

    if not isinstance(run, Run):
        run = load_run(run)
    for psi in psis:
        check_truncation(psi, method)
    sampler = run.sampler(ema=ema)
    metrics = ["fid", "pr"] + (["cond"] if sampler.conditional and not sampler.codes else [])
    rows = []
    for psi in [*psis, None]:
        result = evaluate(run, metrics, n=n, seed=seed, write=False, ema=ema, truncation=psi,
                          truncation_method=method, warn=warn)["metrics"]
        row = {"psi": psi, "fid": result["fid"], "precision": result["precision"], "recall": result["recall"]}
        if "cond_acc" in result:
            row["class_accuracy"] = result["cond_acc"]
        rows.append(row)
    return rows
