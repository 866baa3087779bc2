"""Squared Euclidean distances between feature sets, one block of query rows at a time.

PR/DC and the memorization check only ever compare distances with each other or with radii, so they
work on squared distances, ``|q|^2 + |r|^2 - 2 q.r`` (one matmul and two in-place adds per block), and
take square roots of the few numbers they keep. ``torch.cdist`` computes the same matmul but then
copies, clamps and square-roots every entry of the block: that was about a third of their time on
10k x 60k (docs/metrics.md, "Speed").
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

CHUNK = 2048


def squared_distance_blocks(queries: torch.Tensor, reference: torch.Tensor,
                            chunk: int = CHUNK) -> Iterator[tuple[int, torch.Tensor]]:
    """``(start, d2)`` for consecutive blocks of ``queries``: ``d2[i, j]`` is the squared distance from
    ``queries[start + i]`` to ``reference[j]`` (float rounding may leave it slightly below 0 for equal rows)."""
    ref_sq = reference.pow(2).sum(1)
    ref_t = reference.t()
    for start in range(0, len(queries), chunk):
        q = queries[start:start + chunk]
        yield start, (q @ ref_t).mul_(-2).add_(q.pow(2).sum(1, keepdim=True)).add_(ref_sq)  # in place: 10% < addmm
