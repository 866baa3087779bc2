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
from ..data.base import to_uint8
from ..engine import Callback
from ..errors import GankitError

EVAL_SEED_OFFSET = 2_000_003


class EvalCallback(Callback):
    def __init__(self, every: int, metrics: list[str], n: int, dataset: str, data_root: str | None, seed: int):
        self.every, self.metrics, self.n = every, metrics, n
        self.dataset, self.data_root, self.seed = dataset, data_root, seed
        self.last_bucket = 0

    @torch.no_grad()
    def _samples(self, trainer) -> tuple[torch.Tensor, torch.Tensor | None]:
        G, latent = trainer.G, trainer.objective.latent
        gen = torch.Generator().manual_seed(self.seed + EVAL_SEED_OFFSET)
        labels = None
        if getattr(trainer.objective, "conditional", False) and trainer.spec.num_classes > 0:
            labels = torch.randint(trainer.spec.num_classes, (self.n,), generator=gen)
        was_training = G.training
        G.eval()
        out = []
        for start in range(0, self.n, 500):
            m = min(500, self.n - start)
            z = latent.sample(m, "cpu", generator=gen).to(trainer.device)
            y = labels[start:start + m].to(trainer.device) if labels is not None else None
            x = G(z, y).float()
            out.append(to_uint8(x).cpu() if trainer.spec.kind == "image" else x.cpu())
        G.train(was_training)
        return torch.cat(out), labels

    def on_log(self, trainer, record: dict) -> None:
        bucket = trainer.step_count // self.every
        if bucket <= self.last_bucket:
            return
        self.last_bucket = bucket
        from .evaluate import evaluate_samples

        t = time.perf_counter()
        samples, labels = self._samples(trainer)
        result = evaluate_samples(samples, trainer.spec, self.metrics, labels=labels, dataset=self.dataset,
                                  data_root=self.data_root, seed=self.seed, explicit=False)
        for key, value in result["metrics"].items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                record[key] = value
        record["eval_seconds"] = round(time.perf_counter() - t, 3)


@register_callback
def eval_every(cfg, run_dir, dataset) -> EvalCallback | None:
    if not cfg.eval_every:
        return None
    from .evaluate import parse_metrics

    metrics = parse_metrics(cfg.eval_metrics)
    if dataset.spec.kind == "image":  # fail now, not after the first N steps, if no features exist
        from .weights import find_classifier

        try:
            find_classifier(cfg.dataset)
        except GankitError as e:
            raise GankitError(f"--eval-every: {e}") from None
    return EvalCallback(cfg.eval_every, metrics, cfg.eval_n, cfg.dataset, cfg.data_root, cfg.seed)
