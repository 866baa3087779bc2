"""Auxiliary-classifier GAN (Odena, Olah & Shlens 2017, "Conditional Image Synthesis with ACGANs").

G gets the class (concatenated to z); D does not, but has two outputs on shared features: the
real/fake logit and an auxiliary K-way classifier (the head is owned here, so it trains with D's
optimizer and is checkpointed with the objective). With L_S the source log-likelihood and L_C the
class log-likelihood, D maximises L_S + L_C and G maximises L_C - L_S; written as losses to
minimise, both players add the class cross-entropy with weight 1:

    D: BCE(real, fake) + CE(aux(x), y) + CE(aux(G(z, y)), y)
    G: non-saturating adversarial loss + CE(aux(G(z, y)), y)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .minimax import MinimaxGAN, bce_discriminator_loss


def logit_and_features(D, x):
    """D's logit and its last hidden features from one pass when D has a ``head``."""
    h = D.features(x, None)
    if hasattr(D, "head"):
        return D.head(h).squeeze(1), h
    return D(x, None), h


class ACGAN(MinimaxGAN):
    reuse_fakes_default = None  # its G loss draws its own fakes (for the classes it scores)

    def __init__(self, latent, feature_dim: int, num_classes: int, class_weight: float = 1.0, **kwargs):
        super().__init__(latent, conditional=True, **kwargs)
        self.aux = nn.Linear(feature_dim, num_classes)
        self.class_weight = class_weight

    def discriminator_parameters(self):
        return list(self.aux.parameters())

    def discriminator_loss(self, G, D, real, labels):
        fake = self.fake_for_discriminator(G, real, labels)
        real_logits, h_real = logit_and_features(D, real)
        fake_logits, h_fake = logit_and_features(D, fake)
        adv = bce_discriminator_loss(real_logits, fake_logits, self.real_target)
        ce_real = F.cross_entropy(self.aux(h_real).float(), labels)
        ce_fake = F.cross_entropy(self.aux(h_fake).float(), labels)
        with torch.no_grad():
            acc = (self.aux(h_real).argmax(1) == labels).float().mean()
        stats = {"d_real": torch.sigmoid(real_logits.detach().float()).mean(),
                 "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
                 "aux_acc_real": acc, "aux_ce_fake": ce_fake.detach()}
        return adv + self.class_weight * (ce_real + ce_fake), stats

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        fake = self.generate(G, batch_size, labels, device)
        # the adversarial term sees D unconditionally (D(x, None)); labels only reach the aux head
        adv = self.adversarial_generator_loss(D, fake, None, real)
        ce = F.cross_entropy(self.aux(D.features(fake, None)).float(), labels)
        return adv + self.class_weight * ce, {"aux_ce_g": ce.detach()}
