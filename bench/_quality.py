"""The quality yardstick of the benchmarks: FID on gankit's domain classifier features when
``gankit.metrics`` can compute it here, else a pixel Fréchet distance (7x7 pooled pixels), which
needs no trained network. Both print their name, so a figure is never read as the other."""

from __future__ import annotations

import torch

import _reference as ref


def make_metric(reference_uint8: torch.Tensor, prefer: str = "auto"):
    """``(name, fn)`` where ``fn(samples_uint8) -> float`` is a distance to ``reference_uint8`` (lower is better)."""
    if prefer in ("auto", "fid"):
        try:
            metric = _classifier_fid(reference_uint8)
            if metric is not None:
                return metric
        except Exception as e:  # metrics not landed, or no classifier weights on this machine
            if prefer == "fid":
                raise
            print(f"> gankit.metrics FID unavailable ({type(e).__name__}: {e}); using pixel Fréchet distance")
    return "pixel-FD (7x7 pooled pixels)", lambda x: ref.pixel_fd(x, reference_uint8)


def _classifier_fid(reference_uint8: torch.Tensor):
    from gankit.metrics import fid
    from gankit.metrics.features import classifier_extractor

    extract = classifier_extractor("fashion-mnist")  # one-line GankitError when no weights are here
    real = extract(reference_uint8)["features"]
    return f"FID ({extract.id} features)", lambda x: float(fid(extract(x)["features"], real))
