"""The original GAN game (Goodfellow et al. 2014), the base of every binary cross-entropy family.

D maximises log D(x) + log(1 - D(G(z))), written with logits as two softplus terms (numerically
stable BCE). For G the paper gives two losses:

- ``minimax``: minimise log(1 - D(G(z))) = -softplus(l). When D confidently rejects early fakes,
  sigmoid(l) ~ 0 and the gradient vanishes: the saturation the paper warns about.
- ``non-saturating`` (the default, also from the paper): minimise -log D(G(z)) = softplus(-l), same
  fixed point, strong gradients early on.

Two tricks of Salimans et al. 2016 ("Improved Techniques for Training GANs") live here because
they only make sense for this game, and so apply to every family built on it (cgan, acgan,
infogan, dragan):

- ``feature-matching`` G loss: ||E f(x) - E f(G(z))||^2 with f = D's last hidden layer
  (``D.features``); G matches the statistics D uses instead of fooling D's final output.
- one-sided label smoothing (``real_target`` 0.9): D's target for real data is 0.9, for fakes
  still 0, so D cannot push its logits to infinity on real data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Latent, Objective

G_LOSSES = ("non-saturating", "minimax", "feature-matching")


def bce_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_target: float = 1.0):
    """BCE(real, target) + BCE(fake, 0) with logits; ``real_target`` < 1 is one-sided label smoothing."""
    real_term = real_target * F.softplus(-real_logits) + (1 - real_target) * F.softplus(real_logits)
    return real_term.mean() + F.softplus(fake_logits).mean()


class MinimaxGAN(Objective):
    reuse_fakes_default = True  # as the usual loop (the PyTorch DCGAN example) does

    def __init__(self, latent: Latent, g_loss: str = "non-saturating", real_target: float = 1.0,
                 conditional: bool = False):
        super().__init__(latent)
        if g_loss not in G_LOSSES:
            raise ValueError(f"g_loss must be one of {G_LOSSES}, not {g_loss!r}")
        self.g_loss = g_loss
        self.real_target = real_target
        self.conditional = conditional

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        real_logits, fake_logits = self.score_real_and_fake(D, real, fake, labels)
        loss = bce_discriminator_loss(real_logits, fake_logits, self.real_target)
        return loss, {
            "d_real": torch.sigmoid(real_logits.detach().float()).mean(),
            "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
        }

    def adversarial_generator_loss(self, D, fake, labels, real=None) -> torch.Tensor:
        """G's part of the game on generated samples ``fake`` (shared by the BCE families)."""
        if self.g_loss == "feature-matching":
            if real is None:
                raise ValueError("feature matching needs the real batch")
            with torch.no_grad():
                target = D.features(real, labels).float().mean(0)
            return (D.features(fake, labels).float().mean(0) - target).pow(2).sum()
        logits = D(fake, labels)
        if self.g_loss == "minimax":
            return -F.softplus(logits).mean()
        return F.softplus(-logits).mean()

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        fake = self.fake_for_generator(G, batch_size, labels, device)
        return self.adversarial_generator_loss(D, fake, labels, real), {}
