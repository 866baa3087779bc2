"""Least-squares GAN (Mao et al. 2017, "Least Squares Generative Adversarial Networks").

D regresses its output to b for real and a for fake data; G pulls D(G(z)) to c:

    D: 1/2 E[(D(x) - b)^2] + 1/2 E[(D(G(z)) - a)^2]        G: 1/2 E[(D(G(z)) - c)^2]

with the paper's 0-1 coding a = 0, b = 1, c = 1. Unlike the sigmoid BCE, the square keeps
penalising fakes that are on the right side of the boundary but far from the data, so G's
gradient does not vanish.
"""

from __future__ import annotations

from .base import Latent, Objective


class LeastSquaresGAN(Objective):
    reuse_fakes_default = False  # --reuse-fakes asks for it (not measured for quality here)

    def __init__(self, latent: Latent, a: float = 0.0, b: float = 1.0, c: float = 1.0):
        super().__init__(latent)
        self.a, self.b, self.c = a, b, c

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        out_real, out_fake = (out.float() for out in self.score_real_and_fake(D, real, fake, labels))
        loss = 0.5 * (out_real - self.b).pow(2).mean() + 0.5 * (out_fake - self.a).pow(2).mean()
        return loss, {"d_real": out_real.detach().mean(), "d_fake": out_fake.detach().mean()}

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        out = D(self.fake_for_generator(G, batch_size, labels, device), labels).float()
        return 0.5 * (out - self.c).pow(2).mean(), {}
