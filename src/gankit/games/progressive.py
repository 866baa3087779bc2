"""Progressive growing (ProGAN, Karras et al. 2018): the active resolution and the fade-in alpha as
a function of the real images seen, and the Game that applies them.

The schedule, with ``K`` = ``stage_kimg`` thousand images per phase (the paper: 800; the authors'
code: 600): stage 0 (4x4) trains for ``K``; every later stage first fades in over ``K`` (alpha
0 -> 1) and then trains stably for ``K``; the last stage keeps training to the end of the run.
Because stage and alpha are computed from :attr:`StepInfo.images`, which the checkpoint holds,
a run resumed in the middle of a fade continues with exactly the alpha it would have had.

D must see real images of the same resolution and blend as G's: the real batch is average-pooled
to the active stage and, while fading, blended with its own 2x-coarser version by the same
alpha (:func:`blend_reals`), all kept at full size (nets take and give full-size images).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .base import Batch, StepInfo
from .latent import LatentGame


@dataclass(frozen=True)
class GrowthSchedule:
    stages: int               # 4 for 4x4 -> 32x32
    stage_kimg: float         # thousand images per fade-in and per stable phase
    grow: bool = True         # False: full resolution from the start (the ablation's baseline)

    def at(self, images: int) -> tuple[int, float]:
        """``(stage, alpha)`` after ``images`` real images."""
        if not self.grow:
            return self.stages - 1, 1.0
        phase = images / (1000.0 * self.stage_kimg)  # phases of K kimg: stable 0, fade 1, stable 1, fade 2, ...
        if phase < 1:
            return 0, 1.0
        stage = min(1 + int((phase - 1) // 2), self.stages - 1)
        into = phase - 1 - 2 * (stage - 1)  # phases since this stage's fade began
        return stage, min(1.0, into)

    def fully_grown_at(self) -> float:
        """Thousands of images after which the last stage has faded in."""
        return self.stage_kimg * (2 * self.stages - 2) if self.grow else 0.0


def blend_reals(x: torch.Tensor, stage: int, alpha: float) -> torch.Tensor:
    """Real images as D sees them at ``stage`` with fade-in ``alpha``, at full size (nearest-upsampled)."""
    size = 4 * 2 ** stage
    full = x.shape[-1]
    if size >= full and alpha >= 1.0:
        return x
    low = F.avg_pool2d(x, full // size) if size < full else x
    if stage > 0 and alpha < 1.0:
        coarse = F.interpolate(F.avg_pool2d(low, 2), scale_factor=2, mode="nearest")
        low = torch.lerp(coarse, low, alpha)
    return F.interpolate(low, scale_factor=full // size, mode="nearest") if size < full else low


class ProgressiveGame(LatentGame):
    """A :class:`LatentGame` whose G and D grow: before every loss, both nets get the stage and alpha
    of the images seen so far, and the real batch is shown at that stage.

    ``stage_batch`` optionally gives a batch size per stage (the paper shrinks it as resolution
    grows, to fit memory); missing trailing stages repeat the last size.
    """

    def __init__(self, *args, schedule: GrowthSchedule, stage_batch: tuple[int, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.schedule = schedule
        self.stage_batch = tuple(stage_batch)

    def growth(self, info: StepInfo) -> tuple[int, float]:
        return self.schedule.at(info.images)

    def batch_size(self, info: StepInfo) -> int | None:
        if not self.stage_batch:
            return None
        stage, _ = self.growth(info)
        return self.stage_batch[min(stage, len(self.stage_batch) - 1)]

    def loss(self, phase: str, batch: Batch, info: StepInfo):
        stage, alpha = self.growth(info)
        for net in self.nets.values():
            net.set_growth(stage, alpha)
        if phase != "G":  # the G phase reuses D's batch for its size and labels only (WGAN's G loss)
            batch = {**batch, "x": blend_reals(batch["x"], stage, alpha)}
        loss, stats = super().loss(phase, batch, info)
        if phase == "G":
            size = batch["x"].new_tensor(4.0 * 2 ** stage)
            stats = {**stats, "resolution": size, "alpha": batch["x"].new_tensor(alpha)}
        return loss, stats
