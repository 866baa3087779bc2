"""Animated GIFs with Pillow: the fixed-noise grids over training, and latent walks.

Each frame of ``progress.gif`` gets a caption strip with its step, so a viewer can tell when the
samples changed; the last frame is held longer so the final state can be looked at.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .runfiles import sample_frames
from ..safe_write import atomic_output, check_no_symlink

MAX_FRAMES = 120


def _caption(image, text: str):
    from PIL import Image, ImageDraw

    image = image.convert("RGB")
    strip = 14
    canvas = Image.new("RGB", (image.width, image.height + strip), "white")
    canvas.paste(image, (0, strip))
    ImageDraw.Draw(canvas).text((3, 1), text, fill="black")
    return canvas


def save_gif(frames: list, path: str | Path, frame_ms: int = 200, last_ms: int = 1500) -> Path:
    """Write PIL images (all converted to the first frame's size) as a looping GIF."""
    if not frames:
        raise ValueError("no frames to animate")
    path = Path(path)
    size = frames[0].size
    frames = [f if f.size == size else f.resize(size) for f in frames]
    durations = [frame_ms] * (len(frames) - 1) + [last_ms]
    with atomic_output(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                       optimize=False, disposal=1)
    return path


def write_progress_gif(run_dir: str | Path, path: str | Path | None = None) -> Path | None:
    """``progress.gif``: every ``samples/step_*.png`` in step order (at most MAX_FRAMES, evenly
    thinned, always keeping the last). None when the run has no sample grids yet."""
    from PIL import Image

    run_dir = Path(run_dir)
    check_no_symlink(Path(path) if path else run_dir / "progress.gif", run_dir)
    frames = sample_frames(run_dir)
    if not frames:
        final = run_dir / "samples" / "final.png"
        if not final.is_file():
            return None
        frames = [(None, final)]
    if len(frames) > MAX_FRAMES:
        keep = np.unique(np.linspace(0, len(frames) - 1, MAX_FRAMES).round().astype(int))
        frames = [frames[i] for i in keep]
    images = []
    for step, p in frames:
        with Image.open(p) as im:
            images.append(_caption(im, f"step {step}" if step is not None else "final"))
    return save_gif(images, path or run_dir / "progress.gif")


def tensor_frames(batches: list[torch.Tensor], nrow: int | None = None) -> list:
    """PIL frames from a list of uint8 (N, C, H, W) image batches, one grid per batch."""
    import math

    from PIL import Image
    from torchvision.utils import make_grid

    out = []
    for images in batches:
        grid = make_grid(images.cpu(), nrow=nrow or max(1, math.ceil(math.sqrt(len(images)))), padding=2,
                         pad_value=255)
        array = grid.permute(1, 2, 0).numpy()
        out.append(Image.fromarray(array[..., 0] if images.shape[1] == 1 else array))
    return out
