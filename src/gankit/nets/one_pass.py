"""D over real and fake in one forward, computing exactly what two separate forwards would.

Why: a D step scores a real batch and a fake batch. Two forwards over half-size batches cost two
rounds of kernels, and autograd sums two weight gradients per layer in the backward pass; one
forward over the concatenation does the same arithmetic in fewer, larger operations. On the zoo
``gan`` at batch 64 in bf16 this is about a tenth of the step (docs/performance.md, "Reusing D's fakes
and one D forward").

It is the same computation only where D treats each sample on its own. BatchNorm does not: in
training it normalises by the statistics of the batch it is given, and a real batch and a fake
batch have different statistics. Mixing them changes the algorithm (DCGAN's practice, and the
usual advice, is separate real and fake batches). So, in :func:`forward_parts`, every BatchNorm
layer normalises each part by that part's own statistics and updates its running statistics part
after part, as the separate forwards would. A net vouches that the rest of its forward is per
sample with the attribute ``per_sample = True`` (a wrapper passes on its inner net's);
:func:`can_run_together` refuses anything this cannot vouch for (spectral norm's power iteration
runs once per forward, SyncBatchNorm's statistics span processes, a compiled net would recompile),
and those keep separate forwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils import parametrize

from ..distributed import world_size


def can_run_together(net: nn.Module) -> bool:
    """True when ``net`` declares itself per sample (BatchNorm apart) and nothing inside changes that,
    in a single-process run. Multi-process runs keep two forwards: there two ranks of batch b must train
    what one process of 2b trains (tests/test_distributed.py), and a critic's bias gradients that are
    exactly zero in exact arithmetic let Adam turn the summation order's rounding into steps of +-lr."""
    if not getattr(net, "per_sample", False) or world_size() > 1:
        return False
    for m in net.modules():
        if isinstance(m, nn.SyncBatchNorm) or parametrize.is_parametrized(m):
            return False
        if hasattr(m, "weight_orig") or getattr(m, "_compiled_call_impl", None) is not None:
            return False  # the hook form of spectral norm; torch.compile'd modules
    return True


@contextlib.contextmanager
def batchnorm_in_parts(net: nn.Module, parts: int) -> Iterator[None]:
    """Within the block, each training-mode BatchNorm of ``net`` treats its input as ``parts`` equal
    batches, one after the other: its own statistics for each, running statistics updated per part."""
    layers = [m for m in net.modules() if isinstance(m, _BatchNorm)]
    for m in layers:
        m.forward = _parts_forward(m, parts)  # an instance attribute, so only this net is affected
    try:
        yield
    finally:
        for m in layers:
            del m.forward


def _parts_forward(layer: _BatchNorm, parts: int):
    plain = type(layer).forward

    def forward(x: torch.Tensor) -> torch.Tensor:
        if not layer.training:  # eval statistics are per sample already
            return plain(layer, x)
        return torch.cat([plain(layer, part) for part in x.chunk(parts)])

    return forward


def forward_parts(net: nn.Module, inputs: Sequence[torch.Tensor], labels: torch.Tensor | None = None
                  ) -> list[torch.Tensor]:
    """``[net(x, labels) for x in inputs]`` in one forward where :func:`can_run_together` allows it
    (equal batch sizes), separate forwards otherwise. ``labels`` are the same for every part."""
    sizes = {x.shape[0] for x in inputs}
    if len(inputs) < 2 or len(sizes) != 1 or not can_run_together(net):
        return [net(x, labels) for x in inputs]
    joined = labels if labels is None else torch.cat([labels] * len(inputs))
    with batchnorm_in_parts(net, len(inputs)):
        out = net(torch.cat(list(inputs)), joined)
    return list(out.chunk(len(inputs)))
