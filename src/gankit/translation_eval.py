"""Evaluate a translation run (pix2pix, cyclegan, discogan, srgan) on its test split.

``gankit eval RUN`` comes here when the run's data are two domains. Every number is given for the
model and for a baseline that needs no training, so a table says what the GAN adds:

- paired (pix2pix, srgan): PSNR and SSIM against the target (``gankit.metrics.image_quality``,
  mean over images): for super-resolution on the luma channel with a border of ``scale`` pixels
  cropped (the SR papers' convention), otherwise on every channel (colorization keeps the luma
  of its input, so a luma score would rate the gray input as perfect),
  mean absolute error, FID of outputs against targets in the target domain's classifier
  features, and, where the targets have classes (edges2fashion), the pix2pix paper's
  "FCN-score" idea with our classifier: its accuracy on the outputs, with its accuracy on the
  real targets as the ceiling. Baseline: bicubic upsampling (SR), else the input itself.
- unpaired (cyclegan, discogan): FID on each side (G(a) against real B, F(b) against real A),
  cycle reconstruction error, and label preservation where both sides have labels
  (digits2mnist: the shipped MNIST-digit classifier reads G(a) and must find a's digit).
  Baseline: the identity (A's images taken as B's).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import torch

from .errors import GankitError
from .safe_write import write_text

#: the shipped domain classifier that knows each side of the built-in tasks (None: no classifier)
TASK_CLASSIFIERS = {
    "edges2fashion": (None, "fashion-mnist"),
    "fashion-sr": (None, "fashion-mnist"),
    "fashion-sr2": (None, "fashion-mnist"),
    "emoji-colorize": ("emoji", "emoji"),
    "emoji-sr": (None, "emoji"),
    # the digit classifier reads printed digits too (its accuracy on them is reported as their ceiling)
    "digits2mnist": ("mnist5k", "mnist5k"),
}


def _extractor(name: str | None):
    if name is None:
        return None
    from .metrics.features import classifier_extractor

    return classifier_extractor(name)


def _as(images: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """``images`` at the channel count of ``like`` (gray tiled to RGB, RGB to luma): a baseline's output."""
    if images.shape[1] == like.shape[1]:
        return images
    if like.shape[1] == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (images.float() * w).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def _accuracy(extractor, images: torch.Tensor, labels: torch.Tensor) -> float:
    logits = extractor(images)["logits"]
    return float((logits.argmax(1) == labels).float().mean())


def paired_metrics(outputs: torch.Tensor, targets: torch.Tensor, border: int = 0, extractor=None,
                   labels: torch.Tensor | None = None, real_features: torch.Tensor | None = None) -> dict:
    """Metrics of uint8 ``outputs`` against their uint8 ``targets`` (see the module docstring)."""
    from .metrics.fid import fid
    from .metrics.image_quality import l1, psnr, ssim

    luma = border > 0  # super-resolution's convention; colorization must be judged on its colors
    out = {"psnr": psnr(outputs, targets, border=border, luma=luma),
           "ssim": ssim(outputs, targets, border=border, luma=luma),
           "l1": l1(outputs, targets)}
    if extractor is not None:
        feats = extractor(outputs)
        out["fid"] = fid(feats["features"], real_features)
        if labels is not None and feats["logits"] is not None:
            out["class_acc"] = float((feats["logits"].argmax(1) == labels).float().mean())
    return out


def _unpaired(sampler, a, b, labels_a, labels_b, ext_a, ext_b, identity: bool) -> dict:
    from .metrics.fid import fid
    from .metrics.image_quality import l1

    if identity:  # the baseline: each image taken as one of the other domain
        ab, ba = _as(a, b), _as(b, a)
        aba, bab = a, b
    else:
        ab, ba = sampler.translate(a, "AtoB"), sampler.translate(b, "BtoA")
        aba, bab = sampler.translate(ab, "BtoA"), sampler.translate(ba, "AtoB")
    out = {"cycle_a": l1(aba, a), "cycle_b": l1(bab, b)}
    if ext_b is not None:
        out["fid_b"] = fid(ext_b(ab)["features"], ext_b(b)["features"])
        if labels_a is not None:
            out["label_acc_ab"] = _accuracy(ext_b, ab, labels_a)
    if ext_a is not None:
        out["fid_a"] = fid(ext_a(ba)["features"], ext_a(a)["features"])
        if labels_b is not None:
            out["label_acc_ba"] = _accuracy(ext_a, ba, labels_b)
    return out


def evaluate_translation(run, n: int | None = None, split: str = "test", write: bool = True,
                         sampler=None, data=None) -> dict:
    """Metrics of a translation run on ``n`` (default all) images of its ``split``, with a baseline;
    with ``write``, saved as RUN/eval.json. Returns ``{"metrics", "baseline", "info", "seconds"}``.
    ``sampler``: translate with these nets instead of the run's (e.g. an untrained Game's); ``data``:
    a :class:`~gankit.data.pairs.TranslationDataset` instead of the run's ``split``."""
    from .api import Run, load_run
    from .data import get_dataset

    if not isinstance(run, Run):
        run = load_run(run)
    t0 = time.perf_counter()
    cfg, spec = run.config, run.spec
    data = data if data is not None else get_dataset(cfg.dataset, split, cfg.data_root, cfg.image_size, cfg.channels)
    if not hasattr(data, "paired"):
        raise GankitError(f"the run's dataset {cfg.dataset!r} loads as images of one domain here, not as the two "
                          "domains it was trained on (pass its translation data: data=...)")
    if n is not None:
        data = data.subset(n, seed=0)
    name_a, name_b = TASK_CLASSIFIERS.get(spec.name, (None, None))
    ext_a, ext_b = _extractor(name_a), _extractor(name_b)
    sampler = sampler or run.sampler()
    info = {"run": str(run.path), "model": cfg.model, "step": run.step, "dataset": cfg.dataset, "split": split,
            "n": len(data.a), "translation": spec.extra["translation"],
            "classifiers": {"a": name_a, "b": name_b}}
    if data.paired:
        scale = spec.extra.get("sr_scale")
        border = int(scale or 0)
        outputs = sampler.translate(data.a, "AtoB")
        if scale:
            from .metrics.image_quality import bicubic_upsample

            base = bicubic_upsample(data.a, scale)
            info["baseline"] = f"bicubic x{scale}"
        else:
            base = _as(data.a, data.b)
            info["baseline"] = "the input itself"
        real = ext_b(data.b)["features"] if ext_b is not None else None
        labels = data.labels_b
        metrics = paired_metrics(outputs, data.b, border, ext_b, labels, real)
        baseline = paired_metrics(base, data.b, border, ext_b, labels, real)
        if ext_b is not None and labels is not None:
            info["class_acc_real"] = _accuracy(ext_b, data.b, labels)  # the classifier's ceiling
        info["border"] = border
    else:
        args = (data.a, data.b, data.labels_a, data.labels_b, ext_a, ext_b)
        metrics = _unpaired(sampler, *args, identity=False)
        baseline = _unpaired(sampler, *args, identity=True)
        info["baseline"] = "the identity (each image taken as the other domain's)"
        if ext_b is not None and data.labels_b is not None:
            info["label_acc_real_b"] = _accuracy(ext_b, data.b, data.labels_b)
        if ext_a is not None and data.labels_a is not None:
            info["label_acc_real_a"] = _accuracy(ext_a, data.a, data.labels_a)
    result = {"metrics": metrics, "baseline": baseline, "info": info,
              "seconds": {"total": round(time.perf_counter() - t0, 3)}}
    if write:
        write_text(Path(run.path) / "eval.json", json.dumps(result, indent=2) + "\n", root=run.path)
    return result


def translation_table(result: dict) -> str:
    """The metrics of :func:`evaluate_translation` as a two-column text table (model, baseline)."""
    rows = [f"{'metric':14s} {'model':>10s} {'baseline':>10s}"]
    for key, value in result["metrics"].items():
        base = result["baseline"].get(key)
        rows.append(f"{key:14s} {value:10.4f} {base:10.4f}" if base is not None else f"{key:14s} {value:10.4f}")
    return "\n".join(rows)
