"""Conditional accuracy: of the samples asked for class k, the share the classifier (or, on toy
mixtures, the nearest mode) assigns to k. A class-conditional GAN that ignores its label scores
about 1/K; one that obeys it approaches the classifier's own test accuracy."""

from __future__ import annotations

import torch

from .registry import register_metric


def conditional_accuracy(predicted: torch.Tensor, requested: torch.Tensor) -> dict:
    predicted, requested = torch.as_tensor(predicted), torch.as_tensor(requested)
    per_class = {}
    for k in requested.unique().tolist():
        mask = requested == k
        per_class[int(k)] = float((predicted[mask] == k).float().mean())
    return {"cond_acc": float((predicted == requested).float().mean()), "cond_acc_per_class": per_class}


@register_metric("cond", "conditional accuracy: samples of class k classified as k (class-conditional models)",
                 needs_logits=True, needs_labels=True)
def _cond_metric(ctx) -> dict:
    if ctx.spec.kind == "image":
        predicted = ctx.fake["logits"].argmax(1)
    else:  # toy mixtures: the nearest mode is the class
        from ..data import mode_coverage

        predicted = mode_coverage(ctx.samples, ctx.spec)["nearest_mode"]
    return conditional_accuracy(predicted, ctx.labels)
