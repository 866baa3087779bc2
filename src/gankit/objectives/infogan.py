"""InfoGAN (Chen et al. 2016, "Interpretable Representation Learning by Information Maximizing GANs").

G's input carries codes c (one 10-way categorical + 2 continuous U[-1, 1], see
:class:`gankit.conditioning.CodeLatent`) besides the noise z. A head Q on D's shared features
predicts c from G(z, c); maximising that variational lower bound on the mutual information
I(c; G(z, c)) makes the codes mean something, without any label. The loss added with weight
lambda = 1 to both players (Q trains with D's optimizer, G through the G step):

    L_I = CE(Q_cat(G(z, c)), c_cat) + 1/2 ||Q_mu(G(z, c)) - c_cont||^2

The continuous part is the Gaussian negative log-likelihood with a fixed unit variance (up to a
constant), i.e. half the squared error, summed over the continuous codes. Q is FC 128 -> LReLU ->
FC (n_cat + n_cont), the paper's Q head without its batchnorm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .acgan import logit_and_features
from .minimax import MinimaxGAN, bce_discriminator_loss


class InfoGAN(MinimaxGAN):
    reuse_fakes_default = None  # its G loss draws its own fakes (with the codes Q must recover)

    def __init__(self, latent, feature_dim: int, info_weight: float = 1.0, **kwargs):
        # conditional: fixed grids and --class pin the categorical code (labels never train it)
        super().__init__(latent, conditional=True, **kwargs)
        self.q = nn.Sequential(nn.Linear(feature_dim, 128), nn.LeakyReLU(0.2, True),
                               nn.Linear(128, latent.n_cat + latent.n_cont))
        self.info_weight = info_weight

    def discriminator_parameters(self):
        return list(self.q.parameters())

    def predict_codes(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.q(h).float()
        return out[:, : self.latent.n_cat], out[:, self.latent.n_cat:]

    def info_loss(self, h: torch.Tensor, codes: torch.Tensor, u: torch.Tensor):
        cat_logits, mu = self.predict_codes(h)
        ce = F.cross_entropy(cat_logits, codes)
        mse = 0.5 * (mu - u.float()).pow(2).sum(1).mean()
        return ce + mse, ce, mse

    def discriminator_loss(self, G, D, real, labels):
        z, c, u = self.latent.sample_parts(real.shape[0], real.device)
        with torch.no_grad():
            fake = G(self.latent.join(z, c, u), None)
        real_logits, _ = logit_and_features(D, real)
        fake_logits, h_fake = logit_and_features(D, fake)
        info, ce, mse = self.info_loss(h_fake, c, u)
        loss = bce_discriminator_loss(real_logits, fake_logits, self.real_target) + self.info_weight * info
        return loss, {"d_real": torch.sigmoid(real_logits.detach().float()).mean(),
                      "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
                      "info_cat_ce": ce.detach(), "info_cont_mse": mse.detach()}

    def generator_loss(self, G, D, batch_size, labels, device, real=None):
        z, c, u = self.latent.sample_parts(batch_size, device)
        fake = G(self.latent.join(z, c, u), None)  # never the data labels: the codes are unsupervised
        adv = self.adversarial_generator_loss(D, fake, None, real)
        info, _, _ = self.info_loss(D.features(fake, None), c, u)
        return adv + self.info_weight * info, {}
