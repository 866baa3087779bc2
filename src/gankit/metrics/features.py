"""Feature extractors: the domain classifier (offline, shipped) and Inception-v3 (torch-fidelity).

An :class:`Extractor` maps uint8 images (N, C, H, W) to ``{"features": (N, D), "logits": (N, K)}``
in float32 on the CPU. Its ``id`` names the network *and* the weights file's hash, so cached real
statistics and published numbers can never silently mix two networks.

Inception-v3 (the standard FID network) comes from torch-fidelity, whose weights are downloaded on
first use or read from ``--inception-weights PATH``. When they cannot be had (offline, no file),
:func:`get_extractor` says so in one line and falls back to the domain classifier: an evaluation
never dies halfway because of a download.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable

import torch

from ..data.base import resize_images
from ..errors import GankitError

BATCH = 1000
#: the domain classifier's batch: its activations (a 28x28x32 map per image) then stay in the CPU's caches.
#: 10k Fashion-MNIST images took 1.46 s at 1000 per batch and 0.86 s at 128, with the same features
#: (docs/metrics.md, "Speed"); 32 to 256 were all as fast.
CLASSIFIER_BATCH = 128


@dataclass
class Extractor:
    name: str                      # "classifier" or "inception"
    id: str                        # name + weights hash: the cache key and what eval.json records
    fn: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor | None]]
    info: dict = field(default_factory=dict)
    batch_size: int = BATCH

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, batch_size: int | None = None) -> dict:
        batch_size = batch_size or self.batch_size
        feats, logits = [], []
        for start in range(0, len(images), batch_size):
            f, lg = self.fn(images[start:start + batch_size])
            feats.append(f.float().cpu())
            if lg is not None:
                logits.append(lg.float().cpu())
        return {"features": torch.cat(feats), "logits": torch.cat(logits) if logits else None}


def _to_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    if images.shape[1] == channels:
        return images
    if channels == 3:
        return images.expand(-1, 3, -1, -1)  # gray tiled to RGB
    weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    return (images.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)


def classifier_extractor(dataset: str, classifier: str | None = None) -> Extractor:
    """The domain classifier for ``dataset`` (shipped, user-trained, or the file ``classifier``)."""
    from .weights import load_classifier

    model, meta, digest = load_classifier(dataset, classifier)
    model = model.for_inference()  # folded batchnorm, channels-last: the same features, 2.4x sooner
    channels = int(meta.get("channels", 1))
    size = int(meta.get("image_size", 28))  # weights written before the key existed were all trained at 28 px

    def fn(x):
        # the classifier sees images at the size it was trained at (e.g. 28 px for a run at 32 px)
        return model.features_and_logits(resize_images(_to_channels(x, channels), size))

    info = {"dataset": meta["dataset"], "test_accuracy": meta.get("test_accuracy"), "sha256": digest,
            "class_names": meta.get("class_names", [])}
    return Extractor("classifier", f"classifier-{meta['dataset']}-{digest}", fn, info, CLASSIFIER_BATCH)


def inception_extractor(weights: str | None = None) -> Extractor:
    """torch-fidelity's Inception-v3 (2048-d pool features + logits). Raises if the weights cannot be had."""
    try:
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
    except ImportError as e:
        raise GankitError("torch-fidelity is not installed (pip install torch-fidelity)") from e
    if weights:
        net = _inception_from_file(FeatureExtractorInceptionV3, weights)
    else:
        net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits_unbiased"]).eval()

    def fn(x):
        out = net(_to_channels(x, 3).contiguous())
        return out[0], out[1]

    digest = "default"
    if weights:
        from .weights import file_hash

        digest = file_hash(weights)
    return Extractor("inception", f"inception-v3-compat-{digest}", fn, {"weights": weights or "download"})


class NotPlainWeights(GankitError):
    """A weights file that is not a plain dict of tensors (it may be a pickle that runs code)."""


def read_state_dict(path: str) -> dict:
    """A user's weights file as a plain ``{name: tensor}`` dict, read with ``weights_only=True``: a file
    that would run code on load (a pickle with a ``__reduce__``) is refused, never executed."""
    import pickle
    from pathlib import Path

    if not Path(path).is_file():
        raise GankitError(f"weights file {path} not found (check the path)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:100]
        raise NotPlainWeights(f"{path} is not a plain weights file ({first}); gankit loads weights only with "
                              "weights_only=True (give a state_dict saved with torch.save(model.state_dict(), PATH))") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                          for k, v in state.items()):
        raise NotPlainWeights(f"{path} is not a state dict of tensors (give torch.save(model.state_dict(), PATH))")
    return state


def _inception_from_file(cls, weights: str):
    """torch-fidelity's Inception-v3 with the weights of ``weights``. torch-fidelity would read the file
    with ``weights_only=False`` (running any code in it), so the file is checked and read here, and
    torch-fidelity gets a copy this process wrote from the verified tensors."""
    import os
    import tempfile

    state = read_state_dict(weights)
    with tempfile.TemporaryDirectory(prefix="gankit-inception-") as folder:
        clean = os.path.join(folder, "weights.pth")
        torch.save(state, clean)
        try:
            return cls("inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=clean).eval()
        except RuntimeError as e:  # the tensors do not fit Inception-v3
            first = (str(e).strip().splitlines() or ["mismatch"])[0][:100]
            raise NotPlainWeights(f"{weights} does not hold torch-fidelity's Inception-v3 weights ({first}; give "
                                  "pt_inception-2015-12-05 weights)") from None


def get_extractor(kind: str, dataset: str, classifier: str | None = None, inception_weights: str | None = None,
                  warn: Callable[[str], None] | None = None) -> Extractor:
    """``kind`` is "classifier", "inception" or "auto" (Inception if weights are given, else the classifier).

    Asking for Inception when it cannot load prints one line and falls back to the classifier.
    """
    warn = warn or (lambda msg: print(msg, file=sys.stderr))
    if kind == "auto":
        kind = "inception" if inception_weights else "classifier"
    if kind not in ("classifier", "inception"):
        raise GankitError(f"unknown feature extractor {kind!r} (use classifier, inception or auto)")
    if kind == "inception":
        try:
            return inception_extractor(inception_weights)
        except NotPlainWeights:  # a file the user named that is not weights (or would run code): say so
            raise
        except Exception as e:  # offline, missing file, corrupt file: never crash mid-run
            reason = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
            warn(f"gankit: Inception-v3 weights unavailable ({reason}); using the {dataset} domain classifier "
                 "features instead (pass --inception-weights PATH to use a local copy)")
    return classifier_extractor(dataset, classifier)
