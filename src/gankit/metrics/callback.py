"""``--eval-every N``: evaluate the generator during training and add the numbers to metrics.jsonl.

Every N generator steps (checked at log steps, so N is best a multiple of ``--log-every``) the
callback draws ``--eval-n`` samples from the same fixed noise each time (so the curve shows the
generator changing, not the noise), computes ``--eval-metrics`` (default FID) against the test
split, and adds them to the record about to be written (``fid``, ``kid``, ..., ``eval_seconds``).
Evaluation time is not counted as training time (the Trainer restarts its clock after logging).
"""

from __future__ import annotations

import time

import torch

from ..callbacks import register_callback
from ..engine import Callback
from ..errors import GankitError

EVAL_SEED_OFFSET = 2_000_003


class EvalCallback(Callback):
    main_only = True  # rank 0 watches for every process (gankit.engine.Callback)

    def __init__(self, every: int, metrics: list[str], n: int, dataset: str, data_root: str | None, seed: int):
        self.every, self.metrics, self.n = every, metrics, n
        self.dataset, self.data_root, self.seed = dataset, data_root, seed
        self.last_bucket = 0

    def _samples(self, view) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The same inputs at every evaluation (the curve shows G changing, not the noise), classes
        drawn uniformly for a conditional model."""
        sampler = view.sampler()
        seed = self.seed + EVAL_SEED_OFFSET
        labels = sampler.random_labels(self.n, seed + 1)
        return sampler.generate(sampler.fixed_inputs(self.n, seed=seed, labels=labels)), labels

    def on_log(self, view, record: dict) -> None:
        bucket = view.step // self.every
        if bucket <= self.last_bucket:
            return
        self.last_bucket = bucket
        from .evaluate import evaluate_samples

        t = time.perf_counter()
        samples, labels = self._samples(view)
        result = evaluate_samples(samples, view.spec, self.metrics, labels=labels, dataset=self.dataset,
                                  data_root=self.data_root, seed=self.seed, explicit=False)
        for key, value in result["metrics"].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                record[key] = value
        record["eval_seconds"] = round(time.perf_counter() - t, 3)


@register_callback
def eval_every(cfg, run_dir, dataset) -> EvalCallback | None:
    if not cfg.eval_every:
        return None
    from .evaluate import check_sample_count, parse_metrics
    from .registry import REGISTRY

    if hasattr(dataset, "paired"):  # a translation run: its metrics need the test pairs, not samples
        raise GankitError("--eval-every draws samples, and a translation model translates test images "
                          "(drop --eval-every and run gankit eval RUN after training)")
    if dataset.spec.kind in ("audio", "text"):  # their scores need their own evaluators (gankit eval)
        raise GankitError(f"--eval-every measures images and points, and {cfg.dataset} is {dataset.spec.kind} (drop "
                          "--eval-every and run gankit eval RUN after training)")
    metrics = parse_metrics(cfg.eval_metrics)
    check_sample_count(cfg.eval_n, cfg.eval_metrics, "--eval-n")  # a config file's too, before training starts
    from ..data.identity import is_folder

    if is_folder(cfg.dataset):  # a folder's test split is held out of it: one must exist
        from ..data.folder import folder_split

        try:
            folder_split(cfg.dataset, "test")
        except GankitError:
            raise GankitError(f"--eval-every scores against a test split, and {cfg.dataset} has too few images to "
                              "hold one out (add a test/ subfolder of images, or drop --eval-every)") from None
    needs_features = any(REGISTRY[name].needs_features for name in metrics)
    if dataset.spec.kind == "image" and needs_features:  # fail now, not after the first N steps, if no features exist
        from .weights import find_classifier

        try:
            find_classifier(cfg.dataset)
        except GankitError:  # its "--classifier PATH" is eval's flag: train has none
            raise GankitError(f"--eval-every needs a domain classifier for {cfg.dataset}, and none is trained (train "
                              f"one first: gankit features train --dataset {cfg.dataset}; or drop --eval-every and "
                              "run gankit eval RUN --classifier PATH after training; --eval-metrics swd needs no "
                              "classifier)") from None
    return EvalCallback(cfg.eval_every, metrics, cfg.eval_n, cfg.dataset, cfg.data_root, cfg.seed)
