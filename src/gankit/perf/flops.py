"""Counting the FLOPs of a piece of work with ``torch.utils.flop_counter.FlopCounterMode``.

The counter sees every matmul/convolution (forward and backward) dispatched while it is active, so
counting one real training step gives the model's FLOPs per step as the engine actually runs it
(e.g. without the D weight gradients the engine skips in the G update). Elementwise ops are not
counted: on these nets they are a rounding error next to the convolutions, but it means the
achieved GFLOP/s is a lower bound of the work done.

Only the total is needed, so the counter's per-module breakdown is switched off: torch builds it
with backward hooks on every module, and those hooks raise inside ``torch.autograd.grad`` ("A leaf
node was passed to _will_engine_execute_node ..."), which is how every gradient penalty (wgan-gp,
dragan, r1, ...) is computed. Without the hooks the same ops are counted, penalties included.
"""

from __future__ import annotations

from collections.abc import Callable

from torch.utils.flop_counter import FlopCounterMode


class _GlobalOnly:
    """Stands in for FlopCounterMode's module tracker: every op is counted under "Global" only."""

    parents = frozenset({"Global"})

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def count_flops(fn: Callable[[], object]) -> int:
    """Run ``fn()`` once and return the FLOPs it dispatched (multiply-add = 2 FLOPs)."""
    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _GlobalOnly()
    with counter:
        fn()
    return int(counter.get_total_flops())
