"""Inception Score (Salimans et al. 2016) computed from the domain classifier's logits.

IS = exp(E_x KL(p(y|x) || p(y))), the mean over ``splits`` chunks (10 by default) with its std.
With our classifier this is a *classifier score*: it rewards samples the Fashion-MNIST
classifier finds confident and class-diverse, bounded by the number of classes (10), and is not
comparable with Inception-v3 scores reported in papers.
"""

from __future__ import annotations

import torch

from .registry import register_metric


def inception_score(logits, splits: int = 10) -> dict:
    logits = torch.as_tensor(logits).double()
    n = logits.shape[0]
    splits = max(1, min(splits, n))
    log_p = logits.log_softmax(1)
    p = log_p.exp()
    scores = []
    for i in range(splits):
        lo, hi = i * n // splits, (i + 1) * n // splits
        chunk_p, chunk_log_p = p[lo:hi], log_p[lo:hi]
        log_marginal = chunk_p.mean(0, keepdim=True).log()
        kl = (chunk_p * (chunk_log_p - log_marginal)).sum(1).mean()
        scores.append(float(kl.exp()))
    s = torch.tensor(scores, dtype=torch.float64)
    return {"is": float(s.mean()), "is_std": float(s.std(unbiased=False)) if splits > 1 else 0.0}


@register_metric("is", "classifier score from the domain classifier's logits, 10 splits (higher is better, "
                       "max = classes)", images_only=True, needs_logits=True)
def _is_metric(ctx) -> dict:
    return inception_score(ctx.fake["logits"])
