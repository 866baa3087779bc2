"""Training configuration: one dataclass, loadable from YAML, validated with one-line errors.

Fields left as ``None`` take the model recipe's default (the paper's values); the run folder's
``config.yaml`` stores the fully resolved config, so a run can always be rebuilt from it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from .errors import GankitError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda")
OPTIMIZERS = ("adam", "rmsprop", "sgd")


@dataclass
class TrainConfig:
    # what to train
    model: str = "dcgan"
    dataset: str = "fashion-mnist"
    data_root: str | None = None
    image_size: int | None = None
    channels: int | None = None
    # a fixed, seeded subset of the training split (the small-data protocol of DiffAugment / ADA); None = all
    subset: int | None = None
    subset_seed: int = 0
    labels_per_class: int | None = None  # semi-supervised: keep the labels of N training images per class
    label_seed: int = 0                  # which N --labels-per-class keeps (data/semi_supervised.py)
    # how long: ``steps`` counts generator updates; ``epochs`` (if given) sets steps from the data size
    steps: int | None = None
    epochs: float | None = None
    batch_size: int = 64
    # model and optimizer; None = the recipe's (paper's) default
    arch: str | None = None
    width: int | None = None
    z_dim: int | None = None
    g_loss: str | None = None
    n_critic: int | None = None
    critic_warmup: bool | None = None  # WGAN's 100 D steps for the first 25 G steps and every 500th (critic_schedule)
    optim_g: str | None = None
    optim_d: str | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    betas_g: list[float] | None = None
    betas_d: list[float] | None = None
    # the recipe's own numbers (gamma, lambda_k, clip, penalty, margin...; see 'gankit models'), merged over its
    # paper defaults: --param gamma=0.5 or, in YAML, params: {gamma: 0.5}
    params: dict | None = None
    # an EMA of G sampled instead of G (BigGAN, StyleGAN): half-life in real images, 0 = off, None = the recipe's
    ema: float | None = None
    # R1 penalty gamma/2 E||grad D(x)||^2 on real data (Mescheder et al. 2018), run lazily every r1_every D steps
    r1: float | None = None
    r1_every: int | None = None  # None: 16, StyleGAN2's interval
    # progressive growing (progan): thousands of real images per fade-in and per stable phase; None = the recipe's
    stage_kimg: float | None = None
    # training tricks any model can use (None = off); see gankit.models / gankit.objectives.minimax
    label_smoothing: float | None = None  # one-sided: D's target for real data (e.g. 0.9)
    instance_noise: float | None = None   # std of Gaussian noise added to every input of D
    # differentiable augmentation of everything D sees, real and fake, in the D and G phases (gankit.augment):
    # DiffAugment's policy ("color,translation,cutout"), or ADA's adaptive probability p (target E[sign D(x)])
    diffaugment: str | None = None
    ada: bool = False
    ada_target: float = 0.6
    ada_kimg: float = 100.0  # thousands of images for p to go from 0 to 1 (StyleGAN3's 100; the ADA paper's 500)
    # engine
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"       # bf16 autocast where the hardware has native bf16 (docs/performance.md)
    compile: bool = False        # torch.compile G and D (compile time is logged as compile_s)
    channels_last: bool = False  # NHWC memory format for conv nets (measure: bench/engine_options.py)
    sync_bn: bool = False        # multi-process: batchnorm statistics over the global batch (gankit.sync_batchnorm)
    sample_every: int = 500
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    log_every: int = 50
    grid_size: int = 64
    # watchers of training: pitfall alarms (gankit.diagnostics)
    diagnostics: bool = True
    tensorboard: bool = False  # scalars + sample grids as TensorBoard event files in RUN/tensorboard
    # --eval-every N: metrics of N-step-old generators appended to metrics.jsonl (gankit.metrics.callback)
    eval_every: int | None = None
    eval_metrics: str = "fid"
    eval_n: int = 2000

    def validate(self) -> "TrainConfig":
        """Raise a one-line :class:`GankitError` for any value that cannot work."""
        positive = ["batch_size", "sample_every", "checkpoint_every", "log_every", "grid_size"]
        positive += [n for n in ("steps", "image_size", "width", "z_dim", "n_critic", "eval_every", "eval_n", "r1_every",
                                   "subset", "labels_per_class")
                     if getattr(self, n) is not None]
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise GankitError(f"{name.replace('_', '-')} must be a positive integer, not {value!r}")
        if self.epochs is not None and not (isinstance(self.epochs, (int, float)) and self.epochs > 0):
            raise GankitError(f"epochs must be a positive number, not {self.epochs!r}")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise GankitError(f"{name.replace('_', '-')} must be a positive number, not {value!r}")
        if self.stage_kimg is not None and (isinstance(self.stage_kimg, bool) or not isinstance(self.stage_kimg, (int, float))
                                            or self.stage_kimg <= 0):
            raise GankitError(f"stage-kimg must be a positive number of thousands of images, not {self.stage_kimg!r}")
        if self.keep_checkpoints < 0:
            raise GankitError(f"keep-checkpoints must be >= 0, not {self.keep_checkpoints}")
        if self.precision not in PRECISIONS:
            raise GankitError(f"unknown precision {self.precision!r} (use one of: {', '.join(PRECISIONS)})")
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise GankitError(f"unknown device {self.device!r} (use one of: {', '.join(DEVICES)})")
        if self.channels not in (None, 1, 3):
            raise GankitError(f"channels must be 1 or 3, not {self.channels!r}")
        for name in ("optim_g", "optim_d"):
            value = getattr(self, name)
            if value is not None and value not in OPTIMIZERS:
                raise GankitError(f"unknown optimizer {value!r} for {name.replace('_', '-')} "
                                  f"(use one of: {', '.join(OPTIMIZERS)})")
        if self.label_smoothing is not None and not (isinstance(self.label_smoothing, (int, float))
                                                     and 0.5 < self.label_smoothing <= 1):
            raise GankitError(f"label-smoothing is D's target for real data, in (0.5, 1], not {self.label_smoothing!r} "
                              "(e.g. 0.9)")
        for name in ("ema", "r1"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                raise GankitError(f"{name.replace('_', '-')} must be a number >= 0 (0 turns it off), not {value!r}")
        if self.params is not None:
            if not isinstance(self.params, dict):
                raise GankitError(f"params must be a mapping of names to values (e.g. gamma: 0.5), not {self.params!r}")
            for key, value in self.params.items():
                if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                    raise GankitError(f"param {key} must be a number or a word, not {value!r} (e.g. --param {key}=0.5)")
        for name in ("subset_seed", "label_seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise GankitError(f"{name.replace('_', '-')} must be an integer, not {value!r}")
        if not (isinstance(self.ada_target, (int, float)) and 0 < self.ada_target < 1):
            raise GankitError(f"ada-target is the wanted E[sign D(real)], in (0, 1), not {self.ada_target!r} (ADA: 0.6)")
        if not (isinstance(self.ada_kimg, (int, float)) and self.ada_kimg > 0):
            raise GankitError(f"ada-kimg must be a positive number of thousands of images, not {self.ada_kimg!r}")
        if self.diffaugment is not None and not isinstance(self.diffaugment, str):
            raise GankitError(f"diffaugment must be a policy like color,translation,cutout, not {self.diffaugment!r}")
        if self.diffaugment and self.ada:
            raise GankitError("--diffaugment and --ada both augment D's inputs: use one of them")
        for name in ("critic_warmup", "compile", "channels_last", "diagnostics", "tensorboard", "ada", "sync_bn"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise GankitError(f"{name.replace('_', '-')} must be true or false, not {value!r}")
        if self.instance_noise is not None and not (isinstance(self.instance_noise, (int, float))
                                                    and self.instance_noise >= 0):
            raise GankitError(f"instance-noise must be a standard deviation >= 0, not {self.instance_noise!r}")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def from_dict(cls, d: dict, source: str = "config") -> "TrainConfig":
        unknown = sorted(set(d) - set(cls.keys()))
        if unknown:
            raise GankitError(f"unknown config key {unknown[0]!r} in {source} "
                              f"(valid keys: {', '.join(cls.keys())})")
        return cls(**d)


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping; a missing file or bad YAML is a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"config file {path} not found (check the path)")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise GankitError(f"{path} is not valid YAML{where} (fix the syntax)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GankitError(f"{path} must hold a mapping of config keys (e.g. 'model: dcgan')")
    return data
