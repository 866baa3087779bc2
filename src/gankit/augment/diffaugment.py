"""DiffAugment: Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation for Data-Efficient GAN Training".

The same differentiable augmentation ``T`` is applied to *both* real and generated images every time D sees them
(in D's step and in G's step), so D cannot tell real from fake by the augmentation and G gets gradients through
``T``. Each policy is applied to every image, with parameters drawn independently per image.

Parameter ranges (Sec. 3 / App. of the paper; the paper's images, and these ranges, are on the [-1, 1] scale —
they are the values of the authors' released implementation, which works on [-1, 1] tensors; we use them on our
[-1, 1] images unchanged, i.e. *not* rescaled to [0, 1] semantics):

* ``color``: brightness ``x + b``, ``b ~ U(-0.5, 0.5)``; then saturation: each pixel's distance from its channel
  mean times ``s ~ U(0, 2)`` (identity for C = 1); then contrast: each image's distance from its own mean (over
  C, H, W) times ``c ~ U(0.5, 1.5)``.
* ``translation``: an integer shift in x and in y, each uniform over ``-floor(size/8) .. floor(size/8)`` pixels,
  the uncovered border filled with 0 (mid grey in [-1, 1]; the paper pads with zeros). The released code rounds
  ``size/8`` instead of flooring it (4 rather than 3 pixels on 28x28); we floor so that no shift exceeds 1/8.
* ``cutout``: one rectangle of half the image size (``(size + 1) // 2`` per side) at a uniformly random integer
  centre (anywhere in the image, so it is clipped at the borders), set to 0.

Randomness comes from the global torch RNG of the input's device (covered by the Trainer's RNG checkpoint), or
from ``generator``. bf16/fp16 inputs are augmented in float32 and cast back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from gankit.augment import ops
from gankit.errors import GankitError

__all__ = ["DIFFAUGMENT_POLICIES", "DiffAugment", "diff_augment", "parse_policy"]

DIFFAUGMENT_POLICIES: dict[str, str] = {
    "color": "brightness +U(-0.5,0.5), saturation xU(0,2), contrast xU(0.5,1.5) (per image, on [-1,1])",
    "translation": "integer shift up to 1/8 of the size in x and y, zero padding (per image)",
    "cutout": "zero one square of half the image size at a random centre (per image)",
}


def parse_policy(text: str | Sequence[str]) -> tuple[str, ...]:
    """``"color,translation,cutout"`` -> ``("color", "translation", "cutout")`` (order kept, spaces ignored).

    Also accepts a sequence of names. Raises :class:`GankitError` on an empty or unknown name.
    """
    names = text.split(",") if isinstance(text, str) else list(text)
    valid = ", ".join(DIFFAUGMENT_POLICIES)
    out = []
    for raw in names:
        name = str(raw).strip().lower()
        if not name:
            raise GankitError(f"empty DiffAugment policy name in {text!r} "
                              f"(give comma-separated names from: {valid})")
        if name not in DIFFAUGMENT_POLICIES:
            raise GankitError(f"unknown DiffAugment policy {name!r} (valid names: {valid})")
        out.append(name)
    if not out:
        raise GankitError(f"empty DiffAugment policy (give comma-separated names from: {valid})")
    return tuple(out)


def _color(x: Tensor, generator: torch.Generator | None) -> Tensor:
    n, dev = x.shape[0], x.device
    x = ops.brightness(x, ops.sample_uniform(n, -0.5, 0.5, device=dev, generator=generator))
    if x.shape[1] > 1:  # draw saturation factors only where they act (keeps C=1 RNG use minimal)
        x = ops.saturation(x, ops.sample_uniform(n, 0.0, 2.0, device=dev, generator=generator))
    return ops.contrast(x, ops.sample_uniform(n, 0.5, 1.5, device=dev, generator=generator))


def _translation(x: Tensor, generator: torch.Generator | None) -> Tensor:
    n, _, h, w = x.shape
    dx = ops.sample_shift(n, ops.max_shift(w), device=x.device, generator=generator)
    dy = ops.sample_shift(n, ops.max_shift(h), device=x.device, generator=generator)
    return ops.translate(x, dx, dy, padding="zeros")


def _cutout(x: Tensor, generator: torch.Generator | None) -> Tensor:
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n,), device=x.device, generator=generator)
    cx = torch.randint(0, w, (n,), device=x.device, generator=generator)
    return ops.cutout(x, cy, cx, ((h + 1) // 2, (w + 1) // 2))


_POLICY_FNS: dict[str, Callable[[Tensor, torch.Generator | None], Tensor]] = {
    "color": _color, "translation": _translation, "cutout": _cutout,
}


def diff_augment(x: Tensor, policy: str | Sequence[str], generator: torch.Generator | None = None) -> Tensor:
    """Apply the DiffAugment ``policy`` (names as in :data:`DIFFAUGMENT_POLICIES`, in order) to every image."""
    ops.check_images(x, "DiffAugment")
    names = parse_policy(policy)
    y = x.to(ops.working_dtype(x))
    for name in names:
        y = _POLICY_FNS[name](y, generator)
    return y.to(x.dtype)


class DiffAugment(nn.Module):
    """DiffAugment as a module: ``forward(x)`` always applies ``policy`` (in train and eval mode alike).

    The caller decides when to augment: apply it to real *and* fake images before every D evaluation, in both the
    D and the G step. It has no parameters or buffers.
    """

    def __init__(self, policy: str | Sequence[str] = "color,translation,cutout"):
        super().__init__()
        self.policy = parse_policy(policy)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return diff_augment(x, self.policy, generator)

    def extra_repr(self) -> str:
        return f"policy={','.join(self.policy)!r}"
