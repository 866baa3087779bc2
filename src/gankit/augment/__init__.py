"""Differentiable augmentation for GAN discriminators: DiffAugment (Zhao et al. 2020) and ADA (Karras et al. 2020).

Both take float image batches ``(N, C, H, W)`` in [-1, 1] (C = 1 or 3, fp32 or bf16, CPU or CUDA), are
differentiable w.r.t. the images (so G gets gradients through them), and draw their randomness from the global
torch RNG of the input's device unless given a ``generator``. The per-image ops they share are in :mod:`.ops`.
"""

from gankit.augment import ops
from gankit.augment.ada import AdaptiveAugment
from gankit.augment.diffaugment import DIFFAUGMENT_POLICIES, DiffAugment, diff_augment, parse_policy

__all__ = ["DIFFAUGMENT_POLICIES", "AdaptiveAugment", "DiffAugment", "diff_augment", "ops", "parse_policy"]
