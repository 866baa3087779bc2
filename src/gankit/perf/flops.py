"""Counting the FLOPs of a piece of work with ``torch.utils.flop_counter.FlopCounterMode``.

The counter sees every matmul/convolution (forward and backward) dispatched while it is active, so
counting one real training step gives the model's FLOPs per step as the engine actually runs it
(e.g. without the D weight gradients the engine skips in the G update). Elementwise ops are not
counted: on these nets they are a rounding error next to the convolutions, but it means the
achieved GFLOP/s is a lower bound of the work done.
"""

from __future__ import annotations

from typing import Callable

from torch.utils.flop_counter import FlopCounterMode


def count_flops(fn: Callable[[], object]) -> int:
    """Run ``fn()`` once and return the FLOPs it dispatched (multiply-add = 2 FLOPs)."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())
