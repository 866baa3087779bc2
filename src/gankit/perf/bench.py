"""The training-step benchmark behind ``gankit bench``: the real Trainer step, timed in isolation.

Why not time ``gankit train``: a run also writes samples, checkpoints and logs, which are not the
speed of training. Here a Trainer is built exactly as ``train`` builds it, warmed up, then
``steps`` steps are timed in chunks of ``chunk`` steps; the median chunk is reported, so that a
burst of load from another process on a shared machine moves the figure less. FLOPs are counted
on one step of an eager (uncompiled) Trainer of the same config, since the math is the same.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..config import TrainConfig
from ..data import Dataset, get_dataset
from ..engine import Trainer
from ..models import build_game, get_model, resolve
from ..precision import resolve_device, resolve_precision
from .flops import count_flops
from .peak import matmul_peak


@dataclass
class BenchResult:
    model: str
    arch: str
    dataset: str
    batch_size: int
    n_critic: int
    steps: int
    device: str
    threads: int
    precision: str
    precision_reason: str
    compile: bool
    channels_last: bool
    ms_per_step: float
    images_per_s: float
    flops_per_step: int
    gflops_per_s: float
    peak_gflops_per_s: float
    compile_s: float | None = None

    @property
    def peak_share(self) -> float:
        return self.gflops_per_s / self.peak_gflops_per_s if self.peak_gflops_per_s else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "peak_share": self.peak_share}

    def lines(self) -> list[str]:
        """The human-readable report ``gankit bench`` prints."""
        extras = [x for x, on in (("compiled", self.compile), ("channels_last", self.channels_last)) if on]
        out = [
            f"{self.model} ({self.arch}) on {self.dataset}, batch {self.batch_size}, {self.device} "
            f"({self.threads} threads), {self.precision} [{self.precision_reason}]"
            + (f", {', '.join(extras)}" if extras else ""),
            f"  ms/step        {self.ms_per_step:10.2f}   (median of {self.steps} timed steps in chunks)",
            f"  images/s       {self.images_per_s:10.0f}   ({self.n_critic} x {self.batch_size} real images per step)",
            f"  FLOPs/step     {self.flops_per_step / 1e9:10.3f} G (counted by torch.utils.flop_counter: "
            "matmuls and convs, forward + backward, D and G updates)",
            f"  achieved       {self.gflops_per_s:10.1f} GFLOP/s",
            f"  matmul peak    {self.peak_gflops_per_s:10.1f} GFLOP/s ({self.precision} square matmuls, measured now)",
            f"  share of peak  {100 * self.peak_share:10.1f} %",
        ]
        if self.compile_s is not None:
            out.append(f"  compile        {self.compile_s:10.1f} s (first step, compilation included)")
        return out


def prepare_bench(model: str = "dcgan", batch_size: int = 64, precision: str = "auto", device: str = "auto",
                  dataset: str = "fashion-mnist", data: Dataset | None = None, **overrides):
    """The config, data, device and precision of a benchmarked step, resolved as ``gankit train`` resolves
    them: ``(cfg, data, device, precision)``. ``overrides`` are any other TrainConfig keys."""
    overrides.setdefault("critic_warmup", False)  # a steady step is measured, not WGAN's 100-critic warm-up
    cfg = TrainConfig(model=model, dataset=dataset, batch_size=batch_size, precision=precision, device=device,
                      **overrides).validate()
    get_model(cfg.model)
    if data is None:
        data = get_dataset(cfg.dataset, "train", cfg.data_root, cfg.image_size, cfg.channels)
    from ..api import training_data

    data = training_data(cfg, data)  # --labels-per-class (ssgan) and --subset as training applies them
    cfg = resolve(cfg, data.spec)
    dev = resolve_device(cfg.device)
    return cfg, data, dev, resolve_precision(cfg.precision, dev, data.spec.kind)  # fp32 for 2D points


def bench_trainer(cfg: TrainConfig, dataset: Dataset, device, precision, tmp: Path) -> Trainer:
    """A Trainer writing to ``tmp``, its nets initialised from ``cfg.seed``."""
    torch.manual_seed(cfg.seed)
    return Trainer(cfg, build_game(cfg, dataset.spec), dataset, tmp, device, precision, quiet=True)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_model(model: str = "dcgan", batch_size: int = 64, steps: int = 50, precision: str = "auto",
                device: str = "auto", compile: bool = False, channels_last: bool = False,
                dataset: str = "fashion-mnist", data: Dataset | None = None, warmup: int = 5, chunk: int = 10,
                peak: bool = True, **overrides) -> BenchResult:
    """Time ``steps`` training steps of ``model`` (after ``warmup``) and count its FLOPs per step.

    ``overrides`` are any other TrainConfig keys (``width``, ``arch``, ``seed``...).
    """
    cfg, data, dev, prec = prepare_bench(model, batch_size, precision, device, dataset, data, compile=compile,
                                         channels_last=channels_last, **overrides)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = bench_trainer(cfg, data, dev, prec, Path(tmp))
        t0 = time.perf_counter()
        trainer.step()
        _sync(dev)
        first = time.perf_counter() - t0
        for _ in range(max(0, warmup - 1)):
            trainer.step()
        chunks = []
        done = 0
        while done < steps:
            n = min(chunk, steps - done)
            _sync(dev)
            t0 = time.perf_counter()
            for _ in range(n):
                trainer.step()
            _sync(dev)
            chunks.append((time.perf_counter() - t0) / n)
            done += n
        ms = 1000 * statistics.median(chunks)
        counted = trainer
        if cfg.compile:
            eager = TrainConfig(**{**cfg.to_dict(), "compile": False})
            counted = bench_trainer(eager, data, dev, prec, Path(tmp))
            counted.step()
        flops = count_flops(lambda: counted.step())
        n_critic = trainer.game.batches_per_step()
    peak_rate = matmul_peak(prec.name, dev) if peak else 0.0
    gflops = flops / (ms / 1000) / 1e9
    return BenchResult(
        model=cfg.model, arch=str(cfg.arch), dataset=data.spec.name, batch_size=cfg.batch_size, n_critic=n_critic,
        steps=steps, device=str(dev), threads=torch.get_num_threads(), precision=prec.name,
        precision_reason=prec.reason, compile=bool(cfg.compile), channels_last=bool(cfg.channels_last),
        ms_per_step=ms, images_per_s=1000 * n_critic * cfg.batch_size / ms, flops_per_step=flops,
        gflops_per_s=gflops, peak_gflops_per_s=peak_rate,
        compile_s=max(0.0, first - ms / 1000) if cfg.compile else None,
    )
