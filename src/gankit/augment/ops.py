"""Per-image, differentiable image ops shared by :mod:`~gankit.augment.diffaugment` and :mod:`~gankit.augment.ada`.

Images are float tensors ``(N, C, H, W)`` in ``[-1, 1]``. Every op takes its per-image parameters as tensors of
shape ``(N,)`` (so callers and tests can pass known values) and is differentiable w.r.t. ``x``: the geometric ops
are index gathers / selections, the colour ops are affine maps, so gradients flow back to G through them.

Ops that take a ``mask`` (a bool tensor ``(N,)``) leave the images where it is False *bit-identical* (selected
with :func:`torch.where`, not multiplied by a neutral factor, which could round). The ``sample_*`` helpers draw
per-image parameters from the global torch RNG of ``device`` or from ``generator`` (which must live on
``device``), always in float32.

The ops compute in ``x.dtype``; :func:`working_dtype` / the callers upcast bf16/fp16 to float32 around a whole
pipeline and cast the result back.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gankit.errors import GankitError

__all__ = [
    "brightness", "check_images", "contrast", "cutout", "flip_x", "max_shift", "rot90", "sample_lognormal",
    "sample_mask", "sample_normal", "sample_shift", "sample_uniform", "saturation", "translate", "working_dtype",
]


# ---------------------------------------------------------------------------------------------------- helpers

def check_images(x: Tensor, what: str = "augmentation") -> None:
    """Raise :class:`GankitError` unless ``x`` is a floating ``(N, C, H, W)`` batch."""
    if not isinstance(x, Tensor) or x.dim() != 4 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise GankitError(f"{what} needs a float image batch of shape (N, C, H, W), got {shape} "
                          "(pass images, not vectors or integer tensors)")


def working_dtype(x: Tensor) -> torch.dtype:
    """float32 for half-precision inputs (bf16/fp16), else ``x.dtype``: means and products stay accurate."""
    return torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype


def max_shift(size: int, ratio: float = 0.125) -> int:
    """Largest integer shift for an image side of ``size`` pixels: ``floor(ratio * size)``, so never above it."""
    return int(size * ratio)


def _view(v: Tensor, x: Tensor) -> Tensor:
    """Per-image vector ``(N,)`` -> ``(N, 1, 1, 1)`` in ``x``'s dtype/device."""
    return v.to(device=x.device, dtype=x.dtype).view(-1, 1, 1, 1)


def _select(mask: Tensor | None, new: Tensor, old: Tensor) -> Tensor:
    if mask is None:
        return new
    return torch.where(mask.to(old.device).view(-1, 1, 1, 1), new, old)


def sample_mask(n: int, p: float | Tensor, *, device, generator: torch.Generator | None = None) -> Tensor:
    """Bool ``(n,)``: each entry True independently with probability ``p`` (a float or a 0-d tensor on device)."""
    return torch.rand(n, device=device, generator=generator) < p


def sample_uniform(n: int, low: float, high: float, *, device, generator=None) -> Tensor:
    """float32 ``(n,)`` from U(low, high)."""
    return torch.rand(n, device=device, generator=generator) * (high - low) + low


def sample_normal(n: int, std: float, *, device, generator=None) -> Tensor:
    """float32 ``(n,)`` from N(0, std^2)."""
    return torch.randn(n, device=device, generator=generator) * std


def sample_lognormal(n: int, sigma: float, *, device, generator=None) -> Tensor:
    """float32 ``(n,)`` from lognormal(0, sigma): ``exp(N(0, sigma^2))``."""
    return torch.exp(torch.randn(n, device=device, generator=generator) * sigma)


def sample_shift(n: int, limit: int, *, device, generator=None) -> Tensor:
    """int64 ``(n,)``, uniform over the integers ``-limit .. limit`` (inclusive)."""
    return torch.randint(-limit, limit + 1, (n,), device=device, generator=generator)


# ---------------------------------------------------------------------------------------------------- geometry

def flip_x(x: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mirror left-right the images where ``mask`` is True (all of them when ``mask`` is None)."""
    return _select(mask, x.flip(3), x)


def rot90(x: Tensor, k: Tensor) -> Tensor:
    """Rotate image ``i`` by ``k[i]`` quarter turns counter-clockwise (``k`` int ``(N,)``, taken mod 4; 0 = keep).

    Needs square images (a quarter turn of a non-square image changes its shape).
    """
    k = k.to(x.device).remainder(4).view(-1, 1, 1, 1)
    if x.shape[2] != x.shape[3]:
        raise GankitError(f"90-degree rotations need square images, got {x.shape[2]}x{x.shape[3]} "
                          "(resize or crop the data to a square)")
    out = x
    for j in (1, 2, 3):
        out = torch.where(k == j, torch.rot90(x, j, (2, 3)), out)
    return out


def _reflect(idx: Tensor, size: int) -> Tensor:
    """Map out-of-range indices back by mirror reflection without repeating the edge (numpy/torch 'reflect')."""
    if size == 1:
        return torch.zeros_like(idx)
    period = 2 * (size - 1)
    idx = idx.remainder(period)
    return torch.where(idx >= size, period - idx, idx)


def translate(x: Tensor, dx: Tensor, dy: Tensor, padding: str = "zeros") -> Tensor:
    """Shift image ``i`` by ``dx[i]`` pixels right and ``dy[i]`` pixels down (int ``(N,)``, may be negative).

    ``out[i, :, y, x] = x[i, :, y - dy[i], x - dx[i]]``; pixels that come from outside the image are 0 (the mid
    grey of [-1, 1], ``padding="zeros"``, as DiffAugment) or mirrored in from inside (``padding="reflect"``, as
    ADA; shifts must then be smaller than the image). Implemented as two ``gather``s, so it is exact (no
    resampling) and differentiable w.r.t. ``x``.
    """
    if padding not in ("zeros", "reflect"):
        raise GankitError(f"unknown translation padding {padding!r} (use 'zeros' or 'reflect')")
    n, c, h, w = x.shape
    dev = x.device
    ys = torch.arange(h, device=dev).view(1, h) - dy.to(dev).view(n, 1)  # (N, H): source row of each output row
    xs = torch.arange(w, device=dev).view(1, w) - dx.to(dev).view(n, 1)  # (N, W)
    if padding == "zeros":
        inside = ((ys >= 0) & (ys < h)).view(n, 1, h, 1) & ((xs >= 0) & (xs < w)).view(n, 1, 1, w)
        ys, xs = ys.clamp(0, h - 1), xs.clamp(0, w - 1)
    else:
        ys, xs = _reflect(ys, h), _reflect(xs, w)
    out = x.gather(2, ys.view(n, 1, h, 1).expand(n, c, h, w))
    out = out.gather(3, xs.view(n, 1, 1, w).expand(n, c, h, w))
    if padding == "zeros":
        out = out * inside.to(out.dtype)
    return out


def cutout(x: Tensor, cy: Tensor, cx: Tensor, size: tuple[int, int], mask: Tensor | None = None) -> Tensor:
    """Set to 0 a ``size = (height, width)`` rectangle centred at (``cy[i]``, ``cx[i]``) in each image.

    Rows ``cy - height // 2 .. cy - height // 2 + height - 1`` (likewise columns) are cut, clipped at the
    borders. A mask multiply, so gradients flow to the pixels that survive (and are 0 for the cut ones).
    """
    n, _, h, w = x.shape
    dev = x.device
    ch, cw = size
    top = (cy.to(dev) - ch // 2).view(n, 1)
    left = (cx.to(dev) - cw // 2).view(n, 1)
    rows = torch.arange(h, device=dev).view(1, h)
    cols = torch.arange(w, device=dev).view(1, w)
    in_r = (rows >= top) & (rows < top + ch)
    in_c = (cols >= left) & (cols < left + cw)
    cut = in_r.view(n, 1, h, 1) & in_c.view(n, 1, 1, w)
    if mask is not None:
        cut = cut & mask.to(dev).view(n, 1, 1, 1)
    return x * (~cut).to(x.dtype)


# ---------------------------------------------------------------------------------------------------- colour

def brightness(x: Tensor, shift: Tensor, mask: Tensor | None = None) -> Tensor:
    """Add ``shift[i]`` to every pixel of image ``i``."""
    if mask is not None:
        shift = torch.where(mask.to(shift.device), shift, torch.zeros_like(shift))  # x + 0 is exact
    return x + _view(shift, x)


def contrast(x: Tensor, factor: Tensor, mask: Tensor | None = None) -> Tensor:
    """Scale each image's distance from its own mean (over C, H, W) by ``factor[i]``; the mean is unchanged."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return _select(mask, (x - mean) * _view(factor, x) + mean, x)


def saturation(x: Tensor, factor: Tensor, mask: Tensor | None = None) -> Tensor:
    """Scale each pixel's deviation from the grey axis (its mean over channels) by ``factor[i]``.

    The component along the gray/luma axis ``(1, 1, 1) / sqrt(3)`` of a pixel is its channel mean, so this is both
    DiffAugment's saturation and ADA's. Identity for C = 1 (a grey image has no deviation), returned as is.
    """
    if x.shape[1] == 1:
        return x
    mean = x.mean(dim=1, keepdim=True)
    return _select(mask, (x - mean) * _view(factor, x) + mean, x)
