"""Real-data features, cached per (dataset, split, extractor) with a content hash.

Extracting features of 60k training images costs far more than any metric, and the real side of
every comparison is the same; so it is done once and stored under ``$GANKIT_HOME/features``
(default ``~/.cache/gankit/features``). The file name holds the dataset, the split, the extractor
id (network + weights hash) and a hash of the image bytes themselves, so a changed dataset,
resized images or new weights can never reuse stale statistics.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..data.identity import is_folder, tensor_hash
from .features import Extractor
from .weights import cache_home
from ..safe_write import atomic_output, inside


def content_hash(data: torch.Tensor) -> str:
    return tensor_hash(data)


def cache_path(dataset: str, split: str, extractor_id: str, digest: str) -> Path:
    # every part is cut to [A-Za-z0-9-_.]: the extractor id carries a name from a classifier file's
    # metadata, and a crafted one ("../../x") must not move the cache file out of its folder
    name = "-".join(_safe(part) for part in (dataset, split, extractor_id, digest))
    return inside(cache_home() / "features", f"{name}.pt")


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(text)).lstrip(".") or "_"


def real_features(dataset_name: str, split: str, images: torch.Tensor, labels: torch.Tensor | None,
                  extractor: Extractor, use_cache: bool = True) -> dict:
    """``{"features", "logits", "labels", "cached": bool}`` of real images, from the cache when possible."""
    # a folder goes by its last part: the image hash decides, so every path that reaches it shares the file
    name = Path(dataset_name).name if is_folder(dataset_name) else dataset_name
    path = cache_path(name, split, extractor.id, content_hash(images))
    if use_cache and path.is_file():
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            blob["cached"] = True
            return blob
        except Exception:
            path.unlink(missing_ok=True)  # a torn or foreign file: recompute
    out = extractor(images)
    out["labels"] = labels
    if use_cache:
        with atomic_output(path, root=cache_home()) as tmp:  # a per-process temp name: two evals may share it
            torch.save(out, tmp)
    out["cached"] = False
    return out
