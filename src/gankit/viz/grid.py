"""Sample grids (PNG) for images, scatter plots for 2D points."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ..safe_write import atomic_output


def save_image_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None, padding: int = 2) -> Path:
    """Save uint8 (N, C, H, W) images as one PNG grid (``nrow`` images per row, default ~sqrt(N))."""
    from PIL import Image
    from torchvision.utils import make_grid

    path = Path(path)
    nrow = nrow or max(1, math.ceil(math.sqrt(len(images))))
    grid = make_grid(images.cpu(), nrow=nrow, padding=padding, pad_value=255)
    array = grid.permute(1, 2, 0).numpy()
    if images.shape[1] == 1:
        array = array[..., 0]
    with atomic_output(path) as tmp:
        Image.fromarray(array).save(tmp)
    return path


def save_scatter(points: torch.Tensor, path: str | Path, reference: torch.Tensor | None = None,
                 title: str | None = None) -> Path:
    """Scatter plot of generated 2D points (orange) over a sample of the real data (grey)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    if reference is not None:
        r = reference.cpu().numpy()
        ax.scatter(r[:, 0], r[:, 1], s=2, c="0.7", label="data")
    p = points.detach().float().cpu().numpy()
    ax.scatter(p[:, 0], p[:, 1], s=2, c="tab:orange", label="generated")
    ax.set_aspect("equal")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(loc="upper right", fontsize=7, markerscale=4)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return path


def save_samples_picture(samples: torch.Tensor, kind: str, path: str | Path, reference=None,
                         nrow: int | None = None, title: str | None = None) -> Path:
    """A grid for images, a scatter plot for points."""
    if kind == "image":
        return save_image_grid(samples, path, nrow=nrow)
    return save_scatter(samples, path, reference=reference, title=title)
