"""What "a sample" of a family is, in one place: the :class:`Sampler`.

Fixed grids while training, ``gankit sample``, ``Run.sample``, evaluation, the pitfall alarms,
``gankit explore`` and TensorBoard all ask a Sampler for inputs and images, so "generate from G
with these inputs, in eval mode, as uint8" and "is this model conditional?" are answered once.

:class:`LatentSampler` serves every family whose generator maps a latent z (plus a class or
InfoGAN's codes) to a sample. Truncation is one of its options (``generate(..., truncation=psi)``),
applied to the Gaussian part of z only, never to a one-hot class or InfoGAN's codes:

- ``shrink``: ``z <- psi * z``, towards the prior's mean 0 (StyleGAN's psi, here in Z);
- ``resample``: components with ``|z_i| > psi`` are redrawn until inside (BigGAN's trick).
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
from torch import nn

from ..data.base import DataSpec, to_uint8
from ..errors import GankitError
from .base import Batch

TRUNCATION_METHODS = {
    "shrink": "z <- psi * z (towards the prior mean 0)",
    "resample": "components with |z_i| > psi redrawn from N(0, 1) (BigGAN)",
}
RESAMPLE_SEED_OFFSET = 10_007
#: samples are drawn into memory whole (the latents, then every image or point) and their callers hold a
#: copy or two more (a .npy's array, a grid picture, features), so 2 GiB of them peak near 6 GiB; more is
#: refused rather than left to the allocator or the OOM killer. FID's usual 50k samples at 3x64x64 (the
#: largest images gankit's sample GANs draw) take 0.6 GiB.
MAX_SAMPLE_BYTES = 2 << 30


class Sampler(Protocol):
    def fixed_inputs(self, n: int, seed: int | None = None, labels=None) -> Batch: ...

    def generate(self, inputs: Batch, **opts) -> torch.Tensor: ...


def class_rows(n: int, num_classes: int) -> tuple[torch.Tensor, int]:
    """Labels for a grid with one row per class: ``(labels, images_per_row)``; n=100, K=10 -> 10 x 10."""
    per_row = max(1, -(-n // num_classes))
    return (torch.arange(n) // per_row).clamp(max=num_classes - 1), per_row


def check_method(method: str) -> None:
    if method not in TRUNCATION_METHODS:
        raise GankitError(f"unknown truncation method {method!r} (use one of: {', '.join(TRUNCATION_METHODS)})")


def check_truncation(psi: float | None, method: str) -> None:
    """A user's --truncation / --truncation-method, or a one-line error."""
    check_method(method)
    if psi is not None and not (math.isfinite(psi) and (psi > 0 or (psi == 0 and method == "shrink"))):
        raise GankitError(f"--truncation must be a finite positive number, not {psi} (e.g. --truncation 0.7; "
                          "0, the mean image, only with shrink)")
    if method == "shrink" and psi is not None and psi > 1:
        raise GankitError(f"--truncation {psi} > 1 would spread z out (use psi in (0, 1] with shrink)")


class LatentSampler:
    """Samples of ``G(z, y)``: z from the Game's :class:`~gankit.nets.latent.Latent`, y a class.

    ``num_classes`` > 0 means labels change the samples: the data's classes for class-conditional
    families, the categorical code's values for InfoGAN (``codes``); 0 means unconditional.
    """

    def __init__(self, G: nn.Module, latent, spec: DataSpec, num_classes: int = 0, codes: bool = False):
        self.G, self.latent, self.spec = G, latent, spec
        self.num_classes, self.codes = num_classes, codes

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def z_dim(self) -> int:
        return self.latent.z_dim

    # -- inputs ------------------------------------------------------------------------------
    def fixed_inputs(self, n: int, seed: int | None = None, labels=None) -> Batch:
        """``{"z", "y"}`` for ``n`` samples: z drawn on the CPU from ``torch.Generator(seed)`` (the
        global RNG when seed is None), so a seed names the same z on every machine. ``labels``: a
        class for all, one per sample, or None: a class-conditional sampler then cycles through the
        classes, InfoGAN keeps the codes drawn with z."""
        self.check_count(n)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        z = self.latent.sample(n, "cpu", generator=gen)
        y = None if labels is None and self.codes else self.labels(n, labels)
        return {"z": z, "y": y}

    def check_count(self, n: int, flag: str = "--n") -> None:
        """A one-line error for an ``n`` (given as ``flag``) that is not positive or would not fit
        :data:`MAX_SAMPLE_BYTES`, before anything of that size is allocated."""
        if n <= 0:
            raise GankitError(f"{flag} must be a positive integer, not {n} (e.g. {flag} 64)")
        shape = tuple(self.spec.shape)
        # uint8 images or float32 points, and a float32 z
        per_sample = math.prod(shape) * (1 if self.spec.kind == "image" else 4) + 4 * self.z_dim
        most = MAX_SAMPLE_BYTES // per_sample
        if n > most:
            what = f"{'x'.join(map(str, shape))} images" if self.spec.kind == "image" else f"{shape[0]}-D points"
            raise GankitError(f"{flag} {n} ({what}) would take {n * per_sample / 2**30:.1f} GiB in memory, over the limit "
                              f"of {MAX_SAMPLE_BYTES >> 30} GiB (ask for at most {most}, or draw several chunks "
                              "of that size with different --seed)")

    def grid_inputs(self, n: int, seed: int, data=None) -> Batch:
        """Inputs of the fixed grid drawn while training (drawn from the prior: ``data`` is not needed).

        A conditional model's image grid has one row per class (InfoGAN: per categorical code value),
        as ``gankit sample`` draws it, so a class that collapsed or never appeared is one row to read
        across; :meth:`preview` lays it out so. ``n`` is rounded up to whole rows (64 over 10 classes:
        7 x 10), so the last class is not one lone image. Points cycle through the classes instead: a
        scatter has no rows, and the pitfall alarms read the first 256 of 1000 points as a fair sample."""
        if not self.conditional:
            labels = None
        elif self.spec.kind == "image":
            n = -(-n // self.num_classes) * self.num_classes
            labels = class_rows(n, self.num_classes)[0]
        else:
            labels = torch.arange(n) % self.num_classes
        return self.fixed_inputs(n, seed, labels=labels)

    def labels(self, n: int, labels=None) -> torch.Tensor | None:
        if not self.conditional:
            return None
        if labels is None:
            return torch.arange(n) % self.num_classes
        if isinstance(labels, int):
            labels = torch.full((n,), labels, dtype=torch.long)
        labels = torch.as_tensor(labels, dtype=torch.long)
        if labels.numel() and not (0 <= int(labels.min()) and int(labels.max()) < self.num_classes):
            raise GankitError(f"--class must be in 0..{self.num_classes - 1}, not {int(labels.max())} (the run has {self.num_classes} classes)")
        return labels

    def random_labels(self, n: int, seed: int) -> torch.Tensor | None:
        """Uniformly drawn classes (evaluation of a conditional model), or None."""
        if not self.conditional:
            return None
        self.check_count(n)
        return torch.randint(self.num_classes, (n,), generator=torch.Generator().manual_seed(seed))

    # -- truncation --------------------------------------------------------------------------
    def truncate(self, z: torch.Tensor, psi: float | None, method: str = "shrink", seed: int = 0) -> torch.Tensor:
        """The truncation trick on the Gaussian part (first ``z_dim`` entries) of latents."""
        check_method(method)
        if psi is None:
            return z
        if method == "shrink" and getattr(self.G, "normalizes_latent", False):
            raise GankitError("this G puts z on the unit sphere first (ProGAN's latent normalization), so shrinking z "
                              "changes nothing (use --truncation-method resample)")
        z = z.clone()
        gauss = z[:, : self.z_dim]
        if method == "shrink":
            z[:, : self.z_dim] = psi * gauss
            return z
        g = torch.Generator().manual_seed(RESAMPLE_SEED_OFFSET + seed)
        for _ in range(1000):
            bad = gauss.abs() > psi
            if not bad.any():
                break
            gauss = torch.where(bad, torch.randn(gauss.shape, generator=g), gauss)
        z[:, : self.z_dim] = gauss.clamp(-psi, psi)
        return z

    # -- batchnorm statistics of an EMA copy ----------------------------------------------------
    def standing_statistics(self, batches: int | None = None, batch_size: int = 64, seed: int = 0) -> bool:
        """Recompute G's batchnorm statistics from ``batches`` fixed batches of its own inputs (see
        :func:`gankit.ema.standing_statistics`): what an EMA copy of G needs before it samples."""
        from ..ema import STANDING_BATCHES, standing_statistics

        device = _device_of(self.G)

        def inputs():
            for i in range(batches or STANDING_BATCHES):
                batch = self.fixed_inputs(batch_size, seed=seed + i, labels=self.random_labels(batch_size, seed + i))
                y = batch.get("y")
                yield batch["z"].to(device), (y.to(device) if y is not None else None)

        return standing_statistics(self.G, inputs())

    # -- samples -----------------------------------------------------------------------------
    #: where ``generate(truncation=psi)`` acts: "z" here (the Sampler truncates z before G sees it);
    #: StyleGAN's sampler truncates in W, inside G
    truncation_space = "z"

    @torch.no_grad()
    def generate(self, inputs: Batch, truncation: float | None = None, truncation_method: str = "shrink",
                 batch_size: int = 500, raw: bool = False, seed: int = 0,
                 truncation_cutoff: int | None = None) -> torch.Tensor:
        """Samples of ``inputs`` in eval mode, on the CPU: uint8 (N, C, H, W) images, float (N, dim)
        points; ``raw`` keeps images as floats in [-1, 1]. ``truncation_cutoff``: for a sampler that
        truncates in W, only the first K layers' styles are truncated."""
        z = inputs["z"]
        if self.truncation_space == "z":
            if truncation_cutoff is not None:
                raise GankitError("--truncation-cutoff picks the layers of a style-based G (stylegan); "
                                  "this model truncates z (drop --truncation-cutoff)")
            z = self.truncate(z, truncation, truncation_method, seed)
        y = inputs.get("y")
        if self.conditional and not self.codes and y is None:
            y = self.labels(len(z))
        device = _device_of(self.G)

        def decode(start: int) -> torch.Tensor:
            zb = z[start:start + batch_size].to(device)
            yb = y[start:start + batch_size].to(device) if y is not None else None
            return self._forward(zb, yb, truncation, truncation_cutoff)

        return self._batched(len(z), batch_size, decode, raw)

    def _forward(self, z: torch.Tensor, y: torch.Tensor | None, psi: float | None, cutoff: int | None):
        return self.G(z, y)

    def _batched(self, n: int, batch_size: int, decode, raw: bool) -> torch.Tensor:
        """``decode(start)`` for every batch, in eval mode, as CPU uint8 images (or floats)."""
        was_training = self.G.training
        self.G.eval()
        try:
            out = []
            for start in range(0, n, batch_size):
                x = decode(start).float()
                out.append(x.cpu() if raw or self.spec.kind != "image" else to_uint8(x).cpu())
        finally:
            self.G.train(was_training)
        return torch.cat(out)

    def preview(self, inputs: Batch) -> tuple[torch.Tensor, int | None]:
        """A grid's pictures and images per row: one row per class where ``inputs`` are
        :func:`class_rows` (see :meth:`grid_inputs`), else None (square)."""
        y = inputs.get("y")
        per_row = None
        if self.conditional and self.spec.kind == "image" and y is not None:
            labels, cols = class_rows(len(y), self.num_classes)
            per_row = cols if torch.equal(y.cpu(), labels) else None
        return self.generate(inputs), per_row

    def sample(self, n: int, seed: int | None = None, labels=None, **opts) -> torch.Tensor:
        """``generate(fixed_inputs(n, seed, labels))``: the one-call form."""
        return self.generate(self.fixed_inputs(n, seed, labels), **opts)


def _device_of(module: nn.Module) -> torch.device:
    for p in module.parameters():
        return p.device
    return torch.device("cpu")
