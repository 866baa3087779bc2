"""Named recipes: a model name -> a Game (nets + phases + losses) with its paper's defaults.

A variant is a composition along four axes (loss, regularizer, conditioning, network), and its
paper's defaults live here, next to its name, in one place. ``gankit models`` prints this table.
To add a variant: write its objective (if new) and register a recipe below that builds its Game
(the zoo's recipes build a :class:`~gankit.games.latent.LatentGame`; see docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .config import TrainConfig
from .data.base import DataSpec
from .errors import GankitError
from .games.base import Game, OptimSpec
from .games.augmented import build_augment
from .games.latent import LatentGame
from .nets.factory import build_autoencoder, build_discriminator, build_generator, build_nets
from .objectives import (ACGAN, BEGAN, DRAGAN, G_LOSSES, EnergyGAN, HingeGAN, InfoGAN, Latent, LeastSquaresGAN,
                         MinimaxGAN, Objective, WassersteinGAN, WassersteinGP)


@dataclass(frozen=True)
class Choice:
    """A text param with its allowed values, e.g. ``Choice("a2b", ("a2b", "b2a"))``: default first."""

    default: str
    options: tuple[str, ...]


@dataclass
class ModelInfo:
    name: str
    summary: str
    paper: str
    loss: str
    build: Callable[[DataSpec, TrainConfig], Game]
    defaults: dict = field(default_factory=dict)
    #: defaults that differ for 2D point data (small nets train faster with larger steps)
    point_defaults: dict = field(default_factory=dict)
    conditional: bool = False
    #: the paper's own hyperparameters that are not config fields (lambda, clip, gamma, ...), in words
    hyper: str = ""
    #: True for the families built on the BCE game (label smoothing and feature matching apply)
    bce: bool = False
    #: True where D's d_real/d_fake are probabilities (BCE) or 1/0 regression targets (LSGAN): the
    #: vanishing-gradient alarm reads them; None = same as ``bce``
    d_probability: bool | None = None
    #: the recipe's own numbers or words, with the paper's values (float, int, str or a :class:`Choice`);
    #: a run's ``params`` override them (--param NAME=VALUE), converted to the default's type
    params: dict = field(default_factory=dict)
    #: True for the image-to-image families (no z; they train on two domains)
    translation: bool = False
    #: True where D learns classes from a few labels (--labels-per-class)
    semi_supervised: bool = False


@dataclass(frozen=True)
class Derived:
    """A default computed from the data and the run's other settings when a run starts (e.g.
    StyleGAN2's R1 gamma, which scales with resolution and batch size); written resolved to
    config.yaml, so a resumed run keeps it."""

    text: str
    compute: Callable[[DataSpec, dict], object]

    def __str__(self) -> str:
        return self.text


MODELS: dict[str, ModelInfo] = {}

#: defaults every recipe starts from; a recipe overrides what its paper says
BASE_DEFAULTS = dict(
    arch="dcgan", width=None, z_dim=100, g_loss="non-saturating", n_critic=1, critic_warmup=False,
    optim_g="adam", optim_d="adam", lr_g=2e-4, lr_d=2e-4, betas_g=[0.5, 0.999], betas_d=[0.5, 0.999],
    ema=0, r1=0.0, r1_every=16,  # no EMA of G, no R1 penalty unless the paper (or --ema / --r1) asks
)
POINT_DEFAULTS = dict(arch="mlp", z_dim=2, lr_g=1e-3, lr_d=1e-3)  # measured on ring8: see tests/test_learning.py


def register(name: str, summary: str, paper: str, loss: str, conditional: bool = False,
             point_defaults: dict | None = None, hyper: str = "", bce: bool = False, params: dict | None = None,
             d_probability: bool | None = None, translation: bool = False, semi_supervised: bool = False,
             **defaults):
    def wrap(fn):
        MODELS[name] = ModelInfo(name, summary, paper, loss, fn, {**BASE_DEFAULTS, **defaults},
                                 {**POINT_DEFAULTS, **(point_defaults or {})}, conditional, hyper, bce,
                                 bce if d_probability is None else d_probability, dict(params or {}), translation,
                                 semi_supervised)
        return fn
    return wrap


def get_model(name: str) -> ModelInfo:
    if name not in MODELS:
        raise GankitError(f"unknown model {name!r} (run 'gankit models' to list them; e.g. {', '.join(MODELS)})")
    return MODELS[name]


def resolve(cfg: TrainConfig, spec: DataSpec) -> TrainConfig:
    """Fill every ``None`` model/optimizer field of ``cfg`` from the recipe's defaults."""
    info = get_model(cfg.model)
    defaults = dict(info.defaults)
    if spec.kind == "points":
        defaults.update(info.point_defaults)
    values = cfg.to_dict()
    for key, default in defaults.items():
        if values.get(key) is None:
            if isinstance(default, Derived):
                default = default.compute(spec, values)
            values[key] = list(default) if isinstance(default, (list, tuple)) else default
    if values.get("stage_kimg") is not None and "stage_kimg" not in defaults:
        growing = ", ".join(m.name for m in MODELS.values() if "stage_kimg" in m.defaults)
        raise GankitError(f"--stage-kimg schedules progressive growing, which {info.name} does not do "
                          f"(use it with {growing})")
    if values.get("labels_per_class") and not info.semi_supervised:
        which = ", ".join(m.name for m in MODELS.values() if m.semi_supervised)
        raise GankitError(f"--labels-per-class hides labels for semi-supervised learning, which {info.name} does not "
                          f"do (use it with {which})")
    values["params"] = _params(info, values.get("params"), spec, values)
    resolved = TrainConfig(**values)
    if resolved.g_loss not in G_LOSSES:
        raise GankitError(f"unknown --g-loss {resolved.g_loss!r} (use one of: {', '.join(G_LOSSES)})")
    bce_models = ", ".join(m.name for m in MODELS.values() if m.bce)
    if not info.bce and resolved.g_loss != "non-saturating":
        raise GankitError(f"--g-loss {resolved.g_loss} applies to the cross-entropy game, not to {info.name} "
                          f"(use it with {bce_models})")
    if not info.bce and getattr(resolved, "label_smoothing", None) is not None:
        raise GankitError(f"--label-smoothing applies to a cross-entropy discriminator, not to {info.name} "
                          f"(use it with {bce_models})")
    if info.conditional and spec.num_classes == 0 and info.name != "infogan":
        raise GankitError(f"{info.name} is class-conditional and {spec.name} has no labels "
                          "(use a labelled dataset, or an unconditional model)")
    return resolved.validate()


def _params(info: ModelInfo, given: dict | None, spec: DataSpec | None = None, values: dict | None = None) -> dict:
    """The recipe's paper values with the run's overrides on top; a name the recipe lacks is an error.
    A :class:`Derived` default is computed from ``spec`` and the run's config ``values``."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(info.params))
    if unknown:
        have = f"its params are {', '.join(info.params)}" if info.params else "it has none"
        raise GankitError(f"{info.name} has no param {unknown[0]!r} ({have}; see 'gankit models')")
    out = {}
    for k, default in info.params.items():
        if isinstance(default, Derived):
            computed = default.compute(spec, values or {})
            out[k] = _param_value(info.name, k, computed, given[k]) if k in given else computed
        else:
            out[k] = _param_value(info.name, k, default, given[k]) if k in given else param_default(default)
    return out


def param_default(default):
    return default.default if isinstance(default, Choice) else default


def _param_value(model: str, name: str, default, value):
    """``value`` as the type of the recipe's ``default`` (float, int, str or Choice), or a one-line error."""
    example = f"(e.g. --param {name}={param_default(default)})"
    if isinstance(default, (Choice, str)):
        text = str(value)
        if isinstance(default, Choice) and text not in default.options:
            raise GankitError(f"param {name} of {model} must be one of {', '.join(default.options)}, not {text!r} (e.g. --param {name}={default.options[0]})")
        return text
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        raise TypeError(f"recipe {model}: param {name} has an unsupported default {default!r}")
    if not number:
        raise GankitError(f"{str(value)!r} in '{name}={value}' is not a number {example}")
    if not math.isfinite(float(value)):
        raise GankitError(f"param {name} of {model} must be a finite number, not {value!r} {example}")
    if isinstance(default, int):
        if float(value) != int(value):
            raise GankitError(f"{value!r} in '{name}={value}' is not an integer {example}")
        value = int(value)
    else:
        value = float(value)
    low, high, low_open, *hint = PARAM_RANGES.get(name, (0, None, False))
    if value < low or (low_open and value == low) or (high is not None and value > high):
        bound = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
        why = f" ({hint[0]})" if hint else ""
        raise GankitError(f"param {name} of {model} must be {bound}{why}, not {value!r} {example}")
    return value


#: every recipe number is a weight, a count or a size: >= 0 unless listed here (low, high, low excluded,
#: optional hint); the names mean the same in every recipe that has them. Recipes that check a param
#: themselves with a message of their own (text2image's stages and attributes, stylegan's mapping_layers)
#: keep only the >= 0 floor here.
PARAM_RANGES = {
    "clip": (0, None, True, "the critic's weight clipping bound"), "scale": (0, None, True),
    "margin": (0, None, True), "gamma": (0, 1, True, "BEGAN's diversity ratio"), "lambda_k": (0, 1, False),
    "mixing": (0, 1, False, "a probability"), "grow": (0, 1, False), "equalized": (0, 1, False),
    "pixel_norm": (0, 1, False), "ngf": (1, None, False), "ndf": (1, None, False), "blocks": (1, None, False),
    "unsupervised": (0, None, False, "a loss weight; 0: the supervised-only baseline"),
}


#: the most bytes of tensors one Game may create when it is built (its nets' parameters and buffers): 4 GiB,
#: a billion 32-bit numbers, as many as the largest GAN published (GigaGAN's generator) and 60x gankit's
#: largest default (pix2pix, 17M); training then holds about 4x that (gradients, Adam's two moments). Past
#: it, a --width, --z-dim or --image-size is refused before the memory is taken, not by the allocator or the
#: OOM killer.
MAX_BUILD_BYTES = 4 << 30


class _BuildBudget(TorchFunctionMode):
    """While a Game is built: size each new tensor on the meta device first (which takes no memory) and
    refuse the build once the total would pass :data:`MAX_BUILD_BYTES`, before that tensor is allocated."""

    FACTORIES = {torch.empty, torch.zeros, torch.ones, torch.full, torch.rand, torch.randn}

    def __init__(self, cfg: TrainConfig):
        super().__init__()
        self.cfg, self.total = cfg, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in self.FACTORIES:  # (this mode is off in here: the probe is not counted twice)
            probe = {k: v for k, v in kwargs.items() if k not in ("generator", "out")}
            shape = func(*args, **{**probe, "device": "meta"})
            self.total += shape.numel() * shape.element_size()
            if self.total > MAX_BUILD_BYTES:
                now = ", ".join(f"--{k.replace('_', '-')} {getattr(self.cfg, k)}" for k in ("width", "z_dim")
                                if getattr(self.cfg, k) is not None)
                raise GankitError(f"{self.cfg.model}'s nets would take more than {MAX_BUILD_BYTES >> 30} GiB, "
                                  f"gankit's limit (one tensor alone: {'x'.join(map(str, shape.shape))}, "
                                  f"{shape.numel() * shape.element_size() / 2**30:.1f} GiB) (lower --width, --z-dim "
                                  f"or --image-size{f'; now {now}' if now else ''})")
        return func(*args, **kwargs)


def build_game(cfg: TrainConfig, spec: DataSpec) -> Game:
    """Build the Game of a resolved config (see :func:`resolve`), plus the tricks it asks for; nets past
    :data:`MAX_BUILD_BYTES` are a one-line error."""
    info = get_model(cfg.model)
    if cfg.params is None or set(cfg.params) != set(info.params):  # e.g. a run written before params existed
        cfg = dataclasses.replace(cfg, params=_params(info, cfg.params, spec, cfg.to_dict()))
    with _BuildBudget(cfg):
        game = info.build(spec, cfg)
    augment = build_augment(cfg, spec, game.nets["D"] if "D" in game.nets else None)
    if augment is not None:
        if not isinstance(game, LatentGame):
            raise GankitError(f"--diffaugment/--ada are not wired into {cfg.model}'s game yet (drop them)")
        game.augment = augment
    noise = getattr(cfg, "instance_noise", None)
    if noise:
        if "D" not in game.nets or not isinstance(game, LatentGame):
            raise GankitError(f"--instance-noise is not wired into {cfg.model}'s game (drop it)")
        D = game.nets["D"]
        if not hasattr(D, "head") and hasattr(D, "reconstruct"):
            raise GankitError(f"--instance-noise needs a classifying D; {cfg.model}'s D is an autoencoder "
                              "(drop --instance-noise)")
        add_instance_noise(D, noise)
    return game


def add_instance_noise(D: nn.Module, std: float) -> None:
    """Instance noise (Sønderby et al. 2017; Arjovsky & Bottou 2017): every input D sees while training,
    real or fake, gets N(0, std^2) added, so the two distributions overlap and D cannot separate
    them perfectly. A forward pre-hook, so it works for any D and adds nothing to checkpoints;
    in eval mode D sees clean inputs."""

    def hook(module, args):
        if not module.training:
            return None
        x = args[0]
        return (x + std * torch.randn_like(x), *args[1:])

    D.register_forward_pre_hook(hook)


# --------------------------------------------------------------------------------------------
# The recipes
# --------------------------------------------------------------------------------------------

def _real_target(cfg: TrainConfig) -> float:
    smoothing = getattr(cfg, "label_smoothing", None)
    return 1.0 if smoothing is None else float(smoothing)


def _bce(cfg: TrainConfig, **kw) -> dict:
    return dict(g_loss=cfg.g_loss, real_target=_real_target(cfg), **kw)


def latent_game(spec: DataSpec, cfg: TrainConfig, G: nn.Module, D: nn.Module, objective: Objective,
                game: type[LatentGame] = LatentGame, **extra) -> LatentGame:
    """The zoo's Game: G, D and the objective, with the config's optimizers, critic schedule, R1 and EMA
    (``game``: a subclass of LatentGame, given its own ``extra`` arguments)."""
    return game(
        G, D, objective, spec,
        optim_g=OptimSpec(cfg.optim_g, cfg.lr_g, tuple(cfg.betas_g or ())),
        optim_d=OptimSpec(cfg.optim_d, cfg.lr_d, tuple(cfg.betas_d or ())),
        n_critic=cfg.n_critic, critic_warmup=bool(cfg.critic_warmup), r1=float(cfg.r1 or 0.0),
        r1_every=cfg.r1_every or 16, ema={"G": cfg.ema} if cfg.ema else {},
        reuse_fakes=_reuse_fakes(cfg, objective, spec), **extra,
    )


def _reuse_fakes(cfg: TrainConfig, objective: Objective, spec: DataSpec) -> bool:
    """Whether G's step reuses D's fakes: the objective's default (``reuse_fakes_default``) on images,
    or what --reuse-fakes / --no-reuse-fakes asked for. Only with one D step per G step: with several,
    the G step would see the fakes of the last critic step alone. Not by default on 2D points, whose
    tiny MLPs gain no time from it and where it was a wash on the ring (docs/performance.md). Not in
    multi-process runs: they average batchnorm statistics in place after every update, which G's kept
    graph has saved, and their equivalence with one process was measured for fresh fakes only."""
    from .distributed import launched

    default = type(objective).reuse_fakes_default
    one_d_step = cfg.n_critic == 1 and not cfg.critic_warmup
    if cfg.reuse_fakes is None:
        return bool(default) and one_d_step and spec.kind == "image" and not launched()
    if cfg.reuse_fakes and launched():
        raise GankitError("--reuse-fakes is for one process for now: with several, a rank's G graph would "
                          "outlive the batchnorm averaging of the D update (drop --reuse-fakes, or use --nproc 1)")
    if cfg.reuse_fakes and default is None:
        raise GankitError(f"--reuse-fakes: {cfg.model}'s G step draws fakes of its own, which D's step cannot "
                          "provide (drop --reuse-fakes)")
    if cfg.reuse_fakes and not one_d_step:
        raise GankitError(f"--reuse-fakes needs one D step per G step, not n_critic {cfg.n_critic}"
                          f"{' with the critic warm-up' if cfg.critic_warmup else ''} (use --n-critic 1 "
                          "--no-critic-warmup, or drop --reuse-fakes)")
    return bool(cfg.reuse_fakes)


def _nets(spec: DataSpec, cfg: TrainConfig, d_norm: str = "batch", g_in: int = 0, d_extra: int = 0):
    G = build_generator(cfg.arch, spec, cfg.z_dim + g_in, cfg.width)
    D = build_discriminator(cfg.arch, spec, cfg.width, d_norm, extra_in=d_extra)
    return G, D


# Models that share the zoo backbone on images (Lucic et al. 2018); on 2D points, MLPs (POINT_DEFAULTS).
ZOO = dict(arch="zoo")


def _plain_gan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    """gan and dcgan: the same game, told apart by their default nets (mlp, dcgan)."""
    G, D = build_nets(cfg.arch, spec, cfg.z_dim, cfg.width)
    return latent_game(spec, cfg, G, D, MinimaxGAN(Latent(cfg.z_dim), **_bce(cfg)))


register(
    "gan",
    summary="the original GAN with fully connected nets",
    paper="Goodfellow et al. 2014, Generative Adversarial Nets",
    loss="D: binary cross-entropy real vs fake; G: -log D(G(z)) (non-saturating), "
         "or log(1 - D(G(z))) with --g-loss minimax; on images G's step reuses D's fakes, as the usual PyTorch "
         "loop does (--no-reuse-fakes: fresh z, as the paper's Algorithm 1)",
    arch="mlp", bce=True,
)(_plain_gan)
register(
    "dcgan",
    summary="deep convolutional GAN: strided convs, batchnorm, Adam(2e-4, beta1 0.5)",
    paper="Radford, Metz & Chintala 2015, Unsupervised Representation Learning with DCGANs",
    loss="same game as gan (non-saturating G loss)",
    arch="dcgan", bce=True,
    point_defaults={"arch": "dcgan"},  # convnets only: on 2D points this is an error, not a silent MLP
)(_plain_gan)


@register(
    "cgan",
    summary="conditional GAN: the one-hot label is concatenated to G's z and to D's input",
    paper="Mirza & Osindero 2014, Conditional Generative Adversarial Nets",
    loss="as gan, with D(x|y) and G(z|y)", conditional=True, bce=True, **ZOO,
)
def cgan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    from .conditioning import ConcatDiscriminator, ConcatGenerator

    k = spec.num_classes
    G, D = _nets(spec, cfg, g_in=k, d_extra=k)
    objective = MinimaxGAN(Latent(cfg.z_dim), conditional=True, **_bce(cfg))
    return latent_game(spec, cfg, ConcatGenerator(G, k), ConcatDiscriminator(D, k), objective)


@register(
    "acgan",
    summary="auxiliary-classifier GAN: G(z|y); D predicts real/fake and the class",
    paper="Odena, Olah & Shlens 2017, Conditional Image Synthesis with Auxiliary Classifier GANs",
    loss="as gan, plus the class cross-entropy of D's auxiliary head on real and fake, for D and G (weight 1)",
    conditional=True, bce=True, params=dict(class_weight=1.0), **ZOO,
)
def acgan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    from .conditioning import ConcatGenerator

    k = spec.num_classes
    G, D = _nets(spec, cfg, g_in=k)
    objective = ACGAN(Latent(cfg.z_dim), D.feature_dim, k, class_weight=cfg.params["class_weight"], **_bce(cfg))
    return latent_game(spec, cfg, ConcatGenerator(G, k), D, objective)


@register(
    "infogan",
    summary="InfoGAN: unsupervised codes (10-way categorical + 2 continuous) made meaningful by a Q head",
    paper="Chen et al. 2016, InfoGAN: Interpretable Representation Learning by Information Maximizing GANs",
    loss="as gan, plus lambda * [CE(Q_cat, c) + 1/2 ||Q_mu - c_cont||^2] (Gaussian NLL, unit variance) "
         "for G and D+Q",
    conditional=True, bce=True, z_dim=62,
    hyper="codes: 1 categorical (10-way; K-way on a K-class toy set) + 2 uniform[-1,1]",
    params=dict(info_weight=1.0),
    **ZOO,
)
def infogan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    from .conditioning import CodeGenerator, CodeLatent

    # 10-way as in the paper; on a labelled toy mixture, as many values as it has modes
    n_cat = spec.num_classes if spec.kind == "points" and spec.num_classes else 10
    latent = CodeLatent(cfg.z_dim, n_cat=n_cat, n_cont=2)
    G, D = _nets(spec, cfg, g_in=n_cat + 2)
    objective = InfoGAN(latent, D.feature_dim, info_weight=cfg.params["info_weight"], **_bce(cfg))
    return latent_game(spec, cfg, CodeGenerator(G, latent), D, objective)


@register(
    "lsgan",
    summary="least-squares GAN: D regresses to 1 (real) / 0 (fake)",
    paper="Mao et al. 2017, Least Squares Generative Adversarial Networks",
    loss="D: 1/2 (D(x)-1)^2 + 1/2 D(G(z))^2; G: 1/2 (D(G(z))-1)^2  (a=0, b=1, c=1)", d_probability=True, **ZOO,
)
def lsgan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    G, D = _nets(spec, cfg)
    return latent_game(spec, cfg, G, D, LeastSquaresGAN(Latent(cfg.z_dim)))


@register(
    "wgan",
    summary="Wasserstein GAN: critic with weight clipping",
    paper="Arjovsky, Chintala & Bottou 2017, Wasserstein GAN",
    loss="critic: E f(G(z)) - E f(x), weights clipped to [-0.01, 0.01]; G: -E f(G(z))",
    hyper="100 critic steps for the first 25 G steps and every 500th (critic_warmup)", params=dict(clip=0.01),
    optim_g="rmsprop", optim_d="rmsprop", lr_g=5e-5, lr_d=5e-5, n_critic=5, critic_warmup=True,
    point_defaults=dict(lr_g=5e-4, lr_d=5e-4),  # measured on ring8 (tests/test_zoo_learning.py)
    **ZOO,
)
def wgan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    G, D = _nets(spec, cfg)
    return latent_game(spec, cfg, G, D, WassersteinGAN(Latent(cfg.z_dim), clip=cfg.params["clip"]))


@register(
    "wgan-gp",
    summary="WGAN with gradient penalty: critic without batchnorm (layer norm)",
    paper="Gulrajani et al. 2017, Improved Training of Wasserstein GANs",
    loss="critic: E f(G(z)) - E f(x) + 10 E(||grad f(x_hat)|| - 1)^2, x_hat = per-sample interpolate; "
         "G: -E f(G(z))",
    params=dict(penalty=10.0),
    lr_g=1e-4, lr_d=1e-4, betas_g=[0.0, 0.9], betas_d=[0.0, 0.9], n_critic=5,
    # ring8: 1e-3 and 3e-4 collapsed onto one mode for seed 0; the paper's 1e-4 is stable. Betas (0.5, 0.9), as in
    # the authors' code for small problems, beat Algorithm 1's (0, 0.9) there: energy ratio after 2000 steps
    # 0.18/0.03 against 0.30/0.95 (seeds 0/1, tests/test_zoo_learning.py)
    point_defaults=dict(lr_g=1e-4, lr_d=1e-4, betas_g=[0.5, 0.9], betas_d=[0.5, 0.9]),
    **ZOO,
)
def wgan_gp(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    G, D = _nets(spec, cfg, d_norm="layer")
    return latent_game(spec, cfg, G, D, WassersteinGP(Latent(cfg.z_dim), penalty=cfg.params["penalty"]))


@register(
    "dragan",
    summary="DRAGAN: the GAN game plus a gradient penalty around perturbed real data",
    paper="Kodali et al. 2017, On Convergence and Stability of GANs",
    loss="as gan, plus 10 E(||grad D(x_hat)|| - 1)^2, x_hat = x + alpha * 0.5 std(x) U[0,1), alpha per sample",
    hyper="perturbation scale: a multiple of std(x)", params=dict(penalty=10.0, scale=0.5),
    bce=True, lr_g=1e-4, lr_d=1e-4, betas_g=[0.5, 0.9], betas_d=[0.5, 0.9],
    point_defaults=dict(lr_g=1e-3, lr_d=1e-3), **ZOO,
)
def dragan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    G, D = _nets(spec, cfg, d_norm="layer")
    objective = DRAGAN(Latent(cfg.z_dim), penalty=cfg.params["penalty"], scale=cfg.params["scale"], **_bce(cfg))
    return latent_game(spec, cfg, G, D, objective)


@register(
    "ebgan",
    summary="energy-based GAN: autoencoder D, energy = reconstruction MSE, hinge at margin m",
    paper="Zhao, Mathieu & LeCun 2017, Energy-based Generative Adversarial Network",
    loss="D: E(x) + max(0, m - E(G(z))); G: E(G(z)) + 0.1 * pulling-away term on the codes",
    # the margin is on the scale of the energy (per-element MSE of data in about [-2, 2]); chosen, not tuned:
    # with it ebgan learns ring8 (tests/test_zoo_learning.py). The paper grid-searched m per dataset.
    hyper="energy = mean squared error per element", params=dict(margin=1.0, pt_weight=0.1),
    **ZOO,
)
def ebgan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    G = build_generator(cfg.arch, spec, cfg.z_dim, cfg.width)
    D = build_autoencoder(cfg.arch, spec, cfg.width)
    objective = EnergyGAN(Latent(cfg.z_dim), margin=cfg.params["margin"], pt_weight=cfg.params["pt_weight"])
    return latent_game(spec, cfg, G, D, objective)


@register(
    "began",
    summary="boundary equilibrium GAN: autoencoder D, L1 losses, equilibrium kept by k_t",
    paper="Berthelot, Schumm & Metz 2017, BEGAN: Boundary Equilibrium Generative Adversarial Networks",
    loss="D: L(x) - k_t L(G(z)); G: L(G(z)); L = L1 reconstruction; "
         "k_t += lambda_k (gamma L(x) - L(G(z))), clipped to [0, 1]",
    # gamma 0.75 can be met by a collapsed G on 28x28 images; gamma 1 learns (see objectives/began.py)
    hyper="k_0 = 0, convergence measure M logged; on 28x28 images --param gamma=1 learns, 0.75 can collapse", params=dict(gamma=0.75, lambda_k=0.001),
    z_dim=64, lr_g=1e-4, lr_d=1e-4, **ZOO,
)
def began(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    G = build_generator(cfg.arch, spec, cfg.z_dim, cfg.width)
    D = build_autoencoder(cfg.arch, spec, cfg.width)
    objective = BEGAN(Latent(cfg.z_dim), gamma=cfg.params["gamma"], lambda_k=cfg.params["lambda_k"])
    return latent_game(spec, cfg, G, D, objective)


@register(
    "sngan",
    summary="spectrally normalised GAN: every D layer divided by its largest singular value, hinge loss, EMA of G",
    paper="Miyato, Kataoka, Koyama & Yoshida 2018, Spectral Normalization for Generative Adversarial Networks",
    loss="D: E relu(1 - D(x)) + E relu(1 + D(G(z))); G: -E D(G(z)); each D weight W used as W / sigma(W), "
         "sigma from one power iteration per D forward",
    hyper="D = the zoo backbone with spectral norm on every layer instead of batchnorm (--arch sngan: the paper's "
          "standard CNN); Adam 2e-4 betas (0, 0.9), n_dis 5 as in the authors' code (sngan_projection); the paper's "
          "Table 1 setting C is --n-critic 1 with betas_g/betas_d [0.5, 0.999] in a --config file; "
          "samples from an EMA of G (half-life 10k images)",
    lr_g=2e-4, lr_d=2e-4, betas_g=[0.0, 0.9], betas_d=[0.0, 0.9], n_critic=5, ema=10_000,
    **ZOO,
)
def sngan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    G, D = _nets(spec, cfg, d_norm="spectral")
    return latent_game(spec, cfg, G, D, HingeGAN(Latent(cfg.z_dim)))


@register(
    "biggan",
    summary="BigGAN at 32x32: shared class embedding + skip-z into conditional batchnorm, residual nets, "
            "projection D, hinge loss, spectral norm in G and D, orthogonal regularization, EMA, truncation",
    paper="Brock, Donahue & Simonyan 2019, Large Scale GAN Training for High Fidelity Natural Image Synthesis",
    loss="D: E relu(1 - D(x, y)) + E relu(1 + D(G(z, y), y)); G: -E D(G(z, y), y) + beta sum ||W W^T * (1 - I)||^2; "
         "D(x, y) = w.h(x) + embed(y).h(x) (projection, Miyato & Koyama 2018)",
    hyper="the authors' CIFAR setting: Adam 2e-4 for G and D, betas (0, 0.999), n_dis 4; z 120 (the paper's) in "
          "4 chunks at 32 px, 5 at 64 (skip-z), class embedding 128; EMA of G (half-life 10k images); orthogonal init; sample with "
          "--truncation PSI --truncation-method resample (the paper's truncation trick); 32 or 64 px (--image-size)",
    conditional=True, params=dict(ortho=1e-4), point_defaults={"arch": "biggan"},
    arch="biggan", width=32, z_dim=120, lr_g=2e-4, lr_d=2e-4, betas_g=[0.0, 0.999], betas_d=[0.0, 0.999],
    n_critic=4, ema=10_000,
)
def biggan(spec: DataSpec, cfg: TrainConfig) -> LatentGame:
    from .nets.biggan import SUPPORTED_SIZES, BigGANDiscriminator, BigGANGenerator

    if cfg.arch != "biggan":
        raise GankitError(f"biggan has its own nets (drop --arch {cfg.arch})")
    _need_image_size("biggan", spec, SUPPORTED_SIZES)
    blocks = {32: 3, 64: 4}[spec.image_size]
    if cfg.z_dim % (blocks + 1):
        raise GankitError(f"biggan splits z into {blocks + 1} equal chunks (skip-z): --z-dim {cfg.z_dim} does not "
                          f"divide (use e.g. 120)")
    k = spec.num_classes
    G = BigGANGenerator(cfg.z_dim, k, spec.image_size, spec.channels, cfg.width)
    D = BigGANDiscriminator(k, spec.image_size, spec.channels, cfg.width)
    objective = HingeGAN(Latent(cfg.z_dim), conditional=True, ortho=cfg.params["ortho"])
    return latent_game(spec, cfg, G, D, objective)


@register(
    "progan",
    summary="progressive growing: G and D grow from 4x4 by fading in blocks; pixel norm, minibatch stddev, "
            "equalized learning rate, WGAN-GP with drift",
    paper="Karras, Aila, Laine & Lehtinen 2018, Progressive Growing of GANs for Improved Quality, Stability, "
          "and Variation",
    loss="critic: E D(G(z)) - E D(x) + 10 E(||grad D(x_hat)|| - 1)^2 + 0.001 E D(x)^2 (drift); G: -E D(G(z))",
    hyper="stages 4x4 -> full size; each new stage fades in over --stage-kimg thousand images and then trains as "
          "long (the paper: 800; the recipe's 10 fits a CPU run); real images are pooled to the active stage and "
          "blended by the same alpha; Adam 1e-3 betas (0, 0.99) (for runs of ~1k steps use --lr-g 1e-2 --lr-d 1e-2: equalized layers move 0.1% of their scale per step at 1e-3; measured in docs/progan-stylegan-notes.md), one D step per G step; EMA of G (the paper's "
          "0.999 per step of 16 images, a half-life of ~10k images); channels 4w at 4 and 8 px, halving after; "
          "ablation switches grow, mbstd (group size, 0 = off), equalized, pixel_norm (1/0); stage_batch: a batch "
          "size per stage, e.g. 64,64,32,16",
    params=dict(grow=1, mbstd=4, equalized=1, pixel_norm=1, penalty=10.0, drift=0.001, stage_batch=""),
    point_defaults={"arch": "progan"},
    arch="progan", width=32, z_dim=128, lr_g=1e-3, lr_d=1e-3, betas_g=[0.0, 0.99], betas_d=[0.0, 0.99],
    n_critic=1, ema=10_000, stage_kimg=10.0,
)
def progan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.progressive import GrowthSchedule, ProgressiveGame
    from .nets.progan import SUPPORTED_SIZES, ProGANDiscriminator, ProGANGenerator, num_stages

    if cfg.arch != "progan":
        raise GankitError(f"progan has its own nets (drop --arch {cfg.arch})")
    _need_image_size("progan", spec, SUPPORTED_SIZES)
    p = cfg.params
    G = ProGANGenerator(cfg.z_dim, spec.image_size, spec.channels, cfg.width, pixel_norm=bool(p["pixel_norm"]),
                        equalized=bool(p["equalized"]))
    D = ProGANDiscriminator(spec.image_size, spec.channels, cfg.width, mbstd_group=p["mbstd"],
                            equalized=bool(p["equalized"]))
    objective = WassersteinGP(Latent(cfg.z_dim), penalty=p["penalty"], drift=p["drift"])
    schedule = GrowthSchedule(num_stages(spec.image_size), float(cfg.stage_kimg), grow=bool(p["grow"]))
    return latent_game(spec, cfg, G, D, objective, ProgressiveGame, schedule=schedule,
                       stage_batch=_stage_batch(p["stage_batch"]))


def _need_image_size(model: str, spec: DataSpec, sizes: tuple[int, ...]) -> None:
    if spec.kind != "image" or spec.image_size not in sizes:
        what = "2D points" if spec.kind != "image" else f"{spec.image_size}px images"
        raise GankitError(f"{model}'s nets are for {' or '.join(map(str, sizes))}px images, not {what} "
                          "(pass --image-size 32)")


def _stage_batch(text: str) -> tuple[int, ...]:
    """``"64,64,32"`` -> (64, 64, 32); "" -> () (the run's --batch-size at every stage)."""
    try:
        sizes = tuple(int(t) for t in text.replace(" ", "").split(",") if t)
    except ValueError:
        sizes = (0,)
    if any(s <= 0 for s in sizes):
        raise GankitError(f"param stage_batch must be positive batch sizes per stage, not {text!r} (e.g. --param stage_batch=64,64,32,16)")
    return sizes


def _stylegan_gamma(spec: DataSpec, values: dict) -> float:
    """stylegan2-ada's automatic R1 gamma: 0.0002 * resolution^2 / batch size (0.0032 at 32 px, batch 64)."""
    size = spec.image_size or 32
    return 0.0002 * size * size / values["batch_size"]


@register(
    "stylegan",
    summary="StyleGAN2 (small): mapping net z -> w, modulated/demodulated convs from a learned constant, noise "
            "inputs, skip toRGBs, residual D with minibatch stddev; style mixing, lazy R1, path length "
            "regularization, EMA, truncation in W",
    paper="Karras et al. 2020, Analyzing and Improving the Image Quality of StyleGAN (StyleGAN2); Karras, Laine "
          "& Aila 2019, A Style-Based Generator Architecture for GANs",
    loss="D: softplus(D(G(z))) + softplus(-D(x)), + gamma/2 E||grad D(x)||^2 every 16 D steps; G: softplus(-D(G(z))), "
         "+ 2 E(||J_w^T y|| - a)^2 every 4 G steps on half the batch (path length, a = running mean)",
    hyper="Adam 2.5e-3 betas (0, 0.99), both rescaled by k/(k+1) for the lazy intervals k = 16 (D) and 4 (G); "
          "R1 gamma 0.0002 * res^2 / batch (stylegan2-ada's auto: --r1 sets it); style mixing probability 0.9; "
          "mapping net of 8 layers at lr x0.01 (--param mapping_layers=2 is the authors' CIFAR choice); w_avg "
          "decay 0.995; EMA of G (half-life 10k images); sample with --truncation PSI [--truncation-cutoff K] "
          "(in W); channels 4w at 4 and 8 px, halving after (the paper: 512)",
    params=dict(mapping_layers=8, mixing=0.9, pl_weight=2.0),
    point_defaults={"arch": "stylegan"},
    arch="stylegan", width=32, z_dim=128, lr_g=2.5e-3, lr_d=2.5e-3, betas_g=[0.0, 0.99], betas_d=[0.0, 0.99],
    n_critic=1, ema=10_000, r1=Derived("0.0002*res^2/batch", _stylegan_gamma),
)
def stylegan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.style import StyleGame
    from .nets.stylegan import SUPPORTED_SIZES, StyleDiscriminator, StyleGenerator

    if cfg.arch != "stylegan":
        raise GankitError(f"stylegan has its own nets (drop --arch {cfg.arch})")
    _need_image_size("stylegan", spec, SUPPORTED_SIZES)
    p = cfg.params
    if p["mapping_layers"] < 1:
        raise GankitError(f"param mapping_layers must be at least 1, not {p['mapping_layers']} (e.g. --param mapping_layers=8, StyleGAN's)")
    if not 0 <= p["mixing"] <= 1:
        raise GankitError(f"param mixing is a probability in [0, 1], not {p['mixing']} (e.g. --param mixing=0.9, StyleGAN's)")
    G = StyleGenerator(cfg.z_dim, cfg.z_dim, spec.image_size, spec.channels, cfg.width,
                       mapping_layers=p["mapping_layers"], mixing_prob=p["mixing"])
    D = StyleDiscriminator(spec.image_size, spec.channels, cfg.width)
    objective = MinimaxGAN(Latent(cfg.z_dim))
    return latent_game(spec, cfg, G, D, objective, StyleGame, pl_weight=p["pl_weight"])


# --------------------------------------------------------------------------------------------
# Image-to-image translation (games/pix2pix.py, games/cycle.py, games/superres.py)
# --------------------------------------------------------------------------------------------

def _translation(model: str, spec: DataSpec, cfg: TrainConfig, paired: bool | None) -> dict:
    """The two domains' shapes of translation data, or a one-line error naming the fix."""
    from .data.pairs import is_translation

    if not is_translation(spec):
        kind = "paired" if paired else "unpaired" if paired is False else "paired or unpaired"
        raise GankitError(f"{model} translates images between two domains and {spec.name} is not {kind} translation "
                          "data (use e.g. edges2fashion, digits2mnist, fashion-sr, or a folder with trainA/ trainB/)")
    if paired and spec.extra["translation"] != "paired":
        raise GankitError(f"{model} learns from pairs and {spec.name} is unpaired (use cyclegan or discogan, or "
                          "paired data such as edges2fashion)")
    if cfg.arch not in (None, model):
        raise GankitError(f"{model} has its own nets (drop --arch {cfg.arch})")
    a, b = tuple(spec.extra["a_shape"]), tuple(spec.extra["b_shape"])
    return {"a": a, "b": b}


def _optims(cfg: TrainConfig) -> tuple[OptimSpec, OptimSpec]:
    return (OptimSpec(cfg.optim_g, cfg.lr_g, tuple(cfg.betas_g or ())),
            OptimSpec(cfg.optim_d, cfg.lr_d, tuple(cfg.betas_d or ())))


def _same_size(model: str, shapes: dict) -> None:
    if shapes["a"][1:] != shapes["b"][1:]:
        raise GankitError(f"{model} keeps the image size, and A is {shapes['a'][1]}x{shapes['a'][2]} while B is "
                          f"{shapes['b'][1]}x{shapes['b'][2]} (pass --image-size N to resize both)")


@register(
    "pix2pix",
    summary="pix2pix: paired image-to-image translation, U-Net G with skips and dropout, PatchGAN D on "
            "(input, output) pairs, cGAN + L1",
    paper="Isola, Zhu, Zhou & Efros 2017, Image-to-Image Translation with Conditional Adversarial Networks",
    loss="D: 1/2 [BCE(D(x, y), 1) + BCE(D(x, G(x)), 0)]; G: BCE(D(x, G(x)), 1) + lambda ||y - G(x)||_1, lambda 100",
    hyper="Adam 2e-4 betas (0.5, 0.999); U-Net C64-C128-C256-C512... down to 1x1 (28 px: reflection-padded to 32, 5 halvings), dropout 0.5 "
          "in the first three decoder layers while training (samples are deterministic: eval mode); PatchGAN of "
          "n layers whose receptive field is the paper's 70/256 of the image (gankit.nets.patchgan.layers_for); "
          "batchnorm; the paper trains with batch 1, --batch-size sets ours",
    params=dict(l1=100.0), arch="pix2pix", width=64, translation=True, point_defaults={"arch": "pix2pix"}, lr_g=2e-4, lr_d=2e-4,
)
def pix2pix(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.pix2pix import Pix2PixGame
    from .nets.patchgan import PatchDiscriminator, layers_for
    from .nets.unet import UNetGenerator

    shapes = _translation("pix2pix", spec, cfg, paired=True)
    _same_size("pix2pix", shapes)
    (ca, size, _), cb = shapes["a"], shapes["b"][0]
    G = UNetGenerator(ca, cb, size, cfg.width)
    D = PatchDiscriminator(ca + cb, cfg.width, layers_for(size), norm="batch")
    return Pix2PixGame(G, D, spec, *_optims(cfg), l1=cfg.params["l1"])


def _cycle_nets(model: str, spec: DataSpec, cfg: TrainConfig):
    shapes = _translation(model, spec, cfg, paired=None)
    _same_size(model, shapes)
    return shapes, shapes["a"][0], shapes["b"][0], shapes["a"][1]


@register(
    "cyclegan",
    summary="CycleGAN: unpaired translation, two ResNet generators and two PatchGAN Ds, LSGAN, cycle and "
            "identity losses, image pools, linear lr decay",
    paper="Zhu, Park, Isola & Efros 2017, Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial "
          "Networks",
    loss="G, F: LSGAN (D(G(a)) - 1)^2 + (D(F(b)) - 1)^2 + 10 (|F(G(a)) - a|_1 + |G(F(b)) - b|_1) "
         "+ 0.5 * 10 (|G(b) - b|_1 + |F(a) - a|_1); each D: 1/2 [(D(real) - 1)^2 + D(pool(fake))^2]",
    hyper="Adam 2e-4 betas (0.5, 0.999), lr constant for the first half of --steps then linearly to 0 (the paper: "
          "100 + 100 epochs); ResNet G c7s1-64, d128, d256, 6 residual blocks (the paper's choice below 256 px), "
          "u128, u64, c7s1, instance norm, reflection padding; 70x70-style PatchGAN with instance norm (receptive "
          "field scaled to the image); image pools of 50 fakes per D, checkpointed; identity needs A and B with "
          "the same channels (--param identity=0 otherwise)",
    params=dict(cycle=10.0, identity=0.5, pool=50, blocks=6), arch="cyclegan", width=64, translation=True, point_defaults={"arch": "cyclegan"}, lr_g=2e-4, lr_d=2e-4,
)
def cyclegan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.cycle import CycleGame
    from .nets.patchgan import PatchDiscriminator, layers_for
    from .nets.resnet_translator import ResnetGenerator

    shapes, ca, cb, size = _cycle_nets("cyclegan", spec, cfg)
    p = cfg.params
    if p["identity"] > 0 and ca != cb:
        raise GankitError(f"cyclegan's identity loss compares G(b) with b, and A has {ca} channels, B {cb} "
                          "(pass --param identity=0)")
    if p["pool"] < 0 or p["blocks"] < 1:
        raise GankitError("params pool (>= 0) and blocks (>= 1) of cyclegan must be counts (e.g. --param pool=50)")
    n = layers_for(size)
    G = ResnetGenerator(ca, cb, cfg.width, p["blocks"])
    F = ResnetGenerator(cb, ca, cfg.width, p["blocks"])
    D_A = PatchDiscriminator(ca, cfg.width, n, norm="instance")
    D_B = PatchDiscriminator(cb, cfg.width, n, norm="instance")
    return CycleGame(G, F, D_A, D_B, spec, *_optims(cfg), adversarial="lsgan", cycle=p["cycle"], distance="l1",
                     identity=p["identity"] * p["cycle"], pool_size=p["pool"], decay=True)


@register(
    "discogan",
    summary="DiscoGAN: unpaired translation by two encoder-decoder generators with reconstruction losses in "
            "both domains, two Ds, no identity term",
    paper="Kim, Cha, Kim, Lee & Kim 2017, Learning to Discover Cross-Domain Relations with Generative Adversarial "
          "Networks",
    loss="G_AB, G_BA: BCE(D_B(G_AB(a)), 1) + BCE(D_A(G_BA(b)), 1) + ||G_BA(G_AB(a)) - a||^2 + ||G_AB(G_BA(b)) - b||^2; "
         "each D: 1/2 [BCE(D(real), 1) + BCE(D(fake), 0)]",
    hyper="Adam 2e-4 betas (0.5, 0.999); G: 4x4 stride-2 conv encoder and transposed-conv decoder with batchnorm "
          "(64 px: 4 halvings to 4x4), D: the encoder plus a logit; reconstruction distance: mean squared error "
          "(the paper's), weight 1; no image pool, no lr decay",
    params=dict(reconstruction=1.0), arch="discogan", width=64, translation=True, point_defaults={"arch": "discogan"}, lr_g=2e-4, lr_d=2e-4,
)
def discogan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.cycle import CycleGame
    from .nets.discogan import DiscoDiscriminator, DiscoGenerator

    shapes, ca, cb, size = _cycle_nets("discogan", spec, cfg)
    G = DiscoGenerator(ca, cb, size, cfg.width)
    F = DiscoGenerator(cb, ca, size, cfg.width)
    D_A, D_B = DiscoDiscriminator(ca, size, cfg.width), DiscoDiscriminator(cb, size, cfg.width)
    return CycleGame(G, F, D_A, D_B, spec, *_optims(cfg), adversarial="bce", cycle=cfg.params["reconstruction"],
                     distance="mse", identity=0.0, pool_size=0, decay=False)


def _half_the_run(spec: DataSpec, values: dict) -> int:
    """SRGAN's warm start when not given: the first half of the run's --steps (2000 when unset)."""
    return int(values.get("steps") or 2000) // 2


def content_classifier(spec: DataSpec) -> str | None:
    """The shipped domain classifier that knows the high-resolution side of ``spec`` (or None)."""
    return {"fashion-sr": "fashion-mnist", "fashion-sr2": "fashion-mnist", "emoji-sr": "emoji"}.get(spec.name)


@register(
    "srgan",
    summary="SRGAN: super-resolution (x2, x4) by a residual G with sub-pixel upsampling, a conv D, content + "
            "1e-3 adversarial loss, after an SRResNet MSE warm start",
    paper="Ledig et al. 2017, Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network",
    loss="warm start: G on ||G(x) - y||^2; then D: BCE(D(y), 1) + BCE(D(G(x)), 0); G: content(G(x), y) "
         "+ 1e-3 BCE(D(G(x)), 1), content = mean squared distance of frozen feature maps",
    hyper="Adam 1e-4 betas (0.9, 0.999); SRResNet with 16 residual blocks of width 64, PReLU, PixelShuffle x2 "
          "stages; D: 8 convs (64 -> 512), dense 1024, dense 1; the paper's content net is VGG19 relu5_4 (/12.75), "
          "which needs downloaded weights: --content-net classifier (default: the shipped domain classifier's "
          "last conv block), vgg19 (torchvision's file on disk) or mse (SRGAN-MSE); --pretrain-steps N MSE-only "
          "steps first (default: half of --steps; the paper's SRResNet warm start); the paper's lr drop to 1e-5 "
          "halfway is not applied; short CPU runs need --lr-g 1e-3 --lr-d 1e-3 (measured: docs/translation-notes.md)",
    params=dict(adversarial=1e-3, content_net=Choice("classifier", ("classifier", "vgg19", "mse")),
                pretrain_steps=Derived("half of --steps", _half_the_run), blocks=16),
    arch="srgan", width=64, translation=True, point_defaults={"arch": "srgan"}, lr_g=1e-4, lr_d=1e-4, betas_g=[0.9, 0.999], betas_d=[0.9, 0.999],
)
def srgan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.superres import SuperResolutionGame
    from .nets.content import content_network
    from .nets.srresnet import SRDiscriminator, SRResNet

    shapes = _translation("srgan", spec, cfg, paired=True)
    scale = spec.extra.get("sr_scale")
    if scale not in (2, 4):
        raise GankitError(f"srgan needs super-resolution pairs with a scale of 2 or 4, and {spec.name} is not "
                          "(use fashion-sr, fashion-sr2 or emoji-sr)")
    p = cfg.params
    if p["pretrain_steps"] < 0 or p["blocks"] < 1:
        raise GankitError("params pretrain_steps and blocks of srgan must be counts (pretrain_steps >= 0, blocks >= 1; e.g. --param blocks=16)")
    (ca, _, _), (cb, size, _) = shapes["a"], shapes["b"]
    G = SRResNet(ca, cb, scale, cfg.width, p["blocks"])
    D = SRDiscriminator(cb, size, cfg.width)
    content = content_network(p["content_net"], content_classifier(spec))
    return SuperResolutionGame(G, D, spec, *_optims(cfg), content, adversarial=p["adversarial"],
                               pretrain_steps=p["pretrain_steps"])


# --------------------------------------------------------------------------------------------
# Semi-supervised (games/semi_supervised.py)
# --------------------------------------------------------------------------------------------

@register(
    "ssgan",
    summary="semi-supervised GAN: D is a K-class classifier (the fake class a logit fixed at 0) trained on a few "
            "labelled and many unlabelled images; G by feature matching",
    paper="Salimans, Goodfellow, Zaremba, Cheung, Radford & Chen 2016, Improved Techniques for Training GANs",
    loss="D: CE(D(x_lab), y) + w/2 [-lse D(x) + softplus(lse D(x)) + softplus(lse D(G(z)))], lse = log-sum-exp "
         "of the K logits; G: ||mean f(x) - mean f(G(z))||^2, f = D's last hidden layer (feature matching)",
    hyper="needs --labels-per-class N (a seeded labelled subset; every other training image unlabelled); the paper's "
          "MNIST nets: D 1000-500-250-250-250-K weight-normalized with Gaussian noise (0.3 on the input in [0, 1] "
          "units, 0.5 hidden), G 500-500 softplus + batchnorm; Adam 3e-3 beta1 0.5 for both (the paper's batch "
          "is 100); --param unsupervised=0 is the supervised-only baseline (same D, labelled images only, no G); "
          "classify with Run.classify / gankit classify",
    params=dict(unsupervised=1.0), semi_supervised=True,
    arch="ssgan", z_dim=100, lr_g=3e-3, lr_d=3e-3, betas_g=[0.5, 0.999], betas_d=[0.5, 0.999],
    point_defaults={"arch": "ssgan"},
)
def ssgan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.semi_supervised import SemiSupervisedGame
    from .nets.ssgan import ClassifierDiscriminator, SemiSupervisedGenerator

    if cfg.arch != "ssgan":
        raise GankitError(f"ssgan has its own nets (drop --arch {cfg.arch})")
    if spec.kind != "image" or spec.num_classes < 2:
        raise GankitError(f"ssgan classifies images into classes, and {spec.name} has none (use e.g. fashion-mnist)")
    if not cfg.labels_per_class:
        raise GankitError("ssgan learns from a few labelled images: pass --labels-per-class N (e.g. 10 or 100)")
    if cfg.params["unsupervised"] < 0:
        raise GankitError(f"param unsupervised is a loss weight >= 0, not {cfg.params['unsupervised']} "
                          "(e.g. --param unsupervised=1; 0 is the supervised-only baseline)")
    G = SemiSupervisedGenerator(cfg.z_dim, spec.shape)
    D = ClassifierDiscriminator(spec.shape, spec.num_classes)
    return SemiSupervisedGame(G, D, Latent(cfg.z_dim), spec, *_optims(cfg), unsupervised=cfg.params["unsupervised"])


# --------------------------------------------------------------------------------------------
# Text-to-image (games/text2image.py)
# --------------------------------------------------------------------------------------------

@register(
    "text2image",
    summary="text-to-image: G draws a caption (GAN-INT-CLS's matching-aware D, StackGAN's conditioning "
            "augmentation, optional stage II with --stages 2)",
    paper="Reed, Akata, Yan, Logeswaran, Schiele & Lee 2016, Generative Adversarial Text to Image Synthesis; "
          "Zhang, Xu, Li, Zhang, Wang, Huang & Metaxas 2017, StackGAN",
    loss="D (and the caption encoder E): BCE(D(x, e), 1) + 1/2 [BCE(D(x, e_wrong), 0) + BCE(D(G(z, e), e), 0)]; "
         "G: BCE(D(G(z, e), e), 1) + kl * KL(N(mu, sigma^2) || N(0, I)) of conditioning augmentation",
    hyper="needs a captioned dataset (fashion-captions, emoji-captions); a word-level biGRU encoder learned from "
          "D's matching loss (no pretrained text model); Adam 5e-4 beta1 0.5 (StackGAN's 2e-4 learns slower in "
          "short CPU runs: docs/text-to-image.md); spectral norm in D; "
          "--stages 2: stage I at half size, stage II refines it (image size divisible by 8, e.g. --image-size 64); "
          "--param attributes=0 is the class-conditional baseline (captions cut to the class); "
          "sample with gankit sample RUN --text '...'",
    conditional=True, params=dict(kl=1.0, stages=1, attributes=1, ngf=12, ndf=16),
    arch="text2image", z_dim=100, lr_g=5e-4, lr_d=5e-4, betas_g=[0.5, 0.999], betas_d=[0.5, 0.999],
    point_defaults={"arch": "text2image"},
)
def text2image(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .data.captions import Vocabulary, class_caption
    from .games.text2image import TextConditionedGenerator, TextToImageGame
    from .nets.text2image import (ConditioningAugmentation, MatchingDiscriminator, Stage1Generator,
                                  Stage2Discriminator, Stage2Generator, TextEncoder)

    if cfg.arch != "text2image":
        raise GankitError(f"text2image has its own nets (drop --arch {cfg.arch})")
    if "vocab" not in spec.extra:
        raise GankitError(f"text2image draws captions, and {spec.name} has none (use fashion-captions or "
                          "emoji-captions)")
    p = cfg.params
    stages, size = int(p["stages"]), spec.image_size
    if stages not in (1, 2) or stages != p["stages"]:
        raise GankitError(f"--stages is 1 or 2, not {p['stages']} (StackGAN's two stages: --stages 2 refines a half-size draft)")
    if stages == 2 and size % 8:
        raise GankitError(f"--stages 2 draws at half of {size} px first and needs a size divisible by 8 "
                          "(pass --image-size 64)")
    if p["kl"] < 0 or p["attributes"] not in (0, 1):
        raise GankitError(f"param kl is a weight >= 0 (not {p['kl']}) and attributes 0 or 1 (not {p['attributes']})")
    for name in ("ngf", "ndf"):
        if p[name] != int(p[name]) or p[name] < 1:
            raise GankitError(f"param {name} is a positive whole number of channels, not {p[name]} (e.g. --param {name}=32)")
    vocab = Vocabulary.from_list(spec.extra["vocab"], spec.extra["max_len"])
    class_tokens = vocab.encode_all([class_caption(spec, k) for k in range(spec.num_classes)])
    first = (spec.channels, size // stages, size // stages)
    try:
        E = TextEncoder(len(vocab), vocab.max_len)
        G = TextConditionedGenerator(ConditioningAugmentation(E.out_dim), Stage1Generator(cfg.z_dim, 64, first,
                                                                                           int(p["ngf"])))
        D = MatchingDiscriminator(first, E.out_dim, ndf=int(p["ndf"]))
        G2 = D2 = None
        if stages == 2:
            G2 = TextConditionedGenerator(ConditioningAugmentation(E.out_dim), Stage2Generator(first, 64, size))
            D2 = Stage2Discriminator(tuple(spec.shape), E.out_dim)
    except ValueError as e:
        raise GankitError(f"{e} (pass --image-size 32 or 64)") from None
    return TextToImageGame(E, G, D, Latent(cfg.z_dim), spec, class_tokens, *_optims(cfg), kl=p["kl"],
                           attributes=bool(p["attributes"]), G2=G2, D2=D2)


# Families beyond images register from their own modules: audio (wavegan, gansynth), text (seqgan, maskgan).
from . import models_audio, models_text  # noqa: E402,F401  (after register() exists)
