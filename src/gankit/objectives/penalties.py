"""Gradient penalties on D's input gradient (WGAN-GP, DRAGAN), written once and unit-tested.

The penalty is ``lambda * E[(||grad_x D(x_hat)||_2 - 1)^2]`` over points ``x_hat``; the families
differ only in where ``x_hat`` lies:

- WGAN-GP (Gulrajani et al. 2017): on straight lines between a real and a fake sample,
  ``x_hat = eps * x + (1 - eps) * G(z)`` with ONE ``eps ~ U[0, 1]`` PER SAMPLE. (Drawing eps per
  pixel, a bug found in several collections, puts x_hat off the line, so the penalty no longer
  constrains the gradient along the real-fake directions the Wasserstein proof is about.)
- DRAGAN (Kodali et al. 2017): around the real data, ``x_p = x + 0.5 * std(x) * U[0, 1)`` (noise per
  element, std of the batch) and ``x_hat = x + alpha * (x_p - x)`` with one alpha per sample, as in
  the authors' code.

The norm is taken per sample over all of its elements; ``create_graph=True`` so the penalty trains D.
"""

from __future__ import annotations

import torch

from ..distributed import batch_std


def _per_sample(shape_like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """One U[0, 1) draw per sample, shaped to broadcast over the sample's other dimensions."""
    shape = (shape_like.shape[0],) + (1,) * (shape_like.dim() - 1)
    return torch.rand(shape, device=shape_like.device, dtype=shape_like.dtype, generator=generator)


def interpolate(real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP's ``x_hat = eps * real + (1 - eps) * fake`` with one eps per sample."""
    eps = _per_sample(real, generator)
    return eps * real.detach() + (1 - eps) * fake.detach()


def perturb_real(real: torch.Tensor, scale: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """DRAGAN's points near the data: ``x + alpha * (scale * std(x) * U[0, 1))``, alpha per sample."""
    real = real.detach()
    noise = torch.rand(real.shape, device=real.device, dtype=real.dtype, generator=generator)
    x_p = real + scale * batch_std(real) * noise
    return real + _per_sample(real, generator) * (x_p - real)


def input_gradient_norm(D, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """``||grad_x D(x)||_2`` per sample, differentiable with respect to D's parameters."""
    x = x.detach().requires_grad_(True)
    out = D(x, labels)
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return grad.flatten(1).float().norm(2, dim=1)


def gradient_penalty(D, x_hat: torch.Tensor, labels: torch.Tensor | None = None, target: float = 1.0) -> torch.Tensor:
    """``E[(||grad D(x_hat)|| - target)^2]`` (multiply by lambda at the call site)."""
    return (input_gradient_norm(D, x_hat, labels) - target).pow(2).mean()


def r1_penalty(D, real: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """R1 (Mescheder, Geiger & Nowozin 2018, "Which Training Methods for GANs do actually Converge?"):
    ``E ||grad_x D(x)||^2`` on real data only, zero-centred (multiply by gamma/2 at the call site).
    Unlike WGAN-GP's penalty it pushes D's gradient to 0 where the data is, so near equilibrium D
    stops pulling G off the data: the paper proves local convergence with it."""
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x, labels).sum(), x, create_graph=True)
    return grad.float().pow(2).flatten(1).sum(1).mean()


def orthogonal_regularization(params: list[torch.Tensor]) -> torch.Tensor:
    """BigGAN's variant of orthogonal regularization: ``sum_W ||W W^T * (1 - I)||_F^2``, W each
    weight reshaped to (out, fan_in): it pushes filters towards mutual orthogonality without
    constraining their norms (multiply by beta, 1e-4 in the paper, at the call site)."""
    total = None
    for p in params:
        w = p.float().flatten(1)
        gram = w @ w.t()
        off = gram - torch.diag_embed(torch.diagonal(gram))
        term = off.pow(2).sum()
        total = term if total is None else total + term
    return total if total is not None else torch.zeros(())
