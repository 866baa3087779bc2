"""Hinge-loss GAN, as used by SNGAN (Miyato, Kataoka, Koyama & Yoshida 2018, "Spectral
Normalization for Generative Adversarial Networks"; the loss is from Lim & Ye 2017, "Geometric
GAN", and Tran, Ranganath & Blei 2017).

D is a margin classifier on raw logits; G raises D's logit on its samples:

    D: E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]        G: -E[D(G(z))]

Logits beyond the margin (D(x) >= 1, D(G(z)) <= -1) give D no gradient, so D stops pushing
samples it already separates. ``d_real``/``d_fake`` log the mean raw logits.

``ortho`` > 0 adds BigGAN's orthogonal regularization of G's weights (Brock et al. 2019) to G's
loss: ``ortho * sum_W ||W W^T * (1 - I)||_F^2`` over ``G.ortho_parameters()``, logged as ``ortho``.
"""

from __future__ import annotations

import torch.nn.functional as F

from .base import Latent, Objective
from .penalties import orthogonal_regularization


class HingeGAN(Objective):
    reuse_fakes_default = False  # --reuse-fakes asks for it (not measured for quality here)

    def __init__(self, latent: Latent, conditional: bool = False, ortho: float = 0.0):
        super().__init__(latent)
        self.conditional = conditional
        self.ortho = ortho

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        out_real, out_fake = (out.float() for out in self.score_real_and_fake(D, real, fake, labels))
        loss = F.relu(1.0 - out_real).mean() + F.relu(1.0 + out_fake).mean()
        return loss, {"d_real": out_real.detach().mean(), "d_fake": out_fake.detach().mean()}

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        loss = -D(self.fake_for_generator(G, batch_size, labels, device), labels).float().mean()
        if not self.ortho:
            return loss, {}
        ortho = orthogonal_regularization(G.ortho_parameters())
        return loss + self.ortho * ortho, {"ortho": ortho.detach()}
