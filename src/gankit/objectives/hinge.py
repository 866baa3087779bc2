"""Hinge-loss GAN, as used by SNGAN (Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral
Normalization for Generative Adversarial Networks"; the loss is from Lim & Ye 2017, "Geometric
GAN", and Tran, Ranganath & Blei 2017).

D is a margin classifier on raw logits; G raises D's logit on its samples:

    D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]        G: -E[D(G(z))]

Logits beyond the margin (D(x) >= 1, D(G(z)) <= -1) give D no gradient, so D stops pushing
samples it already separates. ``d_real``/``d_fake`` log the mean raw logits.
"""

from __future__ import annotations

import torch.nn.functional as F

from .base import Latent, Objective


class HingeGAN(Objective):
    def __init__(self, latent: Latent, conditional: bool = False):
        super().__init__(latent)
        self.conditional = conditional

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        out_real, out_fake = D(real, labels).float(), D(fake, labels).float()
        loss = F.relu(1.0 - out_real).mean() + F.relu(1.0 + out_fake).mean()
        return loss, {"d_real": out_real.detach().mean(), "d_fake": out_fake.detach().mean()}

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        return -D(self.generate(G, batch_size, labels, device), labels).float().mean(), {}
