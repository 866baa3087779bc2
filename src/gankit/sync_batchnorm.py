"""``--sync-bn``: batchnorm whose training statistics are those of the global batch, over every rank.

Without it each process normalizes by its own slice's statistics (kept local by design, like
DDP without SyncBatchNorm): G's samples are then normalized over b images, not the global batch,
so 4 x b trains a slightly different model than 1 x 4b. With it a BN net sees the global batch.
On CUDA this is torch's ``nn.SyncBatchNorm`` (its fused kernels); torch refuses CPU tensors, so on
CPU (gloo) :class:`CpuSyncBatchNorm` computes the same statistics with one differentiable
all-reduce of per-channel sums: its backward all-reduces the gradients of those sums, which is
what makes every rank's gradient the global batch's (tests/test_distributed.py checks 2 x b against
1 x 2b).
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

from .distributed import world_size


class _SumOverRanks(torch.autograd.Function):
    """``x`` summed over the ranks; its gradient, the gradients of every rank's losses summed likewise."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        out = x.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        grad = grad.contiguous().clone()
        dist.all_reduce(grad)
        return grad


class CpuSyncBatchNorm(nn.modules.batchnorm._BatchNorm):
    """BatchNorm1d/2d with statistics over every rank's batch (CPU processes on gloo)."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least a 2D input, got {input.dim()}D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and world_size() > 1):
            return super().forward(x)
        dims = [0] + list(range(2, x.dim()))
        xf = x.float()
        count = torch.full((1,), xf.numel() / xf.shape[1], dtype=torch.float32, device=x.device)
        sums = torch.cat([xf.sum(dims), (xf * xf).sum(dims), count])
        sums = _SumOverRanks.apply(sums)
        c = x.shape[1]
        n = sums[-1]
        mean = sums[:c] / n
        var = (sums[c:2 * c] / n - mean * mean).clamp_min(0)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.lerp_(mean.detach(), m)
                self.running_var.lerp_(var.detach() * (n / (n - 1)).clamp_min(0), m)  # unbiased, as torch's BN
        shape = [1, c] + [1] * (x.dim() - 2)
        y = (xf - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


def convert(module: nn.Module, device: torch.device) -> nn.Module:
    """Every BatchNorm of ``module`` made synchronized across ranks, its weights and statistics kept
    (state_dict keys unchanged, so checkpoints stay interchangeable with unsynchronized runs)."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    return _convert_cpu(module)


def _convert_cpu(module: nn.Module) -> nn.Module:
    if isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        new = CpuSyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                               module.track_running_stats)
        new.load_state_dict(module.state_dict())
        new.train(module.training)
        return new
    for name, child in module.named_children():
        module.add_module(name, _convert_cpu(child))
    return module
