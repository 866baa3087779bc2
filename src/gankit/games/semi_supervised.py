"""Semi-supervised learning with a GAN (Salimans et al. 2016, "Improved Techniques for Training GANs").

D is a K-way classifier whose logits ``l_1..l_K`` also say real vs fake: the fake class is a
(K+1)-th logit fixed at 0, so ``D(x) = Z / (Z + 1)`` with ``Z = sum_k exp(l_k)`` is the probability
that x is real. With ``lse = log Z``:

- ``D``: ``CE(l(x_lab), y)`` on the labelled batch, plus ``w/2 [-lse(x) + softplus(lse(x))
  + softplus(lse(G(z)))]`` on the unlabelled batch and the fakes, i.e. ``-w/2 [log D(x) + log(1 -
  D(G(z)))]`` (the halving is the authors' code's; ``w`` = param ``unsupervised``, 1);
- ``G``: feature matching, ``|| mean f(x) - mean f(G(z)) ||^2`` averaged over D's last hidden layer
  ``f``: the paper found it, not the usual G loss, is what makes the classifier good.

``unsupervised=0`` is the supervised-only baseline: the same D on the same labelled images, with
no fakes, no unlabelled images and no G phase (G stays at its initialization).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..data.base import to_model_space
from .base import Batch, Game, OptimSpec, Phase, StepInfo
from .sampler import LatentSampler


class SemiSupervisedGame(Game):
    def __init__(self, G: nn.Module, D: nn.Module, latent, spec, optim_g: OptimSpec, optim_d: OptimSpec,
                 unsupervised: float = 1.0):
        super().__init__()
        self.nets = nn.ModuleDict({"G": G, "D": D})
        self.latent, self.spec = latent, spec
        self.optim_g, self.optim_d, self.unsupervised = optim_g, optim_d, unsupervised

    def phases(self) -> list[Phase]:
        d = Phase("D", ("D",), self.optim_d, fresh_batch=True)
        return [d] if self.unsupervised == 0 else [d, Phase("G", ("G",), self.optim_g)]

    def _fake(self, n: int, device) -> torch.Tensor:
        return self.nets["G"](self.latent.sample(n, device))

    def loss(self, phase: str, batch: Batch, info: StepInfo) -> tuple[torch.Tensor, dict]:
        D = self.nets["D"]
        x = batch["x"]
        if phase == "D":
            logits = D(batch["xl"]).float()
            supervised = F.cross_entropy(logits, batch["yl"])
            stats = {"d_supervised": supervised.detach(),
                     "train_accuracy": (logits.argmax(1) == batch["yl"]).float().mean()}
            if self.unsupervised == 0:
                return supervised, stats
            with torch.no_grad():
                fake = self._fake(x.shape[0], x.device)
            lse_real = torch.logsumexp(D(x).float(), 1)
            lse_fake = torch.logsumexp(D(fake).float(), 1)
            unsup = 0.5 * (-lse_real + F.softplus(lse_real)).mean() + 0.5 * F.softplus(lse_fake).mean()
            stats.update(d_unsupervised=unsup.detach(), d_real=torch.sigmoid(lse_real).mean().detach(),
                         d_fake=torch.sigmoid(lse_fake).mean().detach())
            return supervised + self.unsupervised * unsup, stats
        if phase == "G":
            _, f_real = D(x, features=True)
            _, f_fake = D(self._fake(x.shape[0], x.device), features=True)
            matching = (f_real.float().mean(0).detach() - f_fake.float().mean(0)).pow(2).mean()
            return matching, {"g_feature_matching": matching.detach()}
        raise KeyError(f"ssgan has no phase {phase!r}")

    @torch.no_grad()
    def class_logits(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """D's K class logits for uint8 images (N, C, H, W) (or images already in [-1, 1]), in eval mode."""
        D = self.nets["D"]
        was = D.training
        D.eval()
        device = next(D.parameters()).device
        out = []
        for part in images.split(batch_size):
            x = to_model_space(part, self.spec) if part.dtype == torch.uint8 else part.float()
            out.append(D(x.to(device)).float().cpu())
        D.train(was)
        return torch.cat(out) if out else torch.empty(0, D.num_classes)

    def sampler(self, nets: dict[str, nn.Module] | None = None) -> LatentSampler:
        return LatentSampler((nets or {}).get("G", self.nets["G"]), self.latent, self.spec)
