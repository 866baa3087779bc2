"""The original GAN game (Goodfellow et al. 2014).

D maximises log D(x) + log(1 - D(G(z))), written with logits as two softplus terms (numerically
stable BCE). For G the paper gives two losses:

- ``minimax``: minimise log(1 - D(G(z))) = -softplus(l). When D confidently rejects early fakes,
  sigmoid(l) ~ 0 and the gradient vanishes: the saturation the paper warns about.
- ``non-saturating`` (the default, also from the paper): minimise -log D(G(z)) = softplus(-l), same
  fixed point, strong gradients early on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Latent, Objective

G_LOSSES = ("non-saturating", "minimax")


class MinimaxGAN(Objective):
    def __init__(self, latent: Latent, g_loss: str = "non-saturating"):
        super().__init__(latent)
        if g_loss not in G_LOSSES:
            raise ValueError(f"g_loss must be one of {G_LOSSES}, not {g_loss!r}")
        self.g_loss = g_loss

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        real_logits = D(real, labels)
        fake_logits = D(fake, labels)
        loss = F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
        return loss, {
            "d_real": torch.sigmoid(real_logits.detach().float()).mean(),
            "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
        }

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        logits = D(self.generate(G, batch_size, labels, device), labels)
        if self.g_loss == "minimax":
            loss = -F.softplus(logits).mean()
        else:
            loss = F.softplus(-logits).mean()
        return loss, {}
