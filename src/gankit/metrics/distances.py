"""Squared Euclidean distances between feature sets, one block of query rows at a time.

PR/DC and the memorization check only ever compare distances with each other or with radii, so they
work on squared distances, ``|q|^2 + |r|^2 - 2 q.r`` (one matmul and two in-place adds per block), and
take square roots of the few numbers they keep. ``torch.cdist`` computes the same matmul but then
copies, clamps and square-roots every entry of the block: that was about a third of their time on
10k x 60k (docs/metrics.md, "Speed"). Blocks are sized to stay in the CPU's cache between the matmul
that writes them and the passes that read them; a nearest-neighbour search in a large reference
(:func:`nearest_squared`) is cut into tiles along the reference too.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

#: query rows per block. A block is rows x len(reference) floats; 256 x 10k (10 MB) stays in the CPU's
#: cache between the matmul that writes it and the passes that read it: PR/DC on 10k x 10k took 2.13 s
#: in blocks of 2048 rows and 1.55 s in blocks of 256, the same values (docs/metrics.md, "Speed").
CHUNK = 256
#: the tile of :func:`nearest_squared`: 1024 queries x 2048 references (8 MB)
TILE_ROWS, TILE_COLS = 1024, 2048


def squared_distance_blocks(queries: torch.Tensor, reference: torch.Tensor,
                            chunk: int = CHUNK) -> Iterator[tuple[int, torch.Tensor]]:
    """``(start, d2)`` for consecutive blocks of ``queries``: ``d2[i, j]`` is the squared distance from
    ``queries[start + i]`` to ``reference[j]`` (float rounding may leave it slightly below 0 for equal rows)."""
    ref_sq = reference.pow(2).sum(1)
    ref_t = reference.t()
    for start in range(0, len(queries), chunk):
        q = queries[start:start + chunk]
        yield start, (q @ ref_t).mul_(-2).add_(q.pow(2).sum(1, keepdim=True)).add_(ref_sq)  # in place: 10% < addmm


def nearest_squared(queries: torch.Tensor, reference: torch.Tensor, k: int = 1) -> torch.Tensor:
    """The ``k`` smallest squared distances from each query to the reference rows, ascending: (Q, k).

    Against a large reference (the memorization check's 60k training features) even a block of 256 rows
    is 61 MB; so the reference is taken in tiles too, each tile's ``|r|^2 - 2 q.r`` written by one
    ``addmm`` into a cache-sized block, and the running k smallest merged tile by tile. 10k x 60k: 1.94 s
    in whole-row blocks, 1.20 s in tiles (docs/metrics.md, "Speed").
    """
    ref_sq, ref_t = reference.pow(2).sum(1), reference.t()
    out = torch.empty(len(queries), k)
    for start in range(0, len(queries), TILE_ROWS):
        q = queries[start:start + TILE_ROWS]
        best = None
        for col in range(0, len(reference), TILE_COLS):
            d2 = torch.addmm(ref_sq[col:col + TILE_COLS], q, ref_t[:, col:col + TILE_COLS], alpha=-2)
            if k == 1:
                part = d2.min(1, keepdim=True).values
                best = part if best is None else torch.minimum(best, part)
            else:
                part = d2.topk(min(k, d2.shape[1]), 1, largest=False).values
                best = part if best is None else torch.cat([best, part], 1).topk(k, 1, largest=False).values
        out[start:start + len(q)] = best + q.pow(2).sum(1, keepdim=True)
    return out
