"""Boundary equilibrium GAN (Berthelot, Schumm & Metz 2017, "BEGAN").

D is an autoencoder; L(v) = mean |v - D(v)| is its per-sample L1 reconstruction loss. BEGAN
matches the distribution of the losses rather than of the samples, and keeps the two players in
equilibrium E[L(G(z))] = gamma E[L(x)] with a proportional controller k_t:

    D: L(x) - k_t L(G(z))        G: L(G(z))
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)

gamma (the diversity ratio) is 0.75 and lambda_k 0.001 by default, k_0 = 0. The convergence
measure M = L(x) + |gamma L(x) - L(G(z))| is logged at every log step (as ``M``, with ``k_t``);
the paper shows that it decreases as the samples improve. k_t is a buffer, so it is checkpointed.
Here the controller uses L(G(z)) of the fakes of the D step (the same generator, before its update).

gamma matters more than the paper's range suggests on small images: with 0.75 on the 28x28 zoo backbone,
G can meet the equilibrium with one near-constant gray image that the autoencoder reconstructs at 0.75 of the
data's error; k_t stays near 0, D never pushes back and G stays there (measured on Fashion-MNIST: classifier
FID ~900-1000 after 2000 steps, at widths 32 and 64). ``--param gamma=1`` (fakes as hard to reconstruct as the
data) removes that degenerate equilibrium and learned in every run measured (tests/test_learning.py,
docs/zoo-fashion-mnist.md). A larger lambda_k (0.01) helped at width 32 only.

BEGAN needs images: on 2D toy data a single point reconstructed with error gamma E L(x) meets the
equilibrium, and G collapses there (measured on ring8).
"""

from __future__ import annotations

import torch

from .base import Latent, Objective


def l1_loss(D, x: torch.Tensor) -> torch.Tensor:
    return (D.reconstruct(x) - x).float().abs().flatten(1).mean(1)


class BEGAN(Objective):
    def __init__(self, latent: Latent, gamma: float = 0.75, lambda_k: float = 0.001):
        super().__init__(latent)
        self.gamma, self.lambda_k = gamma, lambda_k
        self.register_buffer("k", torch.zeros(()))
        self._pending: tuple[torch.Tensor, torch.Tensor] | None = None

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        l_real, l_fake = l1_loss(D, real).mean(), l1_loss(D, fake).mean()
        loss = l_real - self.k * l_fake
        self._pending = (l_real.detach(), l_fake.detach())
        balance = self.gamma * l_real.detach() - l_fake.detach()
        stats = {"d_real": l_real.detach(), "d_fake": l_fake.detach(), "k_t": self.k.clone(),
                 "M": l_real.detach() + balance.abs()}
        return loss, stats

    @torch.no_grad()
    def after_discriminator_step(self, D):
        if self._pending is not None:
            l_real, l_fake = self._pending
            self.k.add_(self.lambda_k * (self.gamma * l_real - l_fake)).clamp_(0.0, 1.0)
            self._pending = None

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        return l1_loss(D, self.generate(G, batch_size, labels, device)).mean(), {}
