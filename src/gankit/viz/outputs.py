"""Pictures a run folder gets while and after training: the fixed-noise grids
(``samples/step_NNNNNN.png`` every ``--sample-every`` steps, ``samples/final.png``), then
``curves.png`` and ``progress.gif`` at the end.

Training callbacks (always on: a grid costs one small forward pass, the end pictures about a
second), so every run folder can be judged by eye without running another command, and the
Trainer itself never draws.
"""

from __future__ import annotations

from ..callbacks import register_callback
from ..distributed import is_main_process
from ..engine import Callback
from ..safe_write import check_no_symlink


class SampleGrids(Callback):
    """The fixed-noise grid through the Sampler (EMA nets where the run keeps them)."""

    main_only = True  # rank 0 watches for every process (gankit.engine.Callback)

    def __init__(self, every: int, reference=None):
        self.every, self.reference = every, reference

    def save(self, view, name: str):
        """Draw the grid into ``samples/NAME`` and return the samples it shows."""
        from .grid import save_samples_picture

        check_no_symlink(view.run_dir / "samples" / name, view.run_dir)  # a planted link: refuse, not write out
        pictures, per_row = view.preview()
        save_samples_picture(pictures, view.spec.kind, view.run_dir / "samples" / name, nrow=per_row,
                             reference=self.reference, title=f"{view.config.model}, step {view.step}", spec=view.spec)
        return pictures

    def on_step(self, view) -> None:
        if view.step % self.every == 0 and is_main_process():
            self.save(view, f"step_{view.step:06d}.png")

    def on_end(self, view) -> None:
        if is_main_process():
            final = self.save(view, "final.png")
            save_final_media(view, final)


def save_final_media(view, samples) -> None:
    """What a sound or text run leaves to be heard or read beside ``samples/final.png``: the first
    :data:`~gankit.viz.media.FINAL_CLIPS` fixed samples as ``samples/final-clips/*.wav``, or all of
    them as lines of ``samples/final.txt`` (the report plays and quotes these)."""
    from .media import FINAL_CLIPS, decode_texts, sample_rate_of, save_clips, save_texts

    samples_dir = view.run_dir / "samples"
    if view.spec.kind == "audio":
        check_no_symlink(samples_dir / "final-clips", view.run_dir)
        save_clips(samples[:FINAL_CLIPS], samples_dir / "final-clips", sample_rate_of(view.spec))
    elif view.spec.kind == "text":
        check_no_symlink(samples_dir / "final.txt", view.run_dir)
        save_texts(decode_texts(samples, view.spec), samples_dir / "final.txt")


class RunPictures(Callback):
    main_only = True  # rank 0 watches for every process (gankit.engine.Callback)

    def on_end(self, view) -> None:
        if not is_main_process():
            return
        from .curves import write_run_curves
        from .gif import write_progress_gif

        write_run_curves(view.run_dir)
        write_progress_gif(view.run_dir)

    def on_diverged(self, view, error) -> None:
        self.on_end(view)  # the pictures of the good part of the run


def reference_points(dataset):
    """Real points drawn under a 2D scatter of samples (None for images)."""
    return dataset.data[:2000] if dataset.spec.kind == "points" else None


@register_callback
def _sample_grids(cfg, run_dir, dataset):
    return SampleGrids(cfg.sample_every, reference_points(dataset))


@register_callback
def _run_pictures(cfg, run_dir, dataset):
    return RunPictures()
