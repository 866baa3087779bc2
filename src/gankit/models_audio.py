"""Audio recipes: wavegan and gansynth (registered into gankit.models.MODELS).

Both train on 1 s clips at 16 kHz (16,384 samples, data kind "audio": ``spoken-digits``,
``notes``) and sample waveforms, float (N, 1, 16384) in [-1, 1]. Their model sizes default far
below the papers' so that a CPU run of minutes is possible; the papers' are one ``--param`` away.
"""

from __future__ import annotations

from .config import TrainConfig
from .data.base import DataSpec
from .errors import GankitError
from .games.base import Game
from .models import latent_game, register
from .objectives import Latent, WassersteinGP

SAMPLES = 16384


def _need_clips(model: str, spec: DataSpec, cfg: TrainConfig) -> None:
    if spec.kind != "audio" or tuple(spec.shape) != (1, SAMPLES):
        what = f"{spec.kind} data of shape {'x'.join(map(str, spec.shape))}"
        raise GankitError(f"{model} draws 1 s audio clips of {SAMPLES} samples and {spec.name} is {what} "
                          "(use --dataset spoken-digits or notes)")
    if cfg.arch not in (None, model):
        raise GankitError(f"{model} has its own nets (drop --arch {cfg.arch})")
    if cfg.width is not None:
        size = "d" if model == "wavegan" else "w"
        raise GankitError(f"{model}'s model size is a param (drop --width; use --param {size}=N)")


@register(
    "wavegan",
    summary="WaveGAN: DCGAN in 1-D on raw waveforms, length-25 stride-4 convs to 16384 samples, phase shuffle in D",
    paper="Donahue, McAuley & Puckette 2019, Adversarial Audio Synthesis",
    loss="WGAN-GP: critic E D(G(z)) - E D(x) + 10 E(||grad D(x_hat)|| - 1)^2; G: -E D(G(z))",
    hyper="G: dense z(100) -> 16 x 16d, 5 transposed conv1d (k 25, s 4), ReLU, tanh; D: 5 conv1d (k 25, s 4), "
          "LeakyReLU 0.2, phase shuffle n=2 after all but the last; WGAN-GP lambda 10, 5 critic steps, "
          "Adam 1e-4 betas (0.5, 0.9), batch 64 in the paper. Model size d: 64 in the paper (19M parameters in G), "
          "8 by default here (0.5M) so that a CPU run of minutes moves",
    params={"d": 8, "phase_shuffle": 2, "penalty": 10.0},
    point_defaults={"arch": "wavegan"},  # audio only: on points, an error (see _need_clips), not an MLP
    arch="wavegan", z_dim=100, lr_g=1e-4, lr_d=1e-4, betas_g=[0.5, 0.9], betas_d=[0.5, 0.9], n_critic=5,
)
def wavegan(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .nets.wavegan import WaveGANDiscriminator, WaveGANGenerator

    _need_clips("wavegan", spec, cfg)
    d = cfg.params["d"]
    if d < 1:
        raise GankitError(f"param d of wavegan is the model size and must be >= 1, not {d} (e.g. --param d=8)")
    G = WaveGANGenerator(cfg.z_dim, d)
    D = WaveGANDiscriminator(d, cfg.params["phase_shuffle"])
    return latent_game(spec, cfg, G, D, WassersteinGP(Latent(cfg.z_dim), penalty=cfg.params["penalty"]))


@register(
    "gansynth",
    summary="GANSynth (small): pitch-conditioned G of log-magnitude + instantaneous-frequency spectrograms, "
            "D with an auxiliary pitch classifier; samples are converted back to waveforms",
    paper="Engel et al. 2019, GANSynth: Adversarial Neural Audio Synthesis",
    loss="WGAN-GP (lambda 10) + drift 0.001 E D(x)^2, plus 10 x pitch cross-entropy of D's auxiliary head "
         "on real notes (D, as GANSynth's code: not on fakes as ACGAN) and on fake (G)",
    hyper="representation: the paper's STFT (n_fft 1024, hop 256: 75% overlap) of 1 s clips, only the lowest 128 bins "
          "kept (0-2 kHz: a low-pass that keeps every real note's pitch for YIN), image 2 x 128 (freq) x 64 (time), "
          "log-magnitude and IF (unwrapped phase difference / pi) in [-1, 1] (the paper: 128 x 1024 to 8 kHz, mel-IF at "
          "best), 4x fewer pixels than a full 2 x 256 x 128 image so that a CPU step takes 0.4 s, not 1.5 s. "
          "Nets: plain conv G/D trained at the final resolution, NOT progressively grown as the paper; pixel norm in G; "
          "G's output clamped to [-1, 1] with a straight-through gradient (D sees what becomes sound); "
          "width w (8w channels at the start) 4 here (0.3M parameters in G; the width measured to start learning "
          "pitch in a few CPU minutes); z 256 + one-hot pitch; Adam 8e-4 betas (0, 0.99), 1 critic step "
          "as ProGAN/GANSynth",
    conditional=True, params={"w": 4, "penalty": 10.0, "drift": 0.001, "class_weight": 10.0},
    point_defaults={"arch": "gansynth"},
    arch="gansynth", z_dim=256, lr_g=8e-4, lr_d=8e-4, betas_g=[0.0, 0.99], betas_d=[0.0, 0.99], n_critic=1,
)
def gansynth(spec: DataSpec, cfg: TrainConfig) -> Game:
    from .games.audio import AuxWassersteinGP, GANSynthGame
    from .nets.gansynth import GANSynthDiscriminator, GANSynthGenerator

    _need_clips("gansynth", spec, cfg)
    w, k = cfg.params["w"], spec.num_classes
    if w < 1:
        raise GankitError(f"param w of gansynth is the model width and must be >= 1, not {w} (e.g. --param w=4)")
    objective = AuxWassersteinGP(Latent(cfg.z_dim), penalty=cfg.params["penalty"], drift=cfg.params["drift"],
                                 class_weight=cfg.params["class_weight"])
    G, D = GANSynthGenerator(cfg.z_dim, k, w), GANSynthDiscriminator(k, w)
    return latent_game(spec, cfg, G, D, objective, game=GANSynthGame)
