"""``--tensorboard``: the numbers of ``metrics.jsonl`` and the fixed-noise grids as TensorBoard
event files in ``RUN/tensorboard/`` (``tensorboard --logdir RUN``). Local files only; nothing
talks to an online service.

Why a callback and not a second logger in the engine: the record a callback sees is exactly
what is written to ``metrics.jsonl`` (including eval metrics and diagnostics added by callbacks
that ran before it), so both logs always agree.
"""

from __future__ import annotations

import math

from ..callbacks import register_callback
from ..distributed import is_main_process
from ..engine import Callback

SKIP = {"step"}


class TensorBoardLogger(Callback):
    main_only = True  # rank 0 watches for every process (gankit.engine.Callback)

    def __init__(self, run_dir, sample_every: int, reference=None):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(run_dir / "tensorboard"))
        self.sample_every = sample_every
        self.reference = reference
        self.last_grid_step = -1
        self.pending: dict | None = None

    def on_log(self, view, record: dict) -> None:
        # Callbacks after this one may still add keys (eval metrics) to this record: write the
        # previous record, complete by now, and keep this one for the next call.
        self._write_scalars()
        self.pending = record
        step = record["step"]
        if self.last_grid_step < 0 or step // self.sample_every > self.last_grid_step // self.sample_every:
            self._grid(view, step)
        self.writer.flush()

    def on_end(self, view) -> None:
        self._write_scalars()
        if self.last_grid_step != view.step:
            self._grid(view, view.step)
        self.writer.close()

    def _write_scalars(self) -> None:
        record, self.pending = self.pending, None
        if record is None:
            return
        step = record["step"]
        for key, value in record.items():
            if key in SKIP or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(f"train/{key}", value, step)
        self.writer.add_scalar("train/alarms", len(record.get("alarms", [])), step)

    def _grid(self, view, step: int) -> None:
        samples, per_row = view.preview()
        if view.spec.kind == "image":
            from torchvision.utils import make_grid

            nrow = per_row or max(1, math.ceil(math.sqrt(len(samples))))
            self.writer.add_image("samples/fixed_noise", make_grid(samples.cpu(), nrow=nrow, padding=2), step)
        elif view.spec.kind == "audio":  # TensorBoard's own player, a few clips
            from .media import sample_rate_of

            for i, wave in enumerate(samples[:4]):
                self.writer.add_audio(f"samples/clip_{i}", wave.reshape(1, -1).float().clamp(-1, 1), step,
                                      sample_rate=sample_rate_of(view.spec))
        elif view.spec.kind == "text":
            from .media import decode_texts

            texts = decode_texts(samples[:16], view.spec)
            self.writer.add_text("samples/fixed", "\n\n".join(f"    {t}" for t in texts), step)
        else:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(3, 3), dpi=80)
            if self.reference is not None:
                r = self.reference.cpu().numpy()
                ax.scatter(r[:, 0], r[:, 1], s=2, c="0.7")
            p = samples.cpu().numpy()
            ax.scatter(p[:, 0], p[:, 1], s=3, c="tab:orange")
            ax.set_aspect("equal")
            self.writer.add_figure("samples/fixed_noise", fig, step, close=True)
        self.last_grid_step = step


@register_callback
def _tensorboard(cfg, run_dir, dataset):
    if not getattr(cfg, "tensorboard", False) or not is_main_process():
        return None
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        from ..errors import GankitError

        raise GankitError("--tensorboard needs the tensorboard package (pip install tensorboard)") from None
    from .outputs import reference_points

    return TensorBoardLogger(run_dir, cfg.sample_every, reference_points(dataset))
