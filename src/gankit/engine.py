"""The Trainer: runs a Game's phases, and everything around them.

Read top to bottom: ``fit`` runs ``step`` until the target step count; ``step`` runs each of the
Game's phases ``repeat(step)`` times (skipping the lazy ones' off-turns), each phase one optimizer
update with the nets it does not train frozen; statistics accumulate on the device and every
``log_every`` steps their window means are read at once (the only host sync in the loop) and
written to ``metrics.jsonl``. The Trainer owns precision, the optimizers, EMA copies, the log
window, checkpoints and the data order; it never knows which GAN it trains (the Game computes the
losses), nor how to draw a picture (watchers do, through a :class:`TrainerView`).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import torch
from tqdm.asyncio import tqdm as console_tqdm
from tqdm.auto import tqdm

from . import distributed as dist
from .allocator import keep_freed_memory
from .checkpoint import FORMAT, save_atomic, snapshot
from .safe_write import append_line
from .stop_signals import Interrupted, StopRequest
from .config import TrainConfig
from .data.base import BatchSampler, Dataset
from .distributed import is_main_process, rank, world_size
from .ema import ema_beta, ema_copy, ema_update
from .errors import TrainingDiverged
from .games.base import Game, Phase, StepInfo
from .optim import build_optimizer
from .precision import Precision

SAMPLE_NOISE_OFFSET = 1_000_003  # fixed-noise seed = run seed + this, away from the training RNG
#: what usually helps when training diverges (also used by gankit.diagnostics for exploding gradients)
DIVERGENCE_ADVICE = ("what usually helps: a lower learning rate (--lr-g/--lr-d, e.g. 10x lower), a gradient penalty "
                     "(wgan-gp, dragan), spectral normalization in D, one-sided label smoothing, Adam with beta1=0.5, "
                     "or fp32 instead of fp16 (--precision fp32)")


class Callback:
    """Something that watches training without being part of the game: periodic evaluation,
    pitfall detectors, pictures, TensorBoard. Each hook gets a :class:`TrainerView`. ``on_log``
    runs at every log step with the record about to be written to metrics.jsonl (a callback may
    add keys to it, or raise to stop training); ``on_step`` after every step (keep it cheap);
    ``on_end`` once after the last step.

    In a multi-process run a callback with ``main_only`` True (the watchers that draw, evaluate
    and write files) runs on rank 0 alone, and what it adds to the record reaches every rank;
    the others run on every rank."""

    main_only = False

    def on_log(self, view: "TrainerView", record: dict) -> None:
        pass

    def on_step(self, view: "TrainerView") -> None:
        pass

    def on_end(self, view: "TrainerView") -> None:
        pass

    def on_diverged(self, view: "TrainerView", error: Exception) -> None:
        """Training is about to stop with ``error`` (TrainingDiverged); the last good checkpoint is kept."""


class TrainerView:
    """What a watcher may see of training: where it is, the run, and the Sampler (EMA nets where
    they exist). Watchers never read Trainer fields, so the Trainer can change under them."""

    def __init__(self, trainer: "Trainer"):
        self._trainer = trainer  # for fault-injection tests only; watchers use the members below
        self.run_dir: Path = trainer.run_dir
        self.spec = trainer.spec
        self.config: TrainConfig = trainer.cfg
        self.quiet: bool = trainer.quiet
        self.records: list[dict] = []  # the records logged by this process so far

    @property
    def step(self) -> int:
        return self._trainer.step_count

    @property
    def info(self) -> StepInfo:
        return self._trainer.info()

    def sampler(self):
        return self._trainer.sampler()

    def fixed_inputs(self):
        """The inputs of the fixed sample grid (same every call: the progress GIF shows G change)."""
        return self._trainer.fixed_inputs

    def generate_fixed(self) -> torch.Tensor:
        return self.sampler().generate(self.fixed_inputs())

    def preview(self) -> tuple[torch.Tensor, int | None]:
        """The fixed grid's pictures and images per row (None: square): samples of the fixed inputs,
        or input | output | target panels for a translation family."""
        return self.sampler().preview(self.fixed_inputs())


class PlainProgress:
    """The progress bar where stderr is not a terminal (a log file, a pipe, CI, nohup), where a
    carriage-return bar becomes one endless line: a whole line every ``every`` seconds
    (``GANKIT_LOG_SECONDS``, default 30), when the alarms shown change, and at the last step, e.g.
    ``step 120/2000 (6%) 15.2 step/s, eta 2:03, d_loss 0.610 g_loss 1.200``. The rate is that of
    the steps since the previous line, so a slowdown (another process, an evaluation) shows."""

    #: the bar's postfix (short names) spelled out; an alarm reads as in the bar
    LABELS = {"d": "d_loss {}", "g": "g_loss {}", "img_s": "{} img/s", "ALARM": "ALARM={}"}

    def __init__(self, total: int, initial: int, every: float):
        self.total, self.n, self.every = total, initial, every
        self.postfix: dict = {}
        self._time, self._n = time.perf_counter(), initial
        self._due = False  # a line at the next update, whatever the time

    def set_postfix(self, **values) -> None:
        self._due |= values.get("ALARM") != self.postfix.get("ALARM")
        self.postfix = values

    def update(self, n: int = 1) -> None:
        self.n += n
        now = time.perf_counter()
        if now - self._time < self.every and self.n < self.total and not self._due:
            return
        self._due = False
        rate = (self.n - self._n) / max(now - self._time, 1e-9)
        eta = _clock((self.total - self.n) / rate) if rate > 0 else "?"
        values = " ".join(self.LABELS.get(k, k + " {}").format(v) for k, v in self.postfix.items())
        print(f"step {self.n}/{self.total} ({100 * self.n // max(self.total, 1)}%) {rate:.3g} step/s, eta {eta}"
              + (f", {values}" if values else ""), file=sys.stderr, flush=True)
        self._time, self._n = now, self.n

    def close(self) -> None:
        pass


def _log_seconds() -> float:
    """``GANKIT_LOG_SECONDS`` (the tests set 0: a line every step), else 30."""
    try:
        return max(0.0, float(os.environ.get("GANKIT_LOG_SECONDS", "30")))
    except ValueError:
        return 30.0


def _clock(seconds: float) -> str:
    """``2:03`` or ``1:02:03``."""
    minutes, s = divmod(round(seconds), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


class Trainer:
    def __init__(self, cfg: TrainConfig, game: Game, dataset: Dataset, run_dir: Path,
                 device: torch.device, precision: Precision, quiet: bool = False,
                 callbacks: list["Callback"] | None = None):
        self.cfg = cfg
        self.callbacks = list(callbacks or [])
        self.spec = dataset.spec
        self.device = device
        self.precision = precision
        self.quiet = quiet
        self.run_dir = Path(run_dir)
        # several processes (torchrun): rank 0's initial weights everywhere, then each trains on its
        # slice of every global batch with gradients averaged (gankit.distributed says why by hand)
        self.world, self.rank = world_size(), rank()
        self.per_rank_batch = dist.per_rank_batch(cfg.batch_size, self.world)
        if device.type == "cpu":
            keep_freed_memory()  # no page faults on every step's big tensors (gankit.allocator)
        self.game = game.to(device)
        dist.broadcast_state(self.game)
        self.phases: list[Phase] = game.phases()
        self.memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
        if cfg.channels_last:
            game.nets.to(memory_format=torch.channels_last)
        self.ema = {name: ema_copy(game.nets[name]) for name, half_life in game.ema.items() if half_life}
        if getattr(cfg, "sync_bn", False) and self.world > 1:  # after the EMA copies: they sample alone, unsynced
            from .sync_batchnorm import convert

            for name in list(game.nets):
                game.nets[name] = convert(game.nets[name], device)
        self._standing_step = -1  # the step whose EMA batchnorm statistics were last recomputed
        self.optimizers = self._build_optimizers()
        self.scaler = torch.amp.GradScaler(device.type, enabled=precision.name == "fp16")
        # A phase trains its own nets; every other parameter is frozen for it. For a G update that
        # skips D's weight-gradient kernels and the grad buffers they'd allocate (activations still
        # carry gradients through D). ``freeze_untrained`` False is only for measuring that.
        self.freeze_untrained = True
        self._untrained = {}  # phase name -> the parameters to freeze for it, listed once
        for phase in self.phases:
            unfrozen = {id(q) for q in game.parameters_of(phase)}
            unfrozen |= {id(q) for name in phase.keeps_graph for q in game.nets[name].parameters()}
            self._untrained[phase.name] = [q for q in game.parameters() if id(q) not in unfrozen]
        self._keys = {p.name: (f"{p.name.lower()}_loss", f"grad_norm_{p.name.lower()}") for p in self.phases}
        # updates made so far, per phase: every grad_norm_every-th measures its norm (saved, so a resume
        # samples the same updates as an uninterrupted run)
        self._updates = {p.name: 0 for p in self.phases}
        if cfg.compile:
            for net in game.nets.values():  # in place: state_dict keys stay the same
                net.compile()
        self.compile_seconds: float | None = None  # first step's wall time when compiled
        self._compile_logged = False
        self._dataset_size = len(dataset)  # for the start line of fit
        self.data = dataset.batch_sampler(self.per_rank_batch, device, seed=cfg.seed + 1, rank=self.rank,
                                          world_size=self.world)
        # what each phase's gradients are averaged over the ranks for (its optimizer's parameters)
        self._reduced = {name: [p for g in opt.param_groups for p in g["params"]] for name, opt in self.optimizers.items()}
        self._base_lr = {name: [g["lr"] for g in opt.param_groups] for name, opt in self.optimizers.items()}
        # None: the first update sets every lr from its base, also over a loaded (maybe decayed) value
        self._lr_factor: dict[str, float | None] = {name: None for name in self.optimizers}
        self.step_count = 0
        self.images = 0
        self.total = int(cfg.steps or 0)
        self.train_seconds = 0.0
        self.phase_counts = {p.name: 0 for p in self.phases}
        self.fixed_inputs = self.sampler().grid_inputs(cfg.grid_size, seed=cfg.seed + SAMPLE_NOISE_OFFSET, data=dataset)
        self._sums: dict[str, torch.Tensor] = {}
        self._counts: dict[str, int] = {}
        self._window_images = 0
        self.view = TrainerView(self)
        self.resume_note: str | None = None  # what a resume on another world size does not restore exactly
        if self.world > 1:  # each rank its own noise; the data order and the fixed grid stay shared
            torch.manual_seed(dist.rank_seed(cfg.seed, self.rank))

    def _build_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        fused = self.device.type in ("cuda", "cpu")
        out: dict[str, torch.optim.Optimizer] = {}
        for phase in self.phases:
            if phase.optim is not None:
                spec = phase.optim
                out[phase.name] = build_optimizer(spec.kind, self.game.parameters_of(phase), spec.lr, spec.betas,
                                                  fused)
        for phase in self.phases:
            if phase.shares is not None:
                if phase.shares not in out:
                    raise ValueError(f"phase {phase.name} shares the optimizer of {phase.shares}, which has none")
                out[phase.name] = out[phase.shares]
        return out

    def info(self) -> StepInfo:
        return StepInfo(self.step_count, self.images, self.total)

    def sampler(self):
        """The Game's Sampler over its EMA copies where they exist (what every picture and metric uses),
        their batchnorm statistics recomputed once per step asked (:func:`gankit.ema.standing_statistics`)."""
        sampler = self.game.sampler(self.ema or None)
        if self.ema and self._standing_step != self.step_count:
            sampler.standing_statistics()
            self._standing_step = self.step_count
        return sampler

    # -- the game -------------------------------------------------------------------------
    def step(self) -> None:
        """One generator step: every phase ``repeat(step)`` times, lazy phases on their turns only."""
        batch = None
        self._batch_images = 0
        trained: set[str] = set()
        for phase in self.phases:
            for _ in range(phase.repeat(self.step_count)):
                turn = self.phase_counts[phase.name]
                self.phase_counts[phase.name] = turn + 1
                if turn % phase.every:
                    continue
                if batch is None or phase.fresh_batch:
                    batch = self._next_batch()
                self._update(phase, batch)
                trained.update(phase.nets)
        # EMA copies follow their nets once per step, however many phases (G, Greg) trained them
        for name in sorted(trained & self.ema.keys()):
            beta = ema_beta(self.game.ema[name], self._batch_images, self.images)
            ema_update(self.ema[name], self.game.nets[name], beta)

    def step_phase(self, name: str) -> None:
        """One update of the phase ``name`` alone, on a fresh batch, as :meth:`step` makes it (whatever its
        ``every``), and the EMA copies of the nets it trains follow it. It counts as a turn of that phase
        but not as a step (``step_count`` is left alone). The live lab's "step D" / "step G" buttons use it
        (:mod:`gankit.serve.lab`); ``fit`` never does."""
        phase = next((p for p in self.phases if p.name == name), None)
        if phase is None:
            raise KeyError(f"{self.cfg.model} has no phase {name!r} (its phases: "
                           f"{', '.join(p.name for p in self.phases)})")
        self.phase_counts[name] += 1
        self._update(phase, self._next_batch())
        for net in sorted(set(phase.nets) & self.ema.keys()):
            beta = ema_beta(self.game.ema[net], self._batch_images, self.images)
            ema_update(self.ema[net], self.game.nets[net], beta)

    def _next_batch(self) -> dict[str, torch.Tensor]:
        size = self.game.batch_size(self.info())  # a global batch, like --batch-size
        if size is not None and self.world > 1:
            size = dist.per_rank_batch(size, self.world, f"{self.cfg.model}'s batch of this stage")
        batch = self.data.next(size)
        for key, x in batch.items():
            if x.dim() == 4:
                batch[key] = x.contiguous(memory_format=self.memory_format)  # no copy unless channels_last
        n = next(iter(batch.values())).shape[0] * self.world  # images (or pairs) of the global batch
        self.images += n
        self._window_images += n
        self._batch_images = n
        return batch

    def _update(self, phase: Phase, batch: dict[str, torch.Tensor]) -> None:
        info = self.info()
        optimizer = self.optimizers[phase.name]
        factor = self.game.lr_factor(phase.name, info)
        if factor != self._lr_factor[phase.name]:  # a schedule (CycleGAN's linear decay); resumes recompute it
            for group, base in zip(optimizer.param_groups, self._base_lr[phase.name]):
                group["lr"] = base * factor
            self._lr_factor[phase.name] = factor
        frozen = self._freeze(phase) if self.freeze_untrained else []
        try:
            with self.precision.autocast(self.device):
                loss, stats = self.game.loss(phase.name, batch, info)
            optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
        finally:
            for p in frozen:
                p.requires_grad_(True)
        if self.world > 1:
            dist.all_reduce_gradients(self._reduced[phase.name])
        loss_key, norm_key = self._keys[phase.name]
        turn = self._updates[phase.name]
        self._updates[phase.name] = turn + 1
        if turn % self.cfg.grad_norm_every == 0 or norm_key not in self._sums:  # a sample, one per window at least
            self._add(norm_key, _grad_norm(optimizer, self.scaler))
        self.scaler.step(optimizer)
        self.scaler.update()
        self.game.after_step(phase.name, info)
        if self.world > 1:  # batchnorm statistics, w_avg, k_t: the same on every rank after every update
            dist.average_buffers(self.game)
        self._add(loss_key, loss.detach().float())
        for k, v in stats.items():
            self._add(k, v.detach())

    def _freeze(self, phase: Phase) -> list[torch.nn.Parameter]:
        """Freeze what ``phase`` does not train; returns what to unfreeze (not what was frozen already)."""
        frozen = [p for p in self._untrained[phase.name] if p.requires_grad]
        for p in frozen:
            p.requires_grad_(False)
        return frozen

    def fit(self, total_steps: int) -> None:
        """Train until ``total_steps`` generator updates have been made (resumes count from the checkpoint)."""
        self.total = total_steps
        main = is_main_process()
        if main and not self.quiet:
            print(self._start_line(total_steps), flush=True)
        if main and not self.quiet and tqdm is console_tqdm and not sys.stderr.isatty():
            # a log file or a pipe: a carriage-return bar there is one endless line, so whole lines instead
            bar = PlainProgress(total_steps, self.step_count, _log_seconds())
        else:
            bar = tqdm(total=total_steps, initial=self.step_count, disable=self.quiet or not main,
                       dynamic_ncols=True, unit="step", desc=f"{self.cfg.model} on {self.spec.name}")
        self.game.train()
        with StopRequest(enabled=self.world == 1) as stop:
            self._fit_loop(total_steps, bar, main, stop)
        bar.close()
        for cb in self._watchers:
            cb.on_end(self.view)

    def _start_line(self, total_steps: int) -> str:
        """What is about to run, in one line: the model, the data, the budget, precision and threads."""
        from .threads import recorded

        spec = self.spec
        if spec.kind == "image":
            c, h, w = spec.shape
            data = f"{self._dataset_size} images, {h}x{w}x{c}"
        elif spec.kind == "audio":
            rate = int(spec.extra.get("sample_rate", 16000))
            data = f"{self._dataset_size} clips of {spec.shape[-1]} samples at {rate / 1000:g} kHz"
        elif spec.kind == "text":
            data = f"{self._dataset_size} texts of up to {spec.shape[0]} tokens"
        else:
            data = f"{self._dataset_size} points in {spec.shape[0]}-D"
        threads = recorded()
        n = threads["threads"]
        steps = (f"steps {self.step_count} -> {total_steps}" if self.step_count else f"{total_steps} steps")
        return (f"gankit: {'resuming ' if self.step_count else ''}{self.cfg.model} on {spec.name} ({data}), "
                f"{steps} of batch {self.cfg.batch_size}, {self.device.type}, "
                f"{self.precision.name} ({self.precision.reason}), "
                + (f"{self.world} processes x " if self.world > 1 else "")
                + f"{n} thread{'s' if n != 1 else ''} ({threads['threads_reason']}), run folder {self.run_dir}")

    def _fit_loop(self, total_steps: int, bar, main: bool, stop: StopRequest) -> None:
        window_start, window_steps_start = time.perf_counter(), self.step_count
        while self.step_count < total_steps:
            next_step = self.step_count + 1
            log = next_step % self.cfg.log_every == 0 or next_step == total_steps
            first = self.compile_seconds is None and self.cfg.compile
            t0 = time.perf_counter() if first else 0.0
            self.step()
            if first:
                # the first step of a compiled run pays for the compilation (a few steady steps' worth less)
                self._sync()
                self.compile_seconds = time.perf_counter() - t0
                if not self.quiet and main:
                    tqdm.write(f"torch.compile: first step took {self.compile_seconds:.1f} s (compilation included)")
            self.step_count = next_step
            if log:
                now = time.perf_counter()
                elapsed = now - window_start
                self.train_seconds += elapsed
                record, error = {}, None
                try:
                    record = self._log_record(elapsed, self.step_count - window_steps_start)
                    for cb in self._watchers:
                        cb.on_log(self.view, record)  # may add keys (eval metrics, alarms) before it is written
                except TrainingDiverged as e:
                    error = e
                record, error = dist.agree(record, error)  # every rank stops, or none does
                if error is not None:
                    bar.close()
                    for cb in self._watchers:
                        cb.on_diverged(self.view, error)  # e.g. note it for the report, draw the curves so far
                    raise error
                self.view.records.append(record)
                if main:
                    self._append_metrics(record)
                    # a family without a D (the MLE language model) or a G loss shows what it has
                    losses = {k: f"{record[key]:.3f}" for k, key in (("d", "d_loss"), ("g", "g_loss")) if key in record}
                    bar.set_postfix(**losses, img_s=f"{record['images_per_s']:.0f}",
                                    **({"ALARM": ",".join(record["alarms"])} if record.get("alarms") else {}))
                window_start, window_steps_start = time.perf_counter(), self.step_count
            bar.update(1)  # after the log step's losses are in its postfix
            outside = time.perf_counter()  # pictures and checkpoints are not training time
            for cb in self._watchers:
                cb.on_step(self.view)
            if self.step_count % self.cfg.checkpoint_every == 0 or self.step_count == total_steps:
                try:
                    self.save_checkpoint(keep_snapshot=True)  # collective: every rank's RNG goes into rank 0's file
                except TrainingDiverged as error:  # NaN weights: not saved; the same on every rank
                    bar.close()
                    for cb in self._watchers:
                        cb.on_diverged(self.view, error)
                    raise
            window_start += time.perf_counter() - outside
            if stop.requested and self.step_count < total_steps:  # at the last step the run is simply done
                bar.close()
                self._stop(stop.requested, total_steps)

    def _stop(self, signal_name: str, total_steps: int) -> None:
        """SIGINT/SIGTERM arrived: a checkpoint at this step (unless it was just written), then stop."""
        last = self.run_dir / "checkpoints" / "last.pt"
        saved = self.step_count % self.cfg.checkpoint_every == 0
        if not saved:
            try:
                self.save_checkpoint(keep_snapshot=False)
            except TrainingDiverged as e:
                raise Interrupted(f"{signal_name} at step {self.step_count}; not checkpointed: {e}") from None
        raise Interrupted(f"{signal_name} at step {self.step_count}: checkpoint written to {last} (continue with "
                          f"gankit train --resume {self.run_dir} --steps {total_steps})")

    @property
    def _watchers(self) -> list[Callback]:
        """The callbacks this process runs: all of them on rank 0, the others elsewhere."""
        return [cb for cb in self.callbacks if self.rank == 0 or not getattr(cb, "main_only", False)]

    # -- logging --------------------------------------------------------------------------
    def _add(self, key: str, value: torch.Tensor) -> None:
        if key in self._sums:
            self._sums[key].add_(value)  # in place: no new tensor per step
            self._counts[key] += 1
        else:
            self._sums[key] = value.float().clone()
            self._counts[key] = 1

    def _log_record(self, elapsed: float, steps: int) -> dict:
        keys = list(self._sums) if self.world == 1 else sorted(self._sums)  # the same order on every rank
        means = torch.stack([self._sums[k].reshape(()) / self._counts[k] for k in keys]) if keys else None
        if means is not None and self.world > 1:
            means = dist.all_reduce_mean(means)  # the logged numbers are the means over every rank
        host = dict(zip(keys, means.tolist())) if keys else {}  # the one host sync per log window
        self._sums, self._counts = {}, {}
        bad = [k for k, v in host.items() if not math.isfinite(v)]
        if bad:
            last = self.run_dir / "checkpoints" / "last.pt"
            kept = (f"the last good checkpoint is kept in {last.parent}" if last.is_file()
                    else "no checkpoint was saved yet")
            raise TrainingDiverged(f"training diverged at step {self.step_count}: {', '.join(bad)} became NaN/inf; "
                                   f"{kept} ({DIVERGENCE_ADVICE})")
        images, self._window_images = self._window_images, 0
        record = {"step": self.step_count, "images": self.images, "wall_time": round(self.train_seconds, 3),
                  "images_per_s": images / max(elapsed, 1e-9), "ms_per_step": 1000 * elapsed / max(steps, 1)}
        record.update(host)
        if self.compile_seconds is not None and not self._compile_logged:
            record["compile_s"] = round(self.compile_seconds, 3)
            self._compile_logged = True
        return record

    def _sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def _append_metrics(self, record: dict) -> None:
        append_line(self.run_dir / "metrics.jsonl", json.dumps(record))

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict:
        owners = {p.name for p in self.phases if p.optim is not None}
        return {
            "format": FORMAT,
            "model": self.cfg.model,
            "step": self.step_count,
            "images": self.images,
            "train_seconds": self.train_seconds,
            "game": self.game.state_dict(),
            "ema": {name: net.state_dict() for name, net in self.ema.items()},
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items() if name in owners},
            "phase_counts": dict(self.phase_counts),
            "updates": dict(self._updates),
            "scaler": self.scaler.state_dict(),
            "data": self.data.state_dict(),
            "rng": {"torch": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []},
            # every rank's own: its noise RNG and the buffers it keeps for itself (image pools)
            "world_size": self.world,
            "ranks": dist.gather(self._rank_state()),
        }

    def _local_buffers(self) -> dict[str, torch.Tensor]:
        local = dist.rank_local(self.game)
        return {name: b for name, b in self.game.named_buffers() if id(b) in local}

    def _rank_state(self) -> dict:
        cuda = torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None
        return {"rng": {"torch": torch.get_rng_state(), "cuda": cuda},
                "local": {name: b.detach().cpu().clone() for name, b in self._local_buffers().items()}}

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state`` (a checkpoint read by :func:`gankit.checkpoint.load_checkpoint`)."""
        self.game.load_state_dict(state["game"])
        for name, net in self.ema.items():
            if name in state.get("ema", {}):
                net.load_state_dict(state["ema"][name])
            else:  # EMA turned on for a run that had none: start the average from the current weights
                net.load_state_dict(self.game.nets[name].state_dict())
        for name, opt_state in state["optimizers"].items():
            self.optimizers[name].load_state_dict(opt_state)
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.data.load_state_dict(state["data"])
        self.step_count = int(state["step"])
        images = state.get("images")
        self.images = int(images) if images is not None else self.data.images_drawn()
        self.phase_counts.update({k: int(v) for k, v in state.get("phase_counts", {}).items()
                                  if k in self.phase_counts})
        self._updates.update({k: int(v) for k, v in state.get("updates", {}).items() if k in self._updates})
        self.train_seconds = float(state.get("train_seconds", 0.0))
        ranks = state.get("ranks") or []
        if self.rank < len(ranks):
            mine = ranks[self.rank]
            torch.set_rng_state(mine["rng"]["torch"])
            if mine["rng"]["cuda"] is not None and self.device.type == "cuda":
                torch.cuda.set_rng_state(mine["rng"]["cuda"], self.device)
        elif self.rank == 0:  # written before checkpoints kept every rank's state
            torch.set_rng_state(state["rng"]["torch"])
            if state["rng"]["cuda"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        else:  # a rank the saved run did not have: a noise stream of its own, new but reproducible
            torch.manual_seed(dist.rank_seed(self.cfg.seed + self.step_count, self.rank))
        if ranks:
            source = ranks[self.rank % len(ranks)]["local"]
            with torch.no_grad():
                for name, b in self._local_buffers().items():
                    if name in source:
                        b.copy_(source[name])
        saved_world = int(state.get("world_size", 1))
        if saved_world != self.world:
            self.resume_note = (f"resuming a {saved_world}-process run on {self.world}: the weights, optimizer "
                                f"state, data order and global batch continue exactly; the per-process noise "
                                f"streams{' and image pools' if self._local_buffers() else ''} do not, so the run "
                                f"is no longer bit-identical to an uninterrupted {saved_world}-process one")

    def check_consistency(self) -> None:
        """Raise when any rank's weights, shared buffers or EMA copies differ from rank 0's (broadcast
        and compare); runs before every checkpoint with GANKIT_DIST_DEBUG=1. Collective."""
        if self.world == 1:
            return
        if self.ema:
            self.sampler()  # EMA batchnorm statistics recomputed at this step on every rank alike
        named = dist.shared_state(self.game)
        for name, net in self.ema.items():
            named.update({f"ema.{name}.{k}": v for k, v in dist.shared_state(net).items()})
        bad = dist.mismatches(named)
        if bad:
            from .errors import DistributedError

            error = DistributedError(f"the {self.world} processes disagree on {len(bad)} tensor(s) at step "
                                     f"{self.step_count}, first {', '.join(bad[:3])} (a rank-dependent code path; "
                                     "report it with the command that ran)")
            error.collective = True  # every rank found the same names
            raise error

    def _non_finite(self) -> str | None:
        """The first net (or EMA copy) holding a NaN/inf weight or buffer, else None."""
        nets = dict(self.game.nets.items()) | {f"EMA {name}": net for name, net in self.ema.items()}
        for name, net in nets.items():
            tensors = [t for t in net.state_dict().values() if t.is_floating_point()]
            if tensors and not bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all()):
                return name
        return None

    def save_checkpoint(self, keep_snapshot: bool) -> Path:
        """Collective in a multi-process run (every rank's state is gathered); rank 0 writes."""
        folder = self.run_dir / "checkpoints"
        last = folder / "last.pt"
        if dist.debug():
            self.check_consistency()
        bad, error = self._non_finite(), None
        if bad:  # never replace the last good checkpoint with NaN weights
            kept = (f"the last finite checkpoint is kept in {last}" if last.is_file()
                    else "no checkpoint was saved yet")
            error = TrainingDiverged(f"training diverged at step {self.step_count}: the weights of {bad} became "
                                     f"NaN/inf; {kept} ({DIVERGENCE_ADVICE})")
        _, error = dist.agree({}, error)  # every rank stops here, or none does (the save below is collective)
        if error is not None:
            raise error
        state = self.state_dict()
        if not is_main_process():
            return last
        save_atomic(state, last)
        if keep_snapshot and self.cfg.keep_checkpoints > 0:
            snapshot(last, folder / f"step_{self.step_count:06d}.pt")
            snapshots = sorted(folder.glob("step_*.pt"))
            for old in snapshots[: -self.cfg.keep_checkpoints]:
                old.unlink()
        return last


def _grad_norm(optimizer: torch.optim.Optimizer, scaler) -> torch.Tensor:
    """Total L2 norm of an optimizer's gradients (unscaled), as a device tensor."""
    grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    norm = torch.nn.utils.get_total_norm(grads) if grads else torch.zeros(())
    scale = scaler.get_scale() if scaler.is_enabled() else 1.0
    return norm.float() / scale
