"""ADA: Karras, Aittala, Hellsten, Laine, Lehtinen & Aila 2020, "Training Generative Adversarial Networks with
Limited Data" (adaptive discriminator augmentation).

Every image D sees (real and fake, in D's and G's step) goes through a stochastic, differentiable pipeline in
which each transform is applied to each image independently with probability ``p``. ``p`` is tuned during
training from the overfitting heuristic ``r_t = E[sign(D(x_real))]`` (Sec. 3 of the paper): every ``interval``
minibatches, ``p`` goes up if ``r_t`` exceeds ``target`` (D is overconfident on the reals) and down otherwise, by
``n_images / (kimg * 1000)``, so that it can move from 0 to 1 in ``kimg`` thousand images.

The pipeline is ADA's "blit" group plus a subset of its "color" group, in the paper's order and with its
distributions (App. B), on our [-1, 1] images (the scale ADA's pipeline works on too):

1. x-flip (mirror left-right);
2. rotation by ``k`` quarter turns, ``k`` uniform in {1, 2, 3} (needs square images);
3. integer translation in x and y, each uniform over ``-floor(size/8) .. floor(size/8)`` pixels, reflect padding;
4. brightness: add ``b ~ N(0, 0.2^2)``;
5. contrast: scale around the image's own mean (over C, H, W) by ``c ~ lognormal(0, 0.5 ln 2)``;
6. saturation (C = 3 only; identity for C = 1): scale each pixel's deviation from the gray/luma axis
   ``(1, 1, 1)/sqrt(3)`` by ``s ~ lognormal(0, ln 2)``.

Left out: ADA's general geometric group (isotropic/anisotropic scaling, arbitrary rotation, fractional translation,
which need band-limited resampling), luma flip, hue rotation, and the filtering/corruption groups. Differences from
the released code, chosen here on purpose: once an x-flip or rotation is selected (probability p) it always changes
the image (flip; k in 1..3), where ADA's code draws "flip or not" (and k in 0..3) again, so that ``p`` is the
probability of a non-identity transform; ADA's contrast scales about 0 (mid grey), ours about the image mean
(keeps each image's mean; brightness alone moves it); shifts are uniform integers rather than rounded uniform
fractions of the size.

Randomness comes from the global torch RNG of the input's device (covered by the Trainer's RNG checkpoint), or
from ``generator``. bf16/fp16 inputs are augmented in float32 and cast back. ``p`` and the running sums are
buffers, and the call counter is extra state, so the whole controller is saved with the module's state_dict.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import Tensor, nn

from gankit.augment import ops
from gankit.errors import GankitError

__all__ = ["AdaptiveAugment"]

BRIGHTNESS_STD = 0.2
CONTRAST_SIGMA = 0.5 * math.log(2.0)
SATURATION_SIGMA = math.log(2.0)


class AdaptiveAugment(nn.Module):
    """Adaptive discriminator augmentation with probability ``p`` (buffer, starts at 0).

    Args:
        target: the value of ``r_t = E[sign(D(real))]`` that ``p`` is steered to; 0.6 is ADA's choice.
        kimg: how many thousand images ``p`` needs to go from 0 to 1 (its speed). ADA's paper uses 500; we default
            to 100, the value StyleGAN3's training config uses to make ADA react faster: gankit runs are short
            (tens to hundreds of thousands of images), and at 500 kimg ``p`` could hardly move in them before D
            has overfit.
        interval: update ``p`` every this many :meth:`observe` calls (minibatches); 4 is ADA's value.

    Usage: ``d_real = D(ada(x_real)); ada.observe(d_real)``, and ``D(ada(G(z)))`` for the fakes, in both steps.
    ``forward`` always applies the pipeline (train and eval alike); ``p = 0`` returns ``x`` itself.
    """

    p: Tensor
    rt: Tensor
    sign_sum: Tensor
    sign_count: Tensor
    n_images: Tensor

    def __init__(self, target: float = 0.6, kimg: float = 100, interval: int = 4):
        super().__init__()
        if isinstance(target, bool) or not isinstance(target, numbers.Real) or not 0.0 < float(target) < 1.0:
            raise GankitError(f"ADA target must be a number strictly between 0 and 1, got {target!r} "
                              "(ADA uses 0.6)")
        if isinstance(kimg, bool) or not isinstance(kimg, numbers.Real) or not float(kimg) > 0.0 \
                or not math.isfinite(float(kimg)):
            raise GankitError(f"ADA kimg must be a positive number of thousand images, got {kimg!r} "
                              "(try 100, or ADA's 500)")
        if isinstance(interval, bool) or not isinstance(interval, numbers.Integral) or int(interval) < 1:
            raise GankitError(f"ADA interval must be an integer >= 1 (minibatches between updates of p), "
                              f"got {interval!r} (ADA uses 4)")
        self.target = float(target)
        self.kimg = float(kimg)
        self.interval = int(interval)
        self.register_buffer("p", torch.zeros((), dtype=torch.float32))
        self.register_buffer("rt", torch.zeros((), dtype=torch.float32))  # last measured r_t (0 until the first)
        self.register_buffer("sign_sum", torch.zeros((), dtype=torch.float32))
        self.register_buffer("sign_count", torch.zeros((), dtype=torch.float32))
        self.register_buffer("n_images", torch.zeros((), dtype=torch.float32))
        self._calls = 0  # observe() calls since the last update (extra state: saved with the state_dict)
        # each process sums its own batches between updates; the sums are added over the ranks at each
        # update (observe), so p moves as one process's would on the global batch (gankit.distributed)
        self.rank_local_buffers = ("sign_sum", "sign_count", "n_images")

    # ---------------------------------------------------------------------------------------------- state

    def get_extra_state(self) -> Tensor:
        return torch.tensor(self._calls, dtype=torch.int64)

    def set_extra_state(self, state) -> None:
        self._calls = int(state)

    def extra_repr(self) -> str:
        return f"target={self.target}, kimg={self.kimg:g}, interval={self.interval}"

    # ---------------------------------------------------------------------------------------------- control

    @torch.no_grad()
    def observe(self, real_logits: Tensor) -> None:
        """Record D's raw outputs on (augmented) real images; every ``interval`` calls, update ``p``.

        ``r_t`` is the mean of ``sign(logits)`` over all outputs seen in the interval; ``p`` moves by
        ``sign(r_t - target) * images / (kimg * 1000)``, where ``images`` counts the batch dimension (so a D with
        several outputs per image still moves ``p`` per image), and is clamped to [0, 1]. Runs without a host sync.
        """
        t = real_logits.detach().to(device=self.sign_sum.device, dtype=torch.float32)
        self.sign_sum += t.sign().sum()
        self.sign_count += t.numel()
        self.n_images += t.shape[0] if t.dim() > 0 else 1
        self._calls += 1
        if self._calls < self.interval:
            return
        from ..distributed import all_reduce_sum_

        all_reduce_sum_([self.sign_sum, self.sign_count, self.n_images])
        rt = self.sign_sum / self.sign_count.clamp(min=1.0)
        self.rt.copy_(rt)
        step = torch.sign(rt - self.target) * self.n_images / (self.kimg * 1000.0)
        self.p.copy_((self.p + step).clamp(0.0, 1.0))
        self.sign_sum.zero_()
        self.sign_count.zero_()
        self.n_images.zero_()
        self._calls = 0

    def stats(self) -> dict[str, Tensor]:
        """``{"ada_p": p, "ada_rt": last r_t}`` as detached 0-d tensors (copies), for logging."""
        return {"ada_p": self.p.detach().clone(), "ada_rt": self.rt.detach().clone()}

    # ---------------------------------------------------------------------------------------------- augment

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        ops.check_images(x, "ADA")
        if float(self.p) == 0.0:  # one scalar read (a host sync on CUDA); p = 0 costs nothing else
            return x
        n, c, h, w = x.shape
        if h != w:
            raise GankitError(f"ADA's 90-degree rotations need square images, got {h}x{w} "
                              "(resize or crop the data to a square)")
        dev = x.device
        p = self.p.to(dev)

        def chosen() -> Tensor:
            return ops.sample_mask(n, p, device=dev, generator=generator)

        y = x.to(ops.working_dtype(x))
        # blit: x-flip, quarter turns, integer translation
        y = ops.flip_x(y, chosen())
        k = torch.randint(1, 4, (n,), device=dev, generator=generator)
        y = ops.rot90(y, torch.where(chosen(), k, torch.zeros_like(k)))
        sel = chosen()
        dx = ops.sample_shift(n, ops.max_shift(w), device=dev, generator=generator) * sel
        dy = ops.sample_shift(n, ops.max_shift(h), device=dev, generator=generator) * sel
        y = ops.translate(y, dx, dy, padding="reflect")
        # color: brightness, contrast, saturation
        y = ops.brightness(y, ops.sample_normal(n, BRIGHTNESS_STD, device=dev, generator=generator), chosen())
        y = ops.contrast(y, ops.sample_lognormal(n, CONTRAST_SIGMA, device=dev, generator=generator), chosen())
        if c == 3:
            y = ops.saturation(y, ops.sample_lognormal(n, SATURATION_SIGMA, device=dev, generator=generator),
                               chosen())
        return y.to(x.dtype)
