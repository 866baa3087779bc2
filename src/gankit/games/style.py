"""StyleGAN2's game (Karras et al. 2020) and its Sampler, which truncates in W.

The game is the non-saturating logistic loss of a :class:`LatentGame` with two lazy regularizers,
each its own phase sharing its net's optimizer (the shape of stylegan2-ada's training loop):

- ``Dreg``: R1 on real images, ``gamma/2 E||grad D(x)||^2``, every 16th D update (LatentGame's);
- ``Greg``: path length regularization, every 4th G update: for ``w`` the per-layer styles and
  ``y ~ N(0, I) / sqrt(H W)`` a random image-space direction, the length ``||J_w^T y||`` should be
  the same for every w, so a fixed step in W moves the image by a fixed amount (smoother G, easier
  to invert). ``pl_mean``, the running mean of the lengths (decay 0.01), is a buffer of the game,
  so it is in every checkpoint; weight 2, on half the batch (the paper's).

Lazy regularization changes how often an optimizer steps per "round", so, as in the paper, each
optimizer's learning rate and betas are rescaled by ``c = k / (k + 1)`` for interval ``k``
(``lr * c``, ``beta ** c``): the lazy phases are counted as part of the same momentum budget.

Style mixing (probability 0.9) happens inside G in training mode; ``w_avg`` is tracked by G.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import GankitError
from .base import Batch, OptimSpec, Phase, StepInfo
from .latent import LatentGame
from .sampler import LatentSampler

PL_EVERY = 4


def lazy_optim(spec: OptimSpec, every: int) -> OptimSpec:
    """The optimizer settings of a net regularized every ``every`` steps (StyleGAN2 appendix B)."""
    if every <= 1:
        return spec
    c = every / (every + 1)
    return OptimSpec(spec.kind, spec.lr * c, tuple(b ** c for b in spec.betas))


class StyleGame(LatentGame):
    def __init__(self, *args, pl_weight: float = 2.0, pl_every: int = PL_EVERY, pl_decay: float = 0.01,
                 pl_batch_shrink: int = 2, **kwargs):
        super().__init__(*args, **kwargs)
        self.pl_weight, self.pl_every, self.pl_decay, self.pl_batch_shrink = pl_weight, pl_every, pl_decay, pl_batch_shrink
        self.register_buffer("pl_mean", torch.zeros(()))
        self.optim_d = lazy_optim(self.optim_d, self.r1_every if self.r1 > 0 else 1)
        self.optim_g = lazy_optim(self.optim_g, self.pl_every if self.pl_weight > 0 else 1)

    def phases(self) -> list[Phase]:
        phases = super().phases()
        if self.pl_weight > 0:
            phases.append(Phase("Greg", ("G",), None, shares="G", every=self.pl_every))
        return phases

    def loss(self, phase: str, batch: Batch, info: StepInfo):
        if phase == "Greg":
            return self._path_length(batch)
        return super().loss(phase, batch, info)

    def _path_length(self, batch: Batch):
        G = self.nets["G"]
        real = batch["x"]
        n = max(1, real.shape[0] // self.pl_batch_shrink)
        images, ws = G(self.latent.sample(n, real.device), None, return_ws=True)
        direction = torch.randn_like(images) / math.sqrt(images.shape[2] * images.shape[3])
        (grad,) = torch.autograd.grad((images * direction).sum(), ws, create_graph=True)
        lengths = grad.float().square().sum(2).mean(1).sqrt()
        with torch.no_grad():
            self.pl_mean.copy_(torch.lerp(self.pl_mean, lengths.mean(), self.pl_decay))
        penalty = (lengths - self.pl_mean).square().mean()
        return penalty * (self.pl_weight * self.pl_every), {"pl_length": lengths.detach().mean(),
                                                            "pl_mean": self.pl_mean.detach().clone()}

    def sampler(self, nets: dict[str, nn.Module] | None = None) -> "StyleSampler":
        G = (nets or {}).get("G", self.nets["G"])
        return StyleSampler(G, self.latent, self.spec)


class StyleSampler(LatentSampler):
    """Samples of a style-based G. ``truncation=psi`` moves each w toward G's ``w_avg``:
    ``w_avg + psi (w - w_avg)``, on the first ``truncation_cutoff`` layers only where given (the
    coarse styles: pose and shape, leaving colour and texture free)."""

    truncation_space = "w"

    @property
    def num_ws(self) -> int:
        return self.G.num_ws

    def layer_resolutions(self) -> list[int]:
        return self.G.layer_resolutions()

    def generate(self, inputs: Batch, truncation: float | None = None, truncation_method: str = "shrink", **opts):
        if truncation is not None and truncation_method != "shrink":
            raise GankitError(f"stylegan truncates in W toward the average w; --truncation-method "
                              f"{truncation_method} is for z (drop it)")
        cutoff = opts.get("truncation_cutoff")
        if cutoff is not None and not 0 < cutoff <= self.num_ws:
            raise GankitError(f"--truncation-cutoff must be in 1..{self.num_ws}, not {cutoff} (G has {self.num_ws} "
                              "style layers; e.g. --truncation-cutoff 4 truncates the coarse ones)")
        return super().generate(inputs, truncation, truncation_method, **opts)

    def _forward(self, z, y, psi, cutoff):
        return self.G(z, y, psi=psi, psi_cutoff=cutoff)

    @torch.no_grad()
    def ws_of(self, z: torch.Tensor, psi: float | None = None, cutoff: int | None = None) -> torch.Tensor:
        """Per-layer styles (N, num_ws, w_dim) of latents z, truncated where asked (eval mode: w_avg fixed)."""
        was_training = self.G.training
        self.G.eval()
        try:
            device = next(self.G.parameters()).device
            return self.G.ws(z.to(device), psi, cutoff).cpu()
        finally:
            self.G.train(was_training)

    @torch.no_grad()
    def synthesize(self, ws: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """uint8 images of per-layer styles (what style mixing and interpolation in W decode)."""
        device = next(self.G.parameters()).device
        return self._batched(len(ws), batch_size, lambda s: self.G.synthesis(ws[s:s + batch_size].to(device)),
                             raw=False)
