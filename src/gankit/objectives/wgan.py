"""Wasserstein GAN (Arjovsky, Chintala & Bottou 2017) and its gradient-penalty form.

The critic f estimates the Wasserstein-1 distance as ``E f(x) - E f(G(z))`` over 1-Lipschitz f;
the critic minimises the negative, G minimises ``-E f(G(z))``. ``d_real``/``d_fake`` log the raw
critic means, so ``d_real - d_fake`` is the running distance estimate.

- :class:`WassersteinGAN`: Lipschitz by clipping every critic weight to [-c, c] after each
  critic step (c = 0.01), trained with RMSprop (the paper found momentum unstable). The
  authors' critic warm-up (100 critic steps for the first 25 G steps and every 500th) is the
  recipe's default, scheduled by the Game's D phase (see :mod:`gankit.critic_schedule`).
- :class:`WassersteinGP` (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs"):
  Lipschitz by the two-sided penalty lambda (||grad f(x_hat)|| - 1)^2 on per-sample interpolates
  (see :mod:`.penalties`), lambda = 10, with a critic without batchnorm. ``drift`` adds ProGAN's
  ``epsilon E[f(x)^2]`` on real data (epsilon 0.001, Karras et al. 2018 sec. A.1), which keeps the
  critic's output from drifting far from 0: the Wasserstein loss fixes it only up to a constant.
"""

from __future__ import annotations

import torch

from .base import Latent, Objective
from .penalties import gradient_penalty, interpolate


class WassersteinGAN(Objective):
    reuse_fakes_default = False  # --reuse-fakes asks for it (not measured for quality here)

    def __init__(self, latent: Latent, clip: float | None = 0.01):
        super().__init__(latent)
        self.clip = clip
        self.drift = 0.0

    def critic_terms(self, D, real, fake, labels):
        out_real, out_fake = (out.float() for out in self.score_real_and_fake(D, real, fake, labels))
        stats = {"d_real": out_real.detach().mean(), "d_fake": out_fake.detach().mean()}
        loss = out_fake.mean() - out_real.mean()
        if self.drift:
            loss = loss + self.drift * out_real.pow(2).mean()
        return loss, stats

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        return self.critic_terms(D, real, fake, labels)

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        return -D(self.fake_for_generator(G, batch_size, labels, device), labels).float().mean(), {}

    @torch.no_grad()
    def after_discriminator_step(self, D):
        if self.clip is not None:
            for p in D.parameters():
                p.clamp_(-self.clip, self.clip)


class WassersteinGP(WassersteinGAN):
    def __init__(self, latent: Latent, penalty: float = 10.0, drift: float = 0.0):
        super().__init__(latent, clip=None)
        self.penalty, self.drift = penalty, drift

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        loss, stats = self.critic_terms(D, real, fake, labels)
        gp = gradient_penalty(D, interpolate(real, fake), labels)
        stats["gp"] = gp.detach()
        return loss + self.penalty * gp, stats
