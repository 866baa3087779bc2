"""Audio families on :class:`~gankit.games.latent.LatentGame`: what differs from the image zoo.

- WaveGAN draws waveforms directly, so the plain LatentGame and LatentSampler serve it (samples
  come out as float (N, 1, 16384) in [-1, 1], since its data's kind is not "image").
- GANSynth draws (log-magnitude, IF) images but trains on waveform batches and must hand
  waveforms to everyone who samples it (grids, ``gankit sample``, eval). So
  :class:`GANSynthGame` turns each real batch into IF images before D sees it, and
  :class:`SpectrogramSampler` turns G's images back into waveforms: the representation stays
  inside the family, and the rest of gankit only ever sees audio.
- :class:`AuxWassersteinGP`: GANSynth's loss, WGAN-GP plus an auxiliary pitch classifier on D
  (after ACGAN, Odena et al. 2017), weight ``class_weight`` for both players, and ProGAN's drift
  penalty (``epsilon E[D(x)^2]``, Karras et al. 2018) that GANSynth's ProGAN code carries. As in
  GANSynth's released code, and unlike ACGAN, D's pitch head learns from *real* notes only: trained
  on G's samples too, the head also learns G's own pitch cues, which need not be a harmonic series
  (after 2,000 steps YIN heard the pitch asked for in 14% and 10% of the samples of two seeds,
  against 40% and 24% with the head on real notes only: docs/audio-gans.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..audio.if_spectrogram import to_if_spectrogram, to_waveform
from ..objectives.base import Latent
from ..objectives.penalties import gradient_penalty, interpolate
from ..objectives.wgan import WassersteinGP
from .base import Batch, StepInfo
from .latent import LatentGame
from .sampler import LatentSampler


class AuxWassersteinGP(WassersteinGP):
    """Critic: ``E D(G(z,y)) - E D(x) + lambda GP + drift E D(x)^2 + w CE(c(x), y)``;
    G: ``-E D(G(z,y)) + w CE(c(G(z,y)), y)``, with ``c`` D's pitch head (``D(x, y, classify=True)``),
    trained on real notes only (see the module docstring). ``aux_ce_fake`` is logged, not trained on."""

    conditional = True
    reuse_fakes_default = None  # its G loss draws its own notes (for the pitches its head scores)

    def __init__(self, latent: Latent, penalty: float = 10.0, drift: float = 0.001, class_weight: float = 10.0):
        super().__init__(latent, penalty=penalty, drift=drift)
        self.class_weight = class_weight

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        score_real, logits_real = D(real, labels, classify=True)
        score_fake, logits_fake = D(fake, labels, classify=True)
        score_real, score_fake = score_real.float(), score_fake.float()
        gp = gradient_penalty(D, interpolate(real, fake), labels)
        ce_real = F.cross_entropy(logits_real.float(), labels)
        loss = (score_fake.mean() - score_real.mean() + self.penalty * gp + self.drift * score_real.pow(2).mean()
                + self.class_weight * ce_real)
        with torch.no_grad():
            acc = (logits_real.argmax(1) == labels).float().mean()
            ce_fake = F.cross_entropy(logits_fake.float(), labels)
        return loss, {"d_real": score_real.detach().mean(), "d_fake": score_fake.detach().mean(), "gp": gp.detach(),
                      "aux_acc_real": acc, "aux_ce_fake": ce_fake.detach()}

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        score, logits = D(self.generate(G, batch_size, labels, device), labels, classify=True)
        ce = F.cross_entropy(logits.float(), labels)
        return -score.float().mean() + self.class_weight * ce, {"aux_ce_g": ce.detach()}


class SpectrogramSampler(LatentSampler):
    """A LatentSampler whose G draws IF images: ``generate`` returns their waveforms, float
    (N, 1, 16384) in [-1, 1]; ``raw=True`` hands back G's images themselves."""

    def _batched(self, n, batch_size, decode, raw):
        if raw:
            return super()._batched(n, batch_size, decode, raw)
        return super()._batched(n, batch_size, lambda start: to_waveform(decode(start)), raw)


class GANSynthGame(LatentGame):
    """LatentGame on IF images: real waveform batches are converted before any loss sees them."""

    def loss(self, phase: str, batch: Batch, info: StepInfo):
        x = batch["x"]
        if x.shape[1] == 1:  # waveforms from the data; (a batch already converted passes as is)
            batch = {**batch, "x": to_if_spectrogram(x)}
        return super().loss(phase, batch, info)

    def sampler(self, nets=None) -> SpectrogramSampler:
        G = (nets or {}).get("G", self.nets["G"])
        return SpectrogramSampler(G, self.latent, self.spec, self.spec.num_classes)
