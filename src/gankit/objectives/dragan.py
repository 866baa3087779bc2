"""DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs").

The standard GAN game (non-saturating G) plus a gradient penalty around the real data only:
lambda (||grad D(x_hat)|| - 1)^2 with x_hat a per-sample random point between x and
x + 0.5 * std(x) * U[0, 1) (see :mod:`.penalties`), lambda = 10. The authors argue mode collapse
comes from sharp gradients of D near real points; penalising them there keeps D smooth.
"""

from __future__ import annotations

from .minimax import MinimaxGAN
from .penalties import gradient_penalty, perturb_real


class DRAGAN(MinimaxGAN):
    def __init__(self, latent, penalty: float = 10.0, scale: float = 0.5, **kwargs):
        super().__init__(latent, **kwargs)
        self.penalty, self.scale = penalty, scale

    def discriminator_loss(self, G, D, real, labels):
        loss, stats = super().discriminator_loss(G, D, real, labels)
        gp = gradient_penalty(D, perturb_real(real, self.scale), labels)
        stats["gp"] = gp.detach()
        return loss + self.penalty * gp, stats
