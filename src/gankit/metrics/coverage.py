"""Mode-collapse measures.

Images: the classifier predicts a class for every sample. ``classes_covered`` is the share of
classes that receive at least ``floor`` times their fair share of samples (default 1/4 of N/K, the
same criterion as the toy mixtures), and ``class_kl`` is KL(generated || real) between the
predicted class histograms of the samples and of the real data (the real side goes through the
same classifier, so its mistakes cancel). A collapsed generator covers few classes and has a large
KL; a perfect one has 1.0 and ~0.

2-D toy mixtures (ring8, grid25): modes covered and the share of high-quality samples (within 3
std of a mode centre), from :func:`gankit.data.mode_coverage`.
"""

from __future__ import annotations

import math

import torch

from .registry import register_metric

FLOOR = 0.25


def class_histogram(predicted: torch.Tensor, num_classes: int) -> torch.Tensor:
    return torch.bincount(predicted, minlength=num_classes).double() / max(len(predicted), 1)


def class_coverage(fake_logits, real_logits, floor: float = FLOOR, eps: float = 1e-6) -> dict:
    fake_logits, real_logits = torch.as_tensor(fake_logits), torch.as_tensor(real_logits)
    k = fake_logits.shape[1]
    p = class_histogram(fake_logits.argmax(1), k)
    q = class_histogram(real_logits.argmax(1), k)
    covered = int((p >= floor / k).sum())
    p_s, q_s = (p + eps) / (1 + k * eps), (q + eps) / (1 + k * eps)
    kl = float((p_s * (p_s / q_s).log()).sum())
    return {"classes_covered": covered / k, "class_kl": max(kl, 0.0), "num_classes": k}


def toy_coverage(points: torch.Tensor, spec) -> dict:
    from ..data import mode_coverage

    r = mode_coverage(points, spec)
    return {"modes_covered": r["modes_covered"], "num_modes": r["num_modes"], "high_quality": r["high_quality"]}


def entropy_bits(hist: torch.Tensor) -> float:
    h = hist[hist > 0]
    return float(-(h * h.log()).sum() / math.log(2))


@register_metric("coverage", "classes covered and class-histogram KL (images), modes covered and high quality "
                             "(toy data)", needs_logits=True)
def _coverage_metric(ctx) -> dict:
    if ctx.spec.kind == "image":
        return class_coverage(ctx.fake["logits"], ctx.real["logits"])
    return toy_coverage(ctx.samples, ctx.spec)
