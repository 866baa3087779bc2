"""End-of-run pictures: ``curves.png`` and ``progress.gif`` in the run folder.

A training callback (always on: it costs about a second at the end of a run and nothing while
training), so every run folder can be judged by eye without running another command.
"""

from __future__ import annotations

from ..callbacks import register_callback
from ..distributed import is_main_process
from ..engine import Callback


class RunPictures(Callback):
    def on_end(self, trainer) -> None:
        if not is_main_process():
            return
        from .curves import write_run_curves
        from .gif import write_progress_gif

        write_run_curves(trainer.run_dir)
        write_progress_gif(trainer.run_dir)

    def on_diverged(self, trainer, error) -> None:
        self.on_end(trainer)  # the pictures of the good part of the run


@register_callback
def _run_pictures(cfg, run_dir, dataset):
    return RunPictures()
