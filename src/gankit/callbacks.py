"""Which training callbacks a config asks for.

Features that watch training (``--eval-every``, pitfall alarms, ``--tensorboard``) register a
factory here; :func:`build_callbacks` asks each factory whether the config wants it. The Trainer
only sees :class:`gankit.engine.Callback` objects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch

from .config import TrainConfig
from .data.base import Dataset
from .engine import Callback

CallbackFactory = Callable[[TrainConfig, Path, Dataset], "Callback | None"]
FACTORIES: list[CallbackFactory] = []
#: modules whose import registers factories (imported lazily: they may pull in heavy deps)
PROVIDERS: list[str] = []
PROVIDERS.append("gankit.viz.outputs")  # curves.png + progress.gif at the end of a run
PROVIDERS.append("gankit.diagnostics")  # pitfall alarms (--no-diagnostics turns them off)
PROVIDERS.append("gankit.metrics.callback")  # --eval-every (before the loggers that read the record)
PROVIDERS.append("gankit.viz.tensorboard")  # --tensorboard


def register_callback(factory: CallbackFactory) -> CallbackFactory:
    FACTORIES.append(factory)
    return factory


def build_callbacks(cfg: TrainConfig, run_dir: Path, dataset: Dataset) -> list[Callback]:
    import importlib

    for module in PROVIDERS:
        importlib.import_module(module)
    callbacks = []
    for factory in FACTORIES:
        with torch.random.fork_rng(devices=[]):  # watchers must not shift the training RNG (reproducible runs)
            cb = factory(cfg, run_dir, dataset)
        if cb is not None:
            callbacks.append(cb)
    return callbacks
