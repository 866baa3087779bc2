"""Training configuration: one dataclass, loadable from YAML, validated with one-line errors.

Fields left as ``None`` take the model recipe's default (the paper's values); the run folder's
``config.yaml`` stores the fully resolved config, so a run can always be rebuilt from it.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import reprlib
import types
import typing
from dataclasses import dataclass, fields
from pathlib import Path

import yaml

from .errors import GankitError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
DEVICES = ("auto", "cpu", "cuda")
OPTIMIZERS = ("adam", "rmsprop", "sgd")
#: the largest --image-size: every net in gankit is built for at most 256 x 256 (pix2pix's U-Net and
#: CycleGAN's ResNet, as in their papers; the sample GANs stop at 64), and a dataset is resized in memory
#: at load time (Fashion-MNIST's 60k images take 3.9 GB at 256, and 16x that at 1024)
MAX_IMAGE_SIZE = 256
#: each seed's bound: torch's generators take 64 bits, and the seeds derived from these (seed + offsets,
#: label_seed * 1000 + class in gankit.data.semi_supervised) must still fit
SEED_LIMITS = {"seed": 2**63, "subset_seed": 2**63, "label_seed": 2**63 // 1000}
#: a value for each key whose default is None, shown in type errors (the others show their default)
EXAMPLES = {"data_root": "data/", "image_size": 32, "channels": 3, "subset": 1000, "labels_per_class": 100,
            "steps": 2000, "epochs": 10, "arch": "dcgan", "width": 64, "z_dim": 100, "g_loss": "non-saturating",
            "n_critic": 5, "critic_warmup": True, "optim_g": "adam", "optim_d": "adam", "lr_g": 0.0002,
            "lr_d": 0.0002, "betas_g": [0.5, 0.999], "betas_d": [0.5, 0.999], "params": {"gamma": 0.5},
            "ema": 10000, "r1": 10, "r1_every": 16, "stage_kimg": 10, "label_smoothing": 0.9,
            "instance_noise": 0.1, "diffaugment": "color,translation,cutout", "eval_every": 1000,
            "plugins": ["examples/my_sngan.py"]}


@dataclass
class TrainConfig:
    # what to train
    model: str = "dcgan"
    # modules (names or .py paths) imported before the model is looked up, so that a run trained with your own
    # recipe opens in a new process (gankit.plugins; docs/extending.md); config.yaml records .py paths absolute
    plugins: list[str] | None = None
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
    reuse_fakes: bool | None = None  # G's step on D's fakes (None: the family's default; gankit.objectives.base)
    sync_bn: bool = False        # multi-process: batchnorm statistics over the global batch (gankit.sync_batchnorm)
    sample_every: int = 500
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    log_every: int = 50
    # the logged gradient norms (and the divergence alarm's input) from every Nth update of each phase and the
    # first of each log window: a full norm reads every gradient once more (docs/performance.md)
    grad_norm_every: int = 4
    grid_size: int = 64
    # watchers of training: pitfall alarms (gankit.diagnostics)
    diagnostics: bool = True
    tensorboard: bool = False  # scalars + sample grids as TensorBoard event files in RUN/tensorboard
    # --eval-every N: metrics of N-step-old generators appended to metrics.jsonl (gankit.metrics.callback)
    eval_every: int | None = None
    eval_metrics: str = "fid"
    eval_n: int = 2000

    def validate(self, source: str = "config") -> "TrainConfig":
        """Raise a one-line :class:`GankitError` for any value that cannot work: the type of every key
        first (so the range checks below never compare a string), then the ranges."""
        self.check_types(source)
        for name in ("betas_g", "betas_d"):
            value = getattr(self, name)
            if value is not None and not (len(value) == 2 and all(0 <= b < 1 for b in value)):
                raise GankitError(f"{name.replace('_', '-')} must be 2 numbers in [0, 1), not {value!r} "
                                  f"(e.g. {name}: [0.5, 0.999], Adam's beta1 and beta2)")
        for name, limit in SEED_LIMITS.items():
            value = getattr(self, name)
            if not 0 <= value < limit:
                bound = "2**63" if limit == 2**63 else limit
                raise GankitError(f"{name.replace('_', '-')} must be in [0, {bound}), not {value} (e.g. 0)")
        positive = ["batch_size", "sample_every", "checkpoint_every", "log_every", "grad_norm_every", "grid_size"]
        positive += [n for n in ("steps", "image_size", "width", "z_dim", "n_critic", "eval_every", "eval_n", "r1_every",
                                   "subset", "labels_per_class")
                     if getattr(self, n) is not None]
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise GankitError(f"{name.replace('_', '-')} must be a positive integer, not {value!r} ({example(name)})")
        if self.image_size is not None and self.image_size > MAX_IMAGE_SIZE:
            raise GankitError(f"image-size {self.image_size} is above the limit of {MAX_IMAGE_SIZE} (the largest size "
                              f"gankit's nets are built for; use 1..{MAX_IMAGE_SIZE})")
        if self.epochs is not None and not (isinstance(self.epochs, (int, float)) and self.epochs > 0):
            raise GankitError(f"epochs must be a positive number, not {self.epochs!r} ({example('epochs')})")
        for name in ("lr_g", "lr_d"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and value > 0):
                raise GankitError(f"{name.replace('_', '-')} must be a positive number, not {value!r} ({example(name)})")
        if self.stage_kimg is not None and (isinstance(self.stage_kimg, bool) or not isinstance(self.stage_kimg, (int, float))
                                            or self.stage_kimg <= 0):
            raise GankitError(f"stage-kimg must be a positive number of thousands of images, not {self.stage_kimg!r} "
                              f"({example('stage_kimg')}; the paper's 800)")
        if self.keep_checkpoints < 0:
            raise GankitError(f"keep-checkpoints must be >= 0, not {self.keep_checkpoints} "
                              "(e.g. 3; 0 keeps only checkpoints/last.pt)")
        if self.precision not in PRECISIONS:
            raise GankitError(f"unknown precision {self.precision!r} (use one of: {', '.join(PRECISIONS)})")
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise GankitError(f"unknown device {self.device!r} (use one of: {', '.join(DEVICES)})")
        if self.channels not in (None, 1, 3):
            raise GankitError(f"channels must be 1 or 3, not {self.channels!r} (1 for gray, 3 for RGB)")
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
                raise GankitError(f"{name.replace('_', '-')} must be a number >= 0, not {value!r} ({example(name)}; 0 turns it off)")
        if self.params is not None:
            if not isinstance(self.params, dict):
                raise GankitError(f"params must be a mapping of names to values, not {self.params!r} (e.g. params: {{gamma: 0.5}})")
            for key, value in self.params.items():
                if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                    raise GankitError(f"param {key} must be a number or a word, not {value!r} (e.g. --param {key}=0.5)")
        for name in ("subset_seed", "label_seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise GankitError(f"{name.replace('_', '-')} must be an integer, not {value!r} ({example(name)})")
        if not (isinstance(self.ada_target, (int, float)) and 0 < self.ada_target < 1):
            raise GankitError(f"ada-target is the wanted E[sign D(real)], in (0, 1), not {self.ada_target!r} (ADA: 0.6)")
        if not (isinstance(self.ada_kimg, (int, float)) and self.ada_kimg > 0):
            raise GankitError(f"ada-kimg must be a positive number of thousands of images, not {self.ada_kimg!r} "
                              "(e.g. ada_kimg: 100, StyleGAN3's)")
        if self.diffaugment is not None and not isinstance(self.diffaugment, str):
            raise GankitError(f"diffaugment must be a policy, not {self.diffaugment!r} (e.g. diffaugment: color,translation,cutout)")
        if self.diffaugment and self.ada:
            raise GankitError("--diffaugment and --ada both augment D's inputs (use one of them)")
        for name in ("critic_warmup", "compile", "channels_last", "reuse_fakes", "diagnostics", "tensorboard", "ada",
                     "sync_bn"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, bool):
                raise GankitError(f"{name.replace('_', '-')} must be true or false, not {value!r} (e.g. {name}: true)")
        if self.instance_noise is not None and not (isinstance(self.instance_noise, (int, float))
                                                    and self.instance_noise >= 0):
            raise GankitError(f"instance-noise must be a standard deviation >= 0, not {self.instance_noise!r} "
                              f"({example('instance_noise')})")
        return self

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def check_types(self, source: str = "config") -> None:
        """Each key's value against its field's annotation (``int | None``, ``list[float] | None``...):
        YAML gives strings, lists, dates, bools and .inf/.nan anywhere, and a wrong type must be one
        line naming the key, not a TypeError deep in training."""
        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            value = getattr(self, f.name)
            kinds = _alternatives(hints[f.name])
            if not any(_is_a(value, kind) for kind in kinds):
                wanted = " or ".join(_KIND_WORDS.get(k) or _KIND_WORDS[typing.get_origin(k) or k]
                                     for k in kinds if k is not type(None))
                default = ", or null for the model's default" if type(None) in kinds else ""
                raise GankitError(f"{source}: {f.name.replace('_', '-')} must be {wanted}, not {reprlib.repr(value)} "
                                  f"({example(f.name)}{default})")

    @classmethod
    def from_dict(cls, d: dict, source: str = "config") -> "TrainConfig":
        """A checked config from a mapping (a YAML file, a run's config.yaml, keyword arguments): an unknown
        key names its closest valid one, a wrong type names the key."""
        unknown = sorted(set(d) - set(cls.keys()), key=str)
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(key.replace("-", "_"), cls.keys(), n=1) if isinstance(key, str) else []
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise GankitError(f"unknown config key {key!r} in {source} "
                              f"({hint}valid keys: {', '.join(cls.keys())})")
        config = cls(**d)
        config.check_types(source)
        return config


def example(name: str) -> str:
    """``e.g. KEY: VALUE`` for a config key, as a message's fix shows it (from :data:`EXAMPLES` or its default)."""
    default = next(f.default for f in fields(TrainConfig) if f.name == name)
    return "e.g. " + yaml.safe_dump({name: EXAMPLES.get(name, default)}, default_flow_style=True).strip()[1:-1]


#: how a type error names each annotation's type
_KIND_WORDS = {bool: "true or false", int: "an integer", float: "a finite number", str: "a string",
               list: "a list of finite numbers", list[str]: "a list of strings", dict: "a mapping"}


def _alternatives(hint) -> tuple:
    """The types a field's annotation allows: ``int | None`` -> (int, NoneType); ``str`` -> (str,)."""
    union = isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
    return typing.get_args(hint) if union else (hint,)


def _is_a(value, kind) -> bool:
    """``value`` fits one alternative of a field's annotation. YAML's booleans are not numbers here, an
    integer is a number, and inf/nan are no number a config can mean (they end in a NaN run)."""
    if kind is type(None):
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is int:
        return isinstance(value, int)
    if kind is float:
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    if typing.get_origin(kind) is list:
        return isinstance(value, list) and all(_is_a(v, typing.get_args(kind)[0]) for v in value)
    return isinstance(value, kind)


def load_yaml(path: str | Path) -> dict:
    """Read a YAML mapping; a missing, unreadable, binary or malformed file is a one-line error."""
    path = Path(path)
    if path.is_dir():
        raise GankitError(f"config file {path} is a folder (give the path of a YAML file of config keys, "
                          "e.g. configs/demo.yaml)")
    if not path.is_file():
        raise GankitError(f"config file {path} not found (check the path)")
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise GankitError(f"cannot read config file {path}: {e.strerror or e} (check its permissions)") from None
    except UnicodeDecodeError as e:
        raise GankitError(f"{path} is not a UTF-8 text file (byte {e.object[e.start]:#04x} at offset {e.start}; "
                          "give a YAML file, saved as UTF-8)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise GankitError(f"{path} is not valid YAML{where} (fix the syntax)") from None
    except RecursionError:
        raise GankitError(f"{path} nests too deeply to be a config (a config is one mapping of keys to values)") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GankitError(f"{path} must hold a mapping of config keys (e.g. 'model: dcgan')")
    return data
