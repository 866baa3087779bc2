"""Energy-based GAN (Zhao, Mathieu & LeCun 2017, "Energy-based Generative Adversarial Network").

D is an autoencoder and the energy of a sample is its reconstruction error
E(v) = mean squared error of D's reconstruction (per sample). D lowers the energy of real data
and pushes fakes above a margin m; G lowers the energy of its samples:

    D: E(x) + max(0, m - E(G(z)))        G: E(G(z)) + w_pt * PT(S)

PT is the paper's pulling-away term on the encoder codes S of a fake batch,
1/(N(N-1)) sum_{i != j} cos(s_i, s_j)^2, weight 0.1: it rewards orthogonal codes, i.e.
diverse samples. The margin depends on the scale of the energy (the recipe sets it per data kind).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .base import Latent, Objective


def pulling_away(codes: torch.Tensor) -> torch.Tensor:
    s = F.normalize(codes.flatten(1).float(), dim=1)
    n = s.shape[0]
    cos2 = (s @ s.T).pow(2)
    return (cos2.sum() - cos2.diagonal().sum()) / (n * (n - 1))


def energy(D, x: torch.Tensor) -> torch.Tensor:
    return (D.reconstruct(x) - x).float().pow(2).flatten(1).mean(1)


class EnergyGAN(Objective):
    def __init__(self, latent: Latent, margin: float, pt_weight: float = 0.1):
        super().__init__(latent)
        self.margin, self.pt_weight = margin, pt_weight

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        e_real, e_fake = energy(D, real), energy(D, fake)
        loss = e_real.mean() + F.relu(self.margin - e_fake).mean()
        return loss, {"d_real": e_real.detach().mean(), "d_fake": e_fake.detach().mean()}

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        fake = self.generate(G, batch_size, labels, device)
        codes = D.encode(fake)
        e_fake = (D.decoder(codes).view_as(fake) - fake).float().pow(2).flatten(1).mean(1)
        pt = pulling_away(codes)
        return e_fake.mean() + self.pt_weight * pt, {"pt": pt.detach()}
