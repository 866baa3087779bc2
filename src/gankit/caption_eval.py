"""Does a text2image run draw what its caption says? Scored on fashion-captions test captions.

For test images, each with its caption and the attributes measured on it (class, darkness, width),
the run draws one image per caption (z seeded) and we measure on the drawing what the caption
stated (docs/text-to-image.md):

- ``class_acc``: the shipped Fashion-MNIST classifier's accuracy on the class the caption names
  (real test images: ~0.9, the ceiling);
- ``attr_acc``: of the attributes the caption states (light/dark, narrow/wide), the share the
  drawing has, measured the way the captions were made (data/captions.py; chance is about 1/3,
  a real image matches its own caption by construction);
- ``fid``: Frechet distance of the drawings to the real test images in the classifier's features.

Each is given for captions of seen (class, darkness, width) combinations and for the held-out
ones no training image had (composition). A run trained with ``--param attributes=0`` (the
class-conditional baseline) is asked for the caption's class only, as it never learned more.

``evaluate_emoji_captions`` scores an ``emoji-captions`` run the same way where emoji allow it: one
drawing per caption of the training emoji and of the test emoji (names never trained on), the
shipped emoji classifier's accuracy on the caption's group (real test images: 0.85), and FID to the
365 real test emoji (few images: FID is biased upward, compare runs side by side only).
"""

from __future__ import annotations

import torch

from .errors import GankitError


def _stated_agreement(measured: dict, wanted: dict) -> float:
    """Share of stated attributes (levels 0 or 2; 1 is not said) the measured levels match."""
    hits = total = 0
    for name in ("darkness", "width"):
        stated = wanted[name] != 1
        hits += int((measured[name][stated] == wanted[name][stated]).sum())
        total += int(stated.sum())
    return hits / max(total, 1)


@torch.no_grad()
def evaluate_captions(run, n_seen: int = 2000, n_held_out: int = 1000, seed: int = 0, sampler=None) -> dict:
    """``{"seen": {...}, "held_out": {...}, "all": {"fid"}}`` of a fashion-captions run (see the module doc)."""
    from .data.captions import load_fashion_captions, measure_attributes
    from .metrics.features import classifier_extractor
    from .metrics.fid import fid

    if run.spec.extra.get("captions") != "fashion-captions":
        raise GankitError(f"caption evaluation measures fashion attributes, and {run.spec.name} is not "
                          "fashion-captions (train --dataset fashion-captions)")
    sampler = sampler or run.sampler()
    test = load_fashion_captions("test", run.config.data_root)
    classifier = classifier_extractor("fashion-mnist")
    generator = torch.Generator().manual_seed(seed)
    out, drawn = {}, []
    for name, mask, n in (("seen", ~test.held_out, n_seen), ("held_out", test.held_out, n_held_out)):
        pool = mask.nonzero().flatten()
        part = test.take(pool[torch.randperm(len(pool), generator=generator)[:n]])
        inputs = sampler.fixed_inputs(len(part), seed=seed + len(out), labels=part.labels)
        if getattr(sampler, "attributes", True):
            inputs["text"] = part.tokens
        images = sampler.generate(inputs)
        gray = images if images.shape[1] == 1 else images.float().mean(1, keepdim=True).round().to(torch.uint8)
        measured = measure_attributes(gray, part.labels)
        predicted = classifier(images)["logits"].argmax(1)
        out[name] = {"n": len(part), "class_acc": (predicted == part.labels).float().mean().item(),
                     "attr_acc": _stated_agreement(measured, part.attributes)}
        drawn.append(images)
    real = classifier(test.data)["features"]
    out["all"] = {"fid": fid(classifier(torch.cat(drawn))["features"], real)}
    return out


@torch.no_grad()
def evaluate_emoji_captions(run, seed: int = 0, sampler=None) -> dict:
    """``{"train": {"n", "group_acc"}, "test": {...}, "all": {"fid"}}`` of an emoji-captions run (module doc)."""
    from .data.captions import load_emoji_captions
    from .metrics.features import classifier_extractor
    from .metrics.fid import fid

    if run.spec.extra.get("captions") != "emoji-captions":
        raise GankitError(f"emoji caption evaluation draws emoji names, and {run.spec.name} is not emoji-captions "
                          "(train --dataset emoji-captions)")
    sampler = sampler or run.sampler()
    classifier = classifier_extractor("emoji")
    out, drawn = {}, []
    for split in ("train", "test"):
        part = load_emoji_captions(split, run.spec.image_size)
        inputs = sampler.fixed_inputs(len(part), seed=seed + len(out), labels=part.labels)
        if getattr(sampler, "attributes", True):
            inputs["text"] = part.tokens
        images = sampler.generate(inputs)
        predicted = classifier(images)["logits"].argmax(1)
        out[split] = {"n": len(part), "group_acc": (predicted == part.labels).float().mean().item()}
        drawn.append(images)
    real = classifier(load_emoji_captions("test", run.spec.image_size).data)["features"]
    out["all"] = {"fid": fid(classifier(torch.cat(drawn))["features"], real)}
    return out
