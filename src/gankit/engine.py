"""The Trainer: alternating D and G updates, and everything around them.

Read top to bottom: ``fit`` runs ``step`` until the target step count; ``step`` is n_critic
discriminator updates then one generator update; every ``log_every`` steps the numbers
accumulated on the device are read once (the only host sync in the loop) and written to
``metrics.jsonl``; samples and checkpoints follow their own schedules. The Trainer never knows
which GAN it trains: the objective computes the losses.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .checkpoint import FORMAT, save_atomic, snapshot
from .config import TrainConfig
from .critic_schedule import critic_steps
from .data.base import BatchSampler, Dataset, to_uint8
from .distributed import is_main_process
from .errors import TrainingDiverged
from .models import Recipe, build_optimizer
from .precision import Precision
from .viz import save_samples_picture

SAMPLE_NOISE_OFFSET = 1_000_003  # fixed-noise seed = run seed + this, away from the training RNG
#: what usually helps when training diverges (also used by gankit.diagnostics for exploding gradients)
DIVERGENCE_ADVICE = ("what usually helps: a lower learning rate (--lr-g/--lr-d, e.g. 10x lower), a gradient penalty "
                     "(wgan-gp, dragan), spectral normalization in D, one-sided label smoothing, Adam with beta1=0.5, "
                     "or fp32 instead of fp16 (--precision fp32)")


class Callback:
    """Something that watches training without being part of the game: periodic evaluation,
    pitfall detectors, TensorBoard. ``on_log`` runs at every log step with the record about to be
    written to metrics.jsonl (a callback may add keys to it, or raise to stop training);
    ``on_end`` runs once after the last step."""

    def on_log(self, trainer: "Trainer", record: dict) -> None:
        pass

    def on_end(self, trainer: "Trainer") -> None:
        pass

    def on_diverged(self, trainer: "Trainer", error: Exception) -> None:
        """Training is about to stop with ``error`` (TrainingDiverged); the last good checkpoint is kept."""


class Trainer:
    def __init__(self, cfg: TrainConfig, recipe: Recipe, dataset: Dataset, run_dir: Path,
                 device: torch.device, precision: Precision, quiet: bool = False,
                 callbacks: list["Callback"] | None = None):
        self.cfg = cfg
        self.callbacks = list(callbacks or [])
        self.spec = dataset.spec
        self.device = device
        self.precision = precision
        self.quiet = quiet
        self.run_dir = Path(run_dir)
        self.G = recipe.generator.to(device)
        self.D = recipe.discriminator.to(device)
        self.objective = recipe.objective.to(device)
        self.n_critic = recipe.n_critic
        fused = device.type in ("cuda", "cpu")
        self.opt_d = build_optimizer(cfg.optim_d, list(self.D.parameters()) + self.objective.discriminator_parameters(),
                                     cfg.lr_d, cfg.betas_d, fused)
        self.opt_g = build_optimizer(cfg.optim_g, list(self.G.parameters()) + self.objective.generator_parameters(),
                                     cfg.lr_g, cfg.betas_g, fused)
        self.scaler = torch.amp.GradScaler(device.type, enabled=precision.name == "fp16")
        # D's own weights need no gradient in the G update (opt_d zeroes them before using any):
        # freezing them there skips their weight-gradient kernels and the grad buffers they'd allocate.
        g_params = {id(p) for group in self.opt_g.param_groups for p in group["params"]}
        self._d_only = [p for group in self.opt_d.param_groups for p in group["params"] if id(p) not in g_params]
        self.memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
        if cfg.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        if cfg.compile:
            # in place (nn.Module.compile): state_dict keys stay the same, so checkpoints don't care
            self.G.compile()
            self.D.compile()
        self.compile_seconds: float | None = None  # first step's wall time when compiled
        self._compile_logged = False
        self.sampler = BatchSampler(dataset, cfg.batch_size, device, seed=cfg.seed + 1)
        self.step_count = 0
        self.train_seconds = 0.0
        self.fixed_labels = self._fixed_labels()
        g = torch.Generator().manual_seed(cfg.seed + SAMPLE_NOISE_OFFSET)
        self.fixed_z = self.objective.latent.sample(cfg.grid_size, "cpu", generator=g).to(device)
        self.reference = dataset.data[:2000] if self.spec.kind == "points" else None
        self._sums: dict[str, torch.Tensor] = {}
        self._window_steps = 0
        self._window_d_steps = 0  # D updates since the last log (counts real images seen)

    # -- the game -------------------------------------------------------------------------
    def step(self, log: bool) -> dict[str, torch.Tensor]:
        """One training iteration: ``n_critic`` D updates (more in a warm-up, see critic_schedule), then one G update."""
        stats: dict[str, torch.Tensor] = {}
        d_steps = critic_steps(self.step_count, self.n_critic, bool(self.cfg.critic_warmup))
        self._window_d_steps += d_steps
        for _ in range(d_steps):
            real, labels = self.sampler.next()
            if real.dim() == 4:
                real = real.contiguous(memory_format=self.memory_format)  # no copy unless channels_last
            with self.precision.autocast(self.device):
                d_loss, d_stats = self.objective.discriminator_loss(self.G, self.D, real, labels)
            self.opt_d.zero_grad(set_to_none=True)
            self.scaler.scale(d_loss).backward()
            if log:
                stats["grad_norm_d"] = _grad_norm(self.opt_d, self.scaler)
            self.scaler.step(self.opt_d)
            self.scaler.update()
            self.objective.after_discriminator_step(self.D)
        stats.update(d_stats)
        stats["d_loss"] = d_loss.detach().float()

        for p in self._d_only:
            p.requires_grad_(False)
        try:
            with self.precision.autocast(self.device):
                g_loss, g_stats = self.objective.generator_loss(self.G, self.D, self.cfg.batch_size, labels,
                                                                self.device, real=real)
            self.opt_g.zero_grad(set_to_none=True)
            self.scaler.scale(g_loss).backward()
        finally:
            for p in self._d_only:
                p.requires_grad_(True)
        if log:
            stats["grad_norm_g"] = _grad_norm(self.opt_g, self.scaler)
        self.scaler.step(self.opt_g)
        self.scaler.update()
        stats.update(g_stats)
        stats["g_loss"] = g_loss.detach().float()
        return stats

    def fit(self, total_steps: int) -> None:
        """Train until ``total_steps`` generator updates have been made (resumes count from the checkpoint)."""
        main = is_main_process()
        bar = tqdm(total=total_steps, initial=self.step_count, disable=self.quiet or not main,
                   dynamic_ncols=True, unit="step", desc=f"{self.cfg.model} on {self.spec.name}")
        self.G.train()
        self.D.train()
        window_start, window_steps_start = time.perf_counter(), self.step_count
        while self.step_count < total_steps:
            next_step = self.step_count + 1
            log = next_step % self.cfg.log_every == 0 or next_step == total_steps
            first = self.compile_seconds is None and self.cfg.compile
            t0 = time.perf_counter() if first else 0.0
            stats = self.step(log)
            if first:
                # the first step of a compiled run pays for the compilation (a few steady steps' worth less)
                self._sync()
                self.compile_seconds = time.perf_counter() - t0
                if not self.quiet and main:
                    tqdm.write(f"torch.compile: first step took {self.compile_seconds:.1f} s (compilation included)")
            self.step_count = next_step
            self._accumulate(stats)
            bar.update(1)
            if log:
                now = time.perf_counter()
                elapsed = now - window_start
                self.train_seconds += elapsed
                try:
                    record = self._log_record(stats, elapsed, self.step_count - window_steps_start)
                    for cb in self.callbacks:
                        cb.on_log(self, record)  # may add keys (eval metrics, alarms) before the record is written
                except TrainingDiverged as e:
                    bar.close()
                    for cb in self.callbacks:
                        cb.on_diverged(self, e)  # e.g. note it for the report, draw the curves so far
                    raise
                if main:
                    self._append_metrics(record)
                    bar.set_postfix(d=f"{record['d_loss']:.3f}", g=f"{record['g_loss']:.3f}",
                                    img_s=f"{record['images_per_s']:.0f}",
                                    **({"ALARM": ",".join(record["alarms"])} if record.get("alarms") else {}))
                window_start, window_steps_start = time.perf_counter(), self.step_count
            if main and (self.step_count % self.cfg.sample_every == 0):
                self.save_samples(f"step_{self.step_count:06d}.png")
            if main and (self.step_count % self.cfg.checkpoint_every == 0 or self.step_count == total_steps):
                self.save_checkpoint(keep_snapshot=True)
            if log or self.step_count == total_steps:
                window_start = time.perf_counter()  # file output is not training time
        bar.close()
        if main:
            self.save_samples("final.png")
        for cb in self.callbacks:
            cb.on_end(self)

    # -- logging --------------------------------------------------------------------------
    def _accumulate(self, stats: dict[str, torch.Tensor]) -> None:
        for key in ("d_loss", "g_loss", "d_real", "d_fake"):
            if key in stats:
                value = stats[key].detach()
                if key in self._sums:
                    self._sums[key].add_(value)  # in place: no new tensor per step
                else:
                    self._sums[key] = value.clone()
        self._window_steps += 1

    def _log_record(self, stats, elapsed: float, steps: int) -> dict:
        values = {k: v / self._window_steps for k, v in self._sums.items()}
        values.update({k: v for k, v in stats.items() if k not in values})
        host = {k: float(v) for k, v in values.items()}  # the one host sync per log window
        self._sums, self._window_steps = {}, 0
        bad = [k for k, v in host.items() if not math.isfinite(v)]
        if bad:
            last = self.run_dir / "checkpoints" / "last.pt"
            kept = (f"the last good checkpoint is kept in {last.parent}" if last.is_file()
                    else "no checkpoint was saved yet")
            raise TrainingDiverged(f"training diverged at step {self.step_count}: {', '.join(bad)} became NaN/inf; "
                                   f"{kept} ({DIVERGENCE_ADVICE})")
        images = self._window_d_steps * self.cfg.batch_size
        self._window_d_steps = 0
        record = {"step": self.step_count, "wall_time": round(self.train_seconds, 3),
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
        with open(self.run_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(record) + "\n")

    # -- outputs --------------------------------------------------------------------------
    def _fixed_labels(self) -> torch.Tensor | None:
        if not getattr(self.objective, "conditional", False) or self.spec.num_classes == 0:
            return None
        return (torch.arange(self.cfg.grid_size) % self.spec.num_classes).to(self.device)

    @torch.no_grad()
    def generate_fixed(self) -> torch.Tensor:
        was_training = self.G.training
        self.G.eval()
        out = self.G(self.fixed_z, self.fixed_labels).float()
        self.G.train(was_training)
        return to_uint8(out) if self.spec.kind == "image" else out

    def save_samples(self, name: str) -> Path:
        path = self.run_dir / "samples" / name
        return save_samples_picture(self.generate_fixed(), self.spec.kind, path, reference=self.reference,
                                    title=f"{self.cfg.model}, step {self.step_count}")

    def state_dict(self) -> dict:
        return {
            "format": FORMAT,
            "model": self.cfg.model,
            "step": self.step_count,
            "train_seconds": self.train_seconds,
            "G": self.G.state_dict(),
            "D": self.D.state_dict(),
            "objective": self.objective.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "scaler": self.scaler.state_dict(),
            "sampler": self.sampler.state_dict(),
            "rng": {"torch": torch.get_rng_state(),
                    "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []},
        }

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.objective.load_state_dict(state["objective"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.sampler.load_state_dict(state["sampler"])
        self.step_count = int(state["step"])
        self.train_seconds = float(state.get("train_seconds", 0.0))
        torch.set_rng_state(state["rng"]["torch"])
        if state["rng"]["cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])

    def save_checkpoint(self, keep_snapshot: bool) -> Path:
        folder = self.run_dir / "checkpoints"
        last = folder / "last.pt"
        save_atomic(self.state_dict(), last)
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
