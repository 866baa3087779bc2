"""Paired-translation metrics: PSNR, SSIM, L1, label preservation, and the bicubic SR baseline.

Pure functions on image tensors (N, C, H, W): uint8, or floats on the same [0, 255] scale. They
compare an output ``x`` with its target ``y`` image by image (pix2pix, SRGAN), so unlike FID they
need pairs, not two sets.

Conventions (those of the super-resolution papers and of BasicSR's ``calculate_psnr`` /
``calculate_ssim`` with ``test_y_channel=True``):

- **Luma.** With ``luma=True`` a 3-channel (RGB) image is compared on the Y channel of YCbCr, ITU-R
  BT.601 studio swing, as MATLAB's ``rgb2ycbcr`` defines it:
  ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` with R, G, B in [0, 255] (so Y is in
  [16, 235]: black 16, white 235, pure red 81.481). Y is kept as a float, not rounded to uint8
  (BasicSR's ``to_y_channel`` "without round"; MATLAB's ``rgb2ycbcr`` on uint8 input would round).
  A 1-channel image is its own gray channel. ``luma=False`` compares all channels.
- **Border.** ``border`` pixels are cropped from each side before comparing (for x``s`` SR the
  convention is ``border = s``): the upsampler cannot know what lies beyond the low-res edge.
- **Range.** The peak is 255 (also on Y, whose own range is [16, 235]), and the SSIM constants use
  L = 255.
- **Averages.** Per-image values averaged over the images (the mean of per-image PSNR, as the SR
  papers report for Set5/Set14, not the PSNR of the pooled MSE).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

PEAK = 255.0
PSNR_CAP = 100.0          # dB: the PSNR of an image pair with (near) zero error, so averages stay finite
Y_WEIGHTS = (65.481, 128.553, 24.966)   # MATLAB rgb2ycbcr, BT.601: Y = 16 + (w . RGB) / 255
Y_OFFSET = 16.0

SSIM_WINDOW = 11
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03


def _as_float(x: torch.Tensor) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.dim() == 3:  # one image (C, H, W)
        x = x.unsqueeze(0)
    if x.dim() != 4:
        raise ValueError(f"expected images (N, C, H, W), got shape {tuple(x.shape)}")
    return x.double()


def rgb_to_y(x: torch.Tensor) -> torch.Tensor:
    """RGB (N, 3, H, W) on the [0, 255] scale -> Y of BT.601 YCbCr (N, 1, H, W), float64, unrounded."""
    x = _as_float(x)
    if x.shape[1] != 3:
        raise ValueError(f"rgb_to_y needs 3 channels, got {x.shape[1]}")
    w = x.new_tensor(Y_WEIGHTS).view(1, 3, 1, 1)
    return Y_OFFSET + (x * w).sum(1, keepdim=True) / 255.0


def _prepare(x: torch.Tensor, y: torch.Tensor, border: int, luma: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Both images as float64 (N, C', H', W'): luma taken if asked, ``border`` cropped off each side."""
    x, y = _as_float(x), _as_float(y)
    if x.shape != y.shape:
        raise ValueError(f"images to compare must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    if border < 0:
        raise ValueError(f"border must be >= 0, got {border}")
    if luma:
        if x.shape[1] == 3:
            x, y = rgb_to_y(x), rgb_to_y(y)
        elif x.shape[1] != 1:
            raise ValueError(f"luma=True needs 1- or 3-channel images, got {x.shape[1]} channels (pass luma=False)")
    if border:
        h, w = x.shape[-2:]
        if 2 * border >= min(h, w):
            raise ValueError(f"border {border} leaves nothing of {h}x{w} images")
        x = x[..., border:h - border, border:w - border]
        y = y[..., border:h - border, border:w - border]
    return x, y


def psnr_per_image(x: torch.Tensor, y: torch.Tensor, border: int = 0, luma: bool = True) -> torch.Tensor:
    """PSNR in dB of each image pair (N,), peak 255, capped at :data:`PSNR_CAP` (identical images: 100 dB)."""
    x, y = _prepare(x, y, border, luma)
    mse = (x - y).pow(2).flatten(1).mean(1)
    db = 10.0 * torch.log10(PEAK ** 2 / mse)   # mse == 0 gives +inf, which the cap turns into PSNR_CAP
    return db.clamp(max=PSNR_CAP)


def psnr(x: torch.Tensor, y: torch.Tensor, border: int = 0, luma: bool = True) -> float:
    """Mean over images of the per-image PSNR (dB, peak 255, each capped at 100 dB).

    ``border``: pixels cropped from each side (SR: the scale). ``luma``: RGB compared on BT.601 Y.
    """
    return float(psnr_per_image(x, y, border, luma).mean())


def _gaussian_window(size: int = SSIM_WINDOW, sigma: float = SSIM_SIGMA, dtype=torch.float64, device=None):
    r = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2
    g = torch.exp(-r ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return g[:, None] * g[None, :]     # MATLAB fspecial('gaussian', 11, 1.5): sums to 1


def ssim_per_image(x: torch.Tensor, y: torch.Tensor, border: int = 0, luma: bool = True) -> torch.Tensor:
    """SSIM (Wang et al. 2004) of each image pair (N,): the mean of the SSIM map, over channels too.

    Gaussian window 11x11, sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, population (not sample)
    variances, 'valid' filtering: the map covers only the positions where the whole window fits
    (what Wang's ``ssim.m`` returns, and what scikit-image averages after cropping its padded map).
    """
    x, y = _prepare(x, y, border, luma)
    n, c, h, w = x.shape
    if min(h, w) < SSIM_WINDOW:
        raise ValueError(f"SSIM needs images of at least {SSIM_WINDOW}x{SSIM_WINDOW} (after the border crop), "
                         f"got {h}x{w}")
    win = _gaussian_window(device=x.device).expand(c, 1, SSIM_WINDOW, SSIM_WINDOW)

    def filt(t):
        return F.conv2d(t, win, groups=c)

    c1, c2 = (SSIM_K1 * PEAK) ** 2, (SSIM_K2 * PEAK) ** 2
    mu_x, mu_y = filt(x), filt(y)
    var_x = filt(x * x) - mu_x ** 2
    var_y = filt(y * y) - mu_y ** 2
    cov = filt(x * y) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2))
    return ssim_map.flatten(1).mean(1)


def ssim(x: torch.Tensor, y: torch.Tensor, border: int = 0, luma: bool = True) -> float:
    """Mean over images of :func:`ssim_per_image` (1 for identical images)."""
    return float(ssim_per_image(x, y, border, luma).mean())


def l1(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean absolute error over every pixel and channel, in [0, 255] units (divide by 127.5 for the
    [-1, 1] units of pix2pix's L1 loss). No luma, no border: the raw images, as the generator sees them."""
    x, y = _as_float(x), _as_float(y)
    if x.shape != y.shape:
        raise ValueError(f"images to compare must have the same shape, got {tuple(x.shape)} and {tuple(y.shape)}")
    return float((x - y).abs().mean())


def bicubic_upsample(lowres: torch.Tensor, scale: int) -> torch.Tensor:
    """The SR baseline: uint8 (N, C, h, w) -> uint8 (N, C, h*scale, w*scale) by torch bicubic
    interpolation (``align_corners=False``), rounded and clamped to [0, 255].

    Not bit-identical to MATLAB's ``imresize(..., 'bicubic')``, which the SR papers' bicubic rows
    use: torch's cubic kernel has a = -0.75 (OpenCV's) where MATLAB's has a = -0.5, and torch
    replicates the edge pixels where MATLAB mirrors them. (Antialiasing, the other difference
    between the two, matters only when downscaling: MATLAB widens the kernel then; on upscaling
    neither does.) Expect PSNR a few tenths of a dB from the papers' bicubic numbers.
    """
    if int(scale) != scale or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    scale = int(scale)
    x = torch.as_tensor(lowres)
    if x.dim() != 4:
        raise ValueError(f"expected images (N, C, H, W), got shape {tuple(x.shape)}")
    h, w = x.shape[-2:]
    up = F.interpolate(x.float(), size=(h * scale, w * scale), mode="bicubic", align_corners=False)
    return up.round().clamp(0, 255).to(torch.uint8)


@torch.no_grad()
def label_predictions(images: torch.Tensor, classifier="mnist5k", batch_size: int = 1000) -> torch.Tensor:
    """The classes (N,) a domain classifier gives uint8 ``images``.

    ``classifier``: a dataset name (its shipped weights first, e.g. "mnist5k", as evaluation finds
    them), a weights file, an :class:`~gankit.metrics.features.Extractor` (both resize the images to
    the classifier's size and channels), or a :class:`~gankit.metrics.classifier.DomainClassifier`
    (fed the images as they are).
    """
    from pathlib import Path

    from .features import Extractor, classifier_extractor

    if isinstance(classifier, (str, Path)):
        p = Path(classifier)
        classifier = (classifier_extractor("", str(p)) if p.suffix == ".pt" or p.is_file()
                      else classifier_extractor(str(classifier)))
    if isinstance(classifier, Extractor):
        logits = classifier(images, batch_size)["logits"]
        if logits is None:
            raise ValueError(f"the {classifier.name} extractor gives no logits to classify with")
        return logits.argmax(1)
    was_training = classifier.training
    classifier.eval()
    try:
        return torch.cat([classifier(part).argmax(1).cpu() for part in images.split(batch_size)])
    finally:
        classifier.train(was_training)


def label_accuracy(images: torch.Tensor, labels: torch.Tensor, classifier="mnist5k", batch_size: int = 1000) -> float:
    """Label preservation: the share of translated ``images`` the classifier assigns their source's
    ``labels`` (digits2mnist: a rendered 7 should come out as an MNIST 7). The ceiling is the
    classifier's own test accuracy; a translation that ignores its input scores about 1/K."""
    from .conditional import conditional_accuracy

    predicted = label_predictions(images, classifier, batch_size)
    return conditional_accuracy(predicted, torch.as_tensor(labels).cpu())["cond_acc"]

