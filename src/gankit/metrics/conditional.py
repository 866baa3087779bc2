"""Conditional accuracy: of the samples asked for class k, the share the classifier (or, on toy
mixtures, the nearest mode) assigns to k. A class-conditional GAN that ignores its label scores
about 1/K; one that obeys it approaches the classifier's own test accuracy."""

from __future__ import annotations

import torch


def conditional_accuracy(predicted: torch.Tensor, requested: torch.Tensor) -> dict:
    predicted, requested = torch.as_tensor(predicted), torch.as_tensor(requested)
    per_class = {}
    for k in requested.unique().tolist():
        mask = requested == k
        per_class[int(k)] = float((predicted[mask] == k).float().mean())
    return {"cond_acc": float((predicted == requested).float().mean()), "cond_acc_per_class": per_class}
