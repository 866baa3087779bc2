"""The Python API: ``train()``, ``load_run()`` and :class:`Run`.

A run is a folder (see DESIGN.md): ``config.yaml`` holds the resolved training config, the data
spec and the runtime choices, so :func:`load_run` can rebuild the generator and sample from it
on another machine without the dataset or any training code path.
"""

from __future__ import annotations

import math
import os
import platform
import sys
from pathlib import Path

import torch
import yaml

from . import __version__
from .callbacks import build_callbacks
from .checkpoint import load_run_checkpoint
from .config import TrainConfig, load_yaml
from .data import Dataset, DataSpec, get_dataset, to_uint8
from . import distributed, provenance
from .data.identity import dataset_record, resolve_dataset, resolve_path
from .distributed import is_main_process
from .ema import ema_copy
from .engine import Callback, Trainer
from .errors import GankitError
from .models import MODELS, build_game, get_model, resolve
from .plugins import load_entry_points, load_plugins, plugins_for
from .precision import resolve_device, resolve_precision
from .run_folder import NewRunFolder, check_location
from . import run_lock
from .safe_write import remove_stale_temps, write_text
from .threads import recorded as threads_record

DEFAULT_STEPS = 2000
#: fields a resume may change; everything else comes from the run's config.yaml
RESUMABLE_OVERRIDES = ("steps", "epochs", "sample_every", "checkpoint_every", "log_every", "keep_checkpoints",
                       "grad_norm_every", "eval_every", "eval_metrics", "eval_n")


class Run:
    """A trained (or training) run folder."""

    def __init__(self, path: str | Path, config: TrainConfig, spec: DataSpec, runtime: dict | None = None):
        self.path = Path(path)
        self.config = config
        self.spec = spec
        self.runtime = runtime or {}
        self._game = None
        self._ema: dict[str, torch.nn.Module] = {}
        self.step = None

    @property
    def game(self):
        """The run's Game (nets in eval mode) with the weights of ``checkpoints/last.pt``."""
        if self._game is None:
            self._load()
        return self._game

    @property
    def has_ema(self) -> bool:
        """True when the run kept an EMA copy of G (``--ema``); samples then come from it."""
        self.game  # noqa: B018 (loads)
        return "G" in self._ema

    def _load(self) -> None:
        state = load_run_checkpoint(self.path / "checkpoints" / "last.pt")
        if state.get("model") != self.config.model:
            raise GankitError(f"checkpoint in {self.path} is from model {state.get('model')!r}, but config.yaml "
                              f"says {self.config.model!r} (restore the matching config.yaml or retrain)")
        game = build_game(self.config, self.spec)
        _load_strict(game, state["game"], self.path)
        for name, weights in state.get("ema", {}).items():
            self._ema[name] = ema_copy(game.nets[name])
            _load_strict(self._ema[name], weights, self.path)
        self._game = game.eval()
        if "G" in self._ema:  # the averaged weights get batchnorm statistics of their own (gankit.ema)
            game.sampler(self._ema).standing_statistics()
        self.step = int(state["step"])

    def sampler(self, ema: bool = True, device: str = "cpu"):
        """The Game's Sampler (:mod:`gankit.games.sampler`): over the EMA copy of G when the run has one
        and ``ema`` is True, else over G itself."""
        game = self.game.to(device)
        nets = {k: v.to(device) for k, v in self._ema.items()} if ema else {}
        return game.sampler(nets or None)

    @property
    def generator(self) -> torch.nn.Module:
        """The G samples come from (its EMA copy where the run has one)."""
        return self.sampler().G

    @property
    def latent(self):
        """G's input distribution (the Game's Latent; InfoGAN's carries its codes)."""
        return self.game.latent

    def sample(self, n: int, seed: int | None = None, labels: torch.Tensor | int | None = None,
               batch_size: int = 500, device: str = "cpu", ema: bool = True, text: str | list[str] | None = None,
               **opts) -> torch.Tensor:
        """``n`` samples: uint8 (N, C, H, W) images, or float (N, dim) points.

        ``seed`` makes the draw reproducible; ``labels`` (one class or one per sample) conditions
        a class-conditional model (without them its samples cycle through the classes);
        unconditional models ignore labels. ``text`` (one caption for all, or one per sample) is what
        a text2image run draws. ``opts`` go to the Sampler (e.g. ``truncation=0.7``).
        """
        sampler = self.sampler(ema=ema, device=device)
        if labels is not None and not sampler.conditional:
            labels = None
        if text is None:
            return sampler.generate(sampler.fixed_inputs(n, seed, labels), batch_size=batch_size, **opts)
        if not hasattr(sampler, "captions"):
            raise GankitError(f"{self.config.model} is not conditioned on text (train --model text2image)")
        texts = [text] if isinstance(text, str) else list(text)
        if len(texts) not in (1, n):
            raise GankitError(f"{len(texts)} captions for {n} samples (give one caption, or one per sample)")
        return sampler.generate(sampler.fixed_inputs(n, seed, labels, texts=texts), batch_size=batch_size, **opts)

    def translate(self, images: torch.Tensor, direction: str = "AtoB", batch_size: int = 256,
                  device: str = "cpu") -> torch.Tensor:
        """A translation model's outputs for uint8 images (N, C, H, W) of the input domain (``direction``
        "AtoB", or "BtoA" for the unpaired families): uint8 images of the other domain."""
        sampler = self.sampler(device=device)
        if not hasattr(sampler, "translate"):
            raise GankitError(f"{self.config.model} draws samples rather than translating images (use Run.sample)")
        return sampler.translate(images, direction, batch_size)

    def classify(self, images: torch.Tensor, probabilities: bool = False, batch_size: int = 512,
                 device: str = "cpu") -> torch.Tensor:
        """The class a semi-supervised run's D gives uint8 images (N, C, H, W) of the run's shape: a
        LongTensor (N,), or with ``probabilities`` the (N, K) softmax over the classes."""
        game = self.game.to(device)
        if not hasattr(game, "class_logits"):
            raise GankitError(f"{self.config.model}'s discriminator is not a classifier (train --model ssgan)")
        if images.ndim != 4 or tuple(images.shape[1:]) != tuple(self.spec.shape):
            raise GankitError(f"{self.path} classifies images of shape {tuple(self.spec.shape)}, not "
                              f"{tuple(images.shape[1:])} (resize them, e.g. with gankit classify)")
        logits = game.class_logits(images, batch_size)
        return logits.softmax(1) if probabilities else logits.argmax(1)

    def metrics(self) -> list[dict]:
        """The records of ``metrics.jsonl``, oldest first (a half-written last line is skipped)."""
        from .viz.runfiles import read_metrics

        return read_metrics(self.path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, model={self.config.model!r}, dataset={self.spec.name!r})"


def _load_strict(module: torch.nn.Module, state: dict, run_path: Path) -> None:
    try:
        module.load_state_dict(state)
    except RuntimeError:
        raise GankitError(f"checkpoint in {run_path} does not match the networks config.yaml describes "
                          "(it is from another model or settings; retrain or restore its config.yaml)") from None


def load_run(path: str | Path) -> Run:
    """Open a run folder written by :func:`train`."""
    path = Path(path)
    if not path.is_dir():
        raise GankitError(f"run folder {path} does not exist (check the path)")
    cfg_file = path / "config.yaml"
    if not cfg_file.is_file():
        raise GankitError(f"{path} has no config.yaml (is it a gankit run folder?)")
    data = load_yaml(cfg_file)
    incomplete = f"{cfg_file} is incomplete (it needs 'train' and 'data' sections, each a mapping; restore it)"
    if not (isinstance(data.get("train"), dict) and isinstance(data.get("data"), dict)
            and isinstance(data.get("runtime", {}), (dict, type(None)))):
        raise GankitError(incomplete)
    config = TrainConfig.from_dict(data["train"], source=str(cfg_file)).validate(str(cfg_file))
    if config.plugins:  # the run's own recipe: import it before anything looks the model up (gankit.plugins)
        load_plugins(config.plugins, run=path)
        if config.model not in MODELS:
            raise GankitError(f"the plugins of {path} ({', '.join(config.plugins)}) no longer register its model "
                              f"{config.model!r} (restore the plugin's version that did; see gankit models --plugin)")
    else:
        load_entry_points()
    try:
        spec = DataSpec.from_dict(data["data"])
    except (KeyError, TypeError, ValueError):
        raise GankitError(incomplete) from None
    return Run(path, config, spec, data.get("runtime"))


def _steps_for(cfg: TrainConfig, dataset: Dataset, batches_per_step: int) -> int:
    if cfg.epochs is not None:
        batches = len(dataset) // cfg.batch_size
        return max(1, math.ceil(cfg.epochs * batches / batches_per_step))
    return cfg.steps or DEFAULT_STEPS


def train(config: TrainConfig | dict | str | Path | None = None, *, out: str | Path | None = None,
          resume: str | Path | None = None, overwrite: bool = False, quiet: bool = False,
          data: Dataset | None = None, callbacks: list | None = None, **overrides) -> Run:
    """Train a model and return its :class:`Run`.

    ``config`` is a TrainConfig, a dict, or a YAML file; keyword ``overrides`` take precedence
    (e.g. ``train(model="gan", dataset="ring8", steps=2000, out="runs/x")``). With ``resume``,
    the run's own config is used and only ``steps``/``epochs`` and output cadences may change.
    ``data`` passes an in-memory :class:`Dataset` instead of loading ``config.dataset``;
    ``callbacks`` adds :class:`gankit.engine.Callback` objects to those the config asks for.
    """
    if resume is not None:
        return _resume(Path(resume), quiet, data, overrides, callbacks)
    if isinstance(config, (str, Path)):
        cfg_dict = load_yaml(config)
        cfg_dict = cfg_dict.get("train", cfg_dict) if isinstance(cfg_dict.get("train"), dict) else cfg_dict
        source = str(config)
    elif isinstance(config, TrainConfig):
        cfg_dict, source = config.to_dict(), "config"
    else:
        cfg_dict, source = dict(config or {}), "config"
    if isinstance(overrides.get("params"), dict) and isinstance(cfg_dict.get("params"), dict):
        overrides["params"] = {**cfg_dict["params"], **overrides["params"]}  # --param adds to the file's params
    if isinstance(overrides.get("plugins"), list) and isinstance(cfg_dict.get("plugins"), list):
        overrides["plugins"] = cfg_dict["plugins"] + overrides["plugins"]  # --plugin adds to the file's plugins
    cfg_dict.update({k: v for k, v in overrides.items() if v is not None})
    cfg = TrainConfig.from_dict(cfg_dict, source=source).validate()
    if out is None:
        raise GankitError("no run folder given (pass --out DIR)")
    out = Path(out)
    typed_dataset = cfg.dataset
    cfg.dataset = resolve_dataset(cfg.dataset)  # a folder by its absolute path: the run works from any directory
    cfg.data_root = resolve_path(cfg.data_root)
    cfg.plugins = load_plugins(cfg.plugins) or None  # before the model is looked up; recorded as loaded
    get_model(cfg.model)  # unknown model: fail before loading data
    cfg.plugins = plugins_for(cfg.model, cfg.plugins or []) or None  # an entry point's recipe: its module too
    check_location(out, [cfg.dataset, cfg.data_root])
    dataset = training_data(cfg, data)
    cfg = resolve(cfg, dataset.spec)
    folder = NewRunFolder(out, overwrite)
    with distributed.process_group(resolve_device(cfg.device)) as device:
        world = distributed.world_size()
        distributed.per_rank_batch(cfg.batch_size, world)
        precision = resolve_precision(cfg.precision, device, dataset.spec.kind)
        torch.manual_seed(cfg.seed)  # the same on every rank: one initialization (rank 0's is broadcast too)
        game = build_game(cfg, dataset.spec)
        steps = _steps_for(cfg, dataset, game.batches_per_step())
        cfg.steps = steps
        _on_main(folder.prepare)  # the old run is set aside, not deleted (gankit.run_folder)
        try:
            runtime = {"device": str(device), "precision": precision.name, "precision_reason": precision.reason,
                       **threads_record(),  # threads, threads_reason: chosen per command (gankit.threads)
                       "torch": str(torch.__version__), "gankit": __version__, "python": platform.python_version(),
                       "dataset_size": len(dataset), **_world_runtime(cfg, device),
                       **provenance.record(),  # command, git_commit
                       "dataset": dataset_record(typed_dataset, cfg.data_root, dataset)}  # path, hash, splits
            if hasattr(dataset, "record"):  # the labelled split of a semi-supervised run
                runtime["labels"] = dataset.record()
            if is_main_process():
                _write_config(out, cfg, dataset.spec, runtime)
            callbacks = build_callbacks(cfg, out, dataset) + list(callbacks or []) + [_FirstStep(folder)]
            trainer = Trainer(cfg, game, dataset, out, device, precision, quiet, callbacks)
            _fit(trainer, steps)
        except BaseException:
            if is_main_process():
                folder.failed()
            raise
        finally:
            folder.close()
    return Run(out, cfg, dataset.spec, runtime)


class _FirstStep(Callback):
    """Tells the new run folder that training has started (the replaced run may go now)."""

    main_only = True

    def __init__(self, folder: NewRunFolder):
        self.folder = folder

    def on_step(self, view) -> None:
        self.folder.started()


def _world_runtime(cfg: TrainConfig, device: torch.device) -> dict:
    """What config.yaml records of the processes: how many, each one's share of the batch, the backend."""
    world = distributed.world_size()
    out = {"world_size": world, "per_rank_batch": cfg.batch_size // world}
    if world > 1:
        out["backend"] = distributed.backend_for(device)
    return out


def _on_main(action) -> None:
    """Run ``action`` on rank 0; a GankitError it raises is raised on every rank (none is left waiting)."""
    error = None
    if is_main_process():
        try:
            action()
        except GankitError as e:
            error = e
    _, error = distributed.agree({}, error)
    if error is not None:
        raise error


def _fit(trainer: Trainer, steps: int) -> None:
    """``trainer.fit``, with a lost or hung peer process reported in one line instead of gloo's traceback."""
    try:
        trainer.fit(steps)
    except RuntimeError as e:  # DistError, or gloo's plain RuntimeError for a timed-out or closed peer
        text = str(e).strip()
        peer = isinstance(e, torch.distributed.DistError) or any(w in text for w in ("Timed out", "Connection closed",
                                                                                       "gloo"))
        if distributed.world_size() == 1 or not peer:
            raise
        raise distributed_error(trainer, text.splitlines()[0][:200] if text else type(e).__name__) from None


def distributed_error(trainer: Trainer, detail: str):
    from .errors import DistributedError

    return DistributedError(f"process {distributed.rank()} of {distributed.world_size()} lost the others at step "
                            f"{trainer.step_count} ({detail}); another process failed, was killed or hung past "
                            f"{distributed.TIMEOUT_ENV}={distributed.timeout_s():g} s (its own output says which; the last "
                            "checkpoint is kept: continue with --resume)")


def training_data(cfg: TrainConfig, data: Dataset | None = None) -> Dataset:
    """The training split of ``cfg.dataset`` (or ``data``), cut to ``cfg.subset`` images where asked:
    the same seeded subset on every machine and on resume (``subset_seed``)."""
    if data is None and cfg.data_root is not None and not Path(cfg.data_root).expanduser().is_dir():
        what = "is a file" if Path(cfg.data_root).expanduser().exists() else "does not exist"
        raise GankitError(f"--data-root {cfg.data_root} {what} (give the folder holding the dataset files, or leave "
                          "--data-root out to use the installed copy)")
    dataset = data if data is not None else get_dataset(cfg.dataset, "train", cfg.data_root, cfg.image_size,
                                                        cfg.channels)
    if data is None and hasattr(dataset, "preview"):  # translation: its grids show fixed test images
        dataset.preview = test_preview(cfg)
    if cfg.labels_per_class:
        from .data.semi_supervised import SemiSupervisedDataset

        if cfg.subset is not None:
            raise GankitError("--subset and --labels-per-class both choose training images (use one of them)")
        return SemiSupervisedDataset(dataset, cfg.labels_per_class, cfg.label_seed)
    if cfg.subset is None:
        return dataset
    if cfg.subset > len(dataset):
        raise GankitError(f"--subset {cfg.subset} is more than the {len(dataset)} training images of "
                          f"{dataset.spec.name} (pass a smaller N, or leave --subset out)")
    return dataset.subset(cfg.subset, seed=cfg.subset_seed)


def test_preview(cfg: TrainConfig, n: int = 8) -> dict | None:
    """The first ``n`` test images of each side of a translation dataset (None when it has no test split)."""
    try:
        test = get_dataset(cfg.dataset, "test", cfg.data_root, cfg.image_size, cfg.channels)
    except GankitError:
        return None
    return test.head(n)


def _write_config(out: Path, cfg: TrainConfig, spec: DataSpec, runtime: dict) -> None:
    doc = {"train": cfg.to_dict(), "data": spec.to_dict(), "runtime": runtime}
    write_text(out / "config.yaml", yaml.safe_dump(doc, sort_keys=False), root=out)


def drop_records_after(run_dir: Path, step: int) -> int:
    """Rewrite ``metrics.jsonl`` (atomically) without the records past ``step`` and any torn line:
    after a resume from ``step`` they would repeat, and curves would zig-zag. Returns how many went."""
    import json

    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return 0
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    kept = []
    for line in lines:
        try:
            record = json.loads(line)
            if int(record["step"]) <= step:
                kept.append(line)
        except (ValueError, KeyError, TypeError, OverflowError):  # {"step": Infinity} too
            continue
    if len(kept) == len(lines):
        return 0
    write_text(path, "".join(k + "\n" for k in kept), root=run_dir)
    return len(lines) - len(kept)


def _resume(path: Path, quiet: bool, dataset: Dataset | None, overrides: dict, callbacks: list | None) -> Run:
    run = load_run(path)
    main = int(os.environ.get("RANK", "0")) == 0  # before the process group exists (torchrun sets RANK)
    with run_lock.locked(path, enabled=main):  # one training process per run folder
        return _resume_locked(path, run, quiet, dataset, overrides, callbacks)


def _resume_locked(path: Path, run: Run, quiet: bool, dataset: Dataset | None, overrides: dict,
                   callbacks: list | None) -> Run:
    bad = sorted(k for k, v in overrides.items() if v is not None and k not in RESUMABLE_OVERRIDES)
    if bad:
        flag = {"params": "param", "plugins": "plugin"}.get(bad[0], bad[0].replace("_", "-"))  # key 'params' is --param
        raise GankitError(f"--{flag} cannot change when resuming (only --steps, --epochs "
                          "and output cadences can; start a new run to change the rest)")
    state = load_run_checkpoint(path / "checkpoints" / "last.pt")
    if state.get("model") != run.config.model:
        raise GankitError(f"checkpoint in {path} is from model {state.get('model')!r}, not {run.config.model!r} "
                          "(restore the matching config.yaml or start a new run)")
    cfg = run.config
    for key, value in overrides.items():
        if value is not None:
            setattr(cfg, key, value)
    cfg.validate()
    dataset = training_data(cfg, dataset)
    if dataset.spec.shape != run.spec.shape:
        raise GankitError(f"the dataset now has shape {dataset.spec.shape}, the run was trained on "
                          f"{run.spec.shape} (point --data-root at the original data)")
    if overrides.get("epochs") is None and overrides.get("steps") is None:
        raise GankitError("--resume needs the new total step count (pass --steps N, larger than the current step)")
    with distributed.process_group(resolve_device(cfg.device)) as device:
        precision = resolve_precision(run.runtime.get("precision", cfg.precision), device, run.spec.kind)
        torch.manual_seed(cfg.seed)
        game = build_game(cfg, run.spec)
        if overrides.get("epochs") is not None:
            cfg.steps = _steps_for(cfg, dataset, game.batches_per_step())
        if cfg.steps <= int(state["step"]):
            raise GankitError(f"the run is already at step {state['step']} (pass --steps larger than that to continue)")
        callbacks = build_callbacks(cfg, path, dataset) + list(callbacks or [])
        trainer = Trainer(cfg, game, dataset, path, device, precision, quiet, callbacks)
        try:
            trainer.load_state_dict(state)
        except (RuntimeError, KeyError, ValueError, TypeError, AttributeError, IndexError):  # a damaged checkpoint
            raise GankitError(f"checkpoint in {path} does not match its config.yaml (restore the matching files)") from None
        run.runtime.update(_world_runtime(cfg, device), **threads_record())  # this machine's choice, made anew
        run.runtime["resume_commands"] = list(run.runtime.get("resume_commands") or []) + [provenance.command_line()]
        if is_main_process():
            for folder in (path, path / "checkpoints", path / "samples"):
                remove_stale_temps(folder)  # left by writers that were killed
            dropped = drop_records_after(path, int(state["step"]))
            if dropped:
                print(f"gankit: note: dropped {dropped} metrics.jsonl record(s) written after the checkpoint's step "
                      f"{state['step']} (they are trained again)", file=sys.stderr)
            if trainer.resume_note:
                print(f"gankit: note: {trainer.resume_note}", file=sys.stderr)
            _write_config(path, cfg, run.spec, run.runtime)
        _fit(trainer, cfg.steps)
    return Run(path, cfg, run.spec, run.runtime)
