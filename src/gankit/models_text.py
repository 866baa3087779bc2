"""Text recipes: seqgan, maskgan and their MLE baseline (registered into gankit.models.MODELS)."""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# seqgan and its baseline mle-lm (games/seqgan.py, nets/lstm_lm.py); data: words, fortunes
# --------------------------------------------------------------------------------------------
from .config import TrainConfig
from .data.base import DataSpec
from .errors import GankitError
from .games.base import Game, OptimSpec
from .models import register


def _lstm_nets(name: str, spec: DataSpec, cfg: TrainConfig, with_d: bool):
    from .nets.lstm_lm import CNNDiscriminator, LSTMGenerator

    if spec.kind != "text":
        raise GankitError(f"{name} generates text, and {spec.name} is not a text dataset (use words or fortunes)")
    if cfg.arch != "lstm":
        raise GankitError(f"{name} has its own nets (drop --arch {cfg.arch})")
    p, x = cfg.params, spec.extra
    for key in ("embed",) + (("rollouts",) if with_d else ()):
        if p[key] < 1:
            raise GankitError(f"param {key} of {name} must be >= 1, not {p[key]} (e.g. --param {key}=16)")
    vocab, length = len(x["vocab"]), spec.shape[0]
    G = LSTMGenerator(vocab, length, x["bos"], x["eos"], x["pad"], embed=int(p["embed"]), hidden=int(cfg.width))
    D = CNNDiscriminator(vocab, length, x["pad"], embed=int(p["embed"])) if with_d else None
    return G, D


TEXT_HYPER = ("a character LSTM (embedding --param embed, --width hidden units) on token ids from the words or "
              "fortunes datasets; sample with Run.sample(n, temperature=T) (long ids; gankit.data.text.decode)")


@register(
    "mle-lm",
    summary="the maximum-likelihood baseline of the text GANs: SeqGAN's LSTM generator trained by teacher "
            "forcing alone, sampled over temperatures",
    paper="Caccia, Caccia, Fedus, Larochelle, Pineau & Charlin 2020, Language GANs Falling Short",
    loss="G: mean negative log-likelihood per token of the real text (teacher forcing)",
    hyper=TEXT_HYPER + "; Adam 1e-2 (SeqGAN's pretraining rate)",
    params={"embed": 32},
    arch="lstm", width=128, lr_g=1e-2, betas_g=[0.9, 0.999], point_defaults={"arch": "lstm"},
)
def mle_lm(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.seqgan import MLEGame

    G, _ = _lstm_nets("mle-lm", spec, cfg, with_d=False)
    return MLEGame(G, spec, OptimSpec(cfg.optim_g, cfg.lr_g, tuple(cfg.betas_g)))


@register(
    "seqgan",
    summary="SeqGAN: the LSTM generator as a policy, rewarded by a CNN discriminator through Monte Carlo rollouts "
            "(REINFORCE), after maximum-likelihood pretraining",
    paper="Yu, Zhang, Wang & Yu 2017, SeqGAN: Sequence Generative Adversarial Nets with Policy Gradient",
    loss="MLE stage: NLL per token; D: BCE real vs G's samples; G: -sum_t log G(y_t | y_<t) Q_t, Q_t = mean over "
         "N rollouts of D(completed prefix y_1..t), Q_L = D(y)",
    hyper=TEXT_HYPER + "; --steps counts all three stages: pretrain_g MLE steps (Adam, param mle_lr), pretrain_d "
          "steps of D alone, then adversarial steps of one policy-gradient update of G (--lr-g) and d_steps D "
          "updates (--lr-d); Adam 1e-2 for G in both stages and rollouts N = 16 as the paper's released code, which "
          "also clips G's gradient norm at 5 (not done here); D 1e-4",
    params={"pretrain_g": 1500, "pretrain_d": 200, "rollouts": 16, "d_steps": 3, "embed": 32, "mle_lr": 1e-2},
    arch="lstm", width=128, lr_g=1e-2, lr_d=1e-4, betas_g=[0.9, 0.999], betas_d=[0.9, 0.999],
    point_defaults={"arch": "lstm"},
)
def seqgan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.seqgan import SeqGANGame

    G, D = _lstm_nets("seqgan", spec, cfg, with_d=True)
    p = cfg.params
    return SeqGANGame(G, D, spec, OptimSpec("adam", p["mle_lr"], (0.9, 0.999)),
                      OptimSpec(cfg.optim_g, cfg.lr_g, tuple(cfg.betas_g)),
                      OptimSpec(cfg.optim_d, cfg.lr_d, tuple(cfg.betas_d)),
                      pretrain_g=int(p["pretrain_g"]), pretrain_d=int(p["pretrain_d"]), rollouts=int(p["rollouts"]),
                      d_steps=int(p["d_steps"]))
# -- end of seqgan / mle-lm ------------------------------------------------------------------


# -- maskgan (issue 18): one self-contained block (games/maskgan.py, nets/maskgan.py) -----------------------------
@register(
    "maskgan",
    summary="MaskGAN: fill in contiguous blanks of a text; seq2seq G trained by MLE, then by actor-critic "
            "REINFORCE with per-token reward log D(x_t) from a seq2seq D given the blanked context",
    paper="Fedus, Goodfellow & Dai 2018, MaskGAN: Better Text Generation via Filling in the ______",
    loss="MLE stage: NLL of the blanked tokens; D: BCE real vs filled, per blanked token; critic: squared error "
         "to the return; G: -sum_t (R_t - b_t) log G(x_t), r_t = log D(x_t), R_t = sum_s discount^(s-t) r_s",
    hyper="needs a text dataset (words, fortunes); G, D and the critic share one shape: a biGRU encoder over the "
          "blanked text + a GRU decoder of --width units (position-aligned context instead of the paper's "
          "attention); mask_rate of each text's tokens blanked in `spans` contiguous runs (paper: one run); "
          "MLE pretraining for mle_steps (Adam mle_lr), then d_steps D updates, a critic update (--lr-d) and a "
          "policy update of G (--lr-g, after d_warmup more steps) each step; discount 0.89 as the paper's runs; "
          "no z (z_dim unused); --steps equal to mle_steps is the MLE-only baseline; "
          "fill blanks with Run.sampler().fill('ele__nt')",
    params={"mask_rate": 0.5, "spans": 1, "mle_steps": 1500, "d_warmup": 100, "discount": 0.89, "d_steps": 1, "mle_weight": 0.0,
                "entropy": 0.0, "mle_lr": 2e-3, "embed": 32},
    arch="maskgan", width=128, z_dim=1, lr_g=1e-4, lr_d=5e-4, betas_g=[0.9, 0.999], betas_d=[0.9, 0.999],
    point_defaults={"arch": "maskgan"},
)
def maskgan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.maskgan import MaskGANGame
    from .nets.maskgan import MaskSeq2Seq

    if spec.kind != "text" or "vocab" not in spec.extra:
        raise GankitError(f"maskgan fills blanks in text, and {spec.name} is {spec.kind} data (use --dataset words "
                          "or --dataset fortunes)")
    if cfg.arch != "maskgan":
        raise GankitError(f"maskgan has its own seq2seq nets (drop --arch {cfg.arch})")
    p = cfg.params
    if not 0 < p["mask_rate"] <= 1:
        raise GankitError(f"param mask_rate is the share of each text blanked, in (0, 1], not {p['mask_rate']} "
                          "(e.g. --param mask_rate=0.5)")
    if not 0 <= p["discount"] <= 1:
        raise GankitError(f"param discount is the return's gamma, in [0, 1], not {p['discount']} "
                          "(e.g. --param discount=0.89)")
    for name in ("spans", "embed", "d_steps"):
        if p[name] < 1:
            raise GankitError(f"param {name} of maskgan must be >= 1, not {p[name]} (e.g. --param {name}=1)")
    vocab, embed, hidden = len(spec.extra["vocab"]), int(p["embed"]), int(cfg.width)
    G, D, C = (MaskSeq2Seq(vocab, out, embed, hidden) for out in (vocab, 1, 1))
    optim_g = OptimSpec(cfg.optim_g, cfg.lr_g, tuple(cfg.betas_g or ()))
    optim_d = OptimSpec(cfg.optim_d, cfg.lr_d, tuple(cfg.betas_d or ()))
    optim_mle = OptimSpec(cfg.optim_g, p["mle_lr"], tuple(cfg.betas_g or ()))
    return MaskGANGame(G, D, C, spec, optim_g, optim_d, optim_mle, mask_rate=p["mask_rate"], spans=int(p["spans"]),
                       mle_steps=int(p["mle_steps"]), d_warmup=int(p["d_warmup"]), discount=p["discount"],
                       d_steps=int(p["d_steps"]), mle_weight=p["mle_weight"], entropy=p["entropy"])
# -- end of maskgan ------------------------------------------------------------------------------------------------
