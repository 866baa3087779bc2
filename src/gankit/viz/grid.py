"""Sample grids (PNG) for images, scatter plots for 2D points (sound and text: :mod:`gankit.viz.media`)."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ..safe_write import atomic_output


def save_image_grid(images: torch.Tensor, path: str | Path, nrow: int | None = None, padding: int = 2,
                    caption: str | None = None, row_labels: list[str] | None = None) -> Path:
    """Save uint8 (N, C, H, W) images as one PNG grid (``nrow`` images per row, default ~sqrt(N)),
    with an optional ``caption`` strip above and ``row_labels`` beside the rows (:func:`add_labels`)."""
    from PIL import Image
    from torchvision.utils import make_grid

    path = Path(path)
    nrow = nrow or max(1, math.ceil(math.sqrt(len(images))))
    grid = make_grid(images.cpu(), nrow=nrow, padding=padding, pad_value=255)
    array = grid.permute(1, 2, 0).numpy()
    if images.shape[1] == 1:
        array = array[..., 0]
    picture = Image.fromarray(array)
    if caption or row_labels:
        picture = add_labels(picture, caption, row_labels, row_height=images.shape[2] + padding, padding=padding)
    with atomic_output(path) as tmp:
        picture.save(tmp)
    return path


#: blank pixels around a label's text
LABEL_MARGIN = 3


def add_labels(picture, caption: str | None = None, row_labels: list[str] | None = None, row_height: int = 0,
               padding: int = 2):
    """``picture`` (a PIL grid) with ``caption`` (lines of text) in a white strip above it and each of
    ``row_labels`` in a white strip left of its row of cells (``row_height`` pixels apart, the first
    ``padding`` pixels down): a grid whose rows and columns mean something (psi, the terms of latent
    arithmetic) then reads on its own, away from the printout of the command that drew it. The text is
    Pillow's built-in font, which needs no font file (and no network)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    measure = ImageDraw.Draw(picture)

    def size(text: str) -> tuple[int, int]:
        box = measure.textbbox((0, 0), text, font=font)
        return box[2], box[3]

    lines = caption.splitlines() if caption else []
    line_height = size("Ag|")[1] + 2
    top = len(lines) * line_height + 2 * LABEL_MARGIN if lines else 0
    left = max(size(t)[0] for t in row_labels) + 2 * LABEL_MARGIN if row_labels else 0
    width = max([picture.width + left] + [size(t)[0] + 2 * LABEL_MARGIN for t in lines])
    canvas = Image.new(picture.mode, (width, picture.height + top), "white")
    canvas.paste(picture, (left, top))
    draw = ImageDraw.Draw(canvas)
    for i, line in enumerate(lines):
        draw.text((LABEL_MARGIN, LABEL_MARGIN + i * line_height), line, fill="black", font=font)
    for r, text in enumerate(row_labels or []):
        middle = top + padding + r * row_height + (row_height - padding) / 2
        draw.text((LABEL_MARGIN, round(middle - size(text)[1] / 2)), text, fill="black", font=font)
    return canvas


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
                         nrow: int | None = None, title: str | None = None, spec=None) -> Path:
    """A grid for images, a scatter plot for points, spectrograms for audio, a page for text
    (``spec``: the run's DataSpec, which text needs to turn ids into characters)."""
    if kind == "image":
        return save_image_grid(samples, path, nrow=nrow)
    if kind == "audio":
        from .media import spectrogram_grid

        return spectrogram_grid(samples, path, nrow=nrow)
    if kind == "text":
        from .media import decode_texts, text_picture

        if spec is None:
            raise ValueError("a text picture needs the run's DataSpec to decode its samples")
        return text_picture(decode_texts(samples, spec), path, title=title, width=spec.shape[0])
    return save_scatter(samples, path, reference=reference, title=title)
