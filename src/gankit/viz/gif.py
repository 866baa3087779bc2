"""Animated GIFs with Pillow: the fixed-noise grids over training, and latent walks.

Each frame of ``progress.gif`` gets a caption strip with its step, so a viewer can tell when the
samples changed; the last frame is held longer so the final state can be looked at.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .runfiles import RunFiles, sample_frames
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


def write_progress_gif(run_dir: str | Path, path: str | Path | None = None, files: RunFiles | None = None
                       ) -> Path | None:
    """``progress.gif``: every readable ``samples/step_*.png`` in step order (at most MAX_FRAMES,
    evenly thinned, always keeping the last readable one), else ``samples/final.png``. None when the
    run has no readable sample grid yet.

    Written at the end of training and after a divergence, so a damaged grid (cut short by a copy,
    a folder in its place) is left out with one ``gankit: warning: skipped`` line rather than
    failing the run's end: see :class:`~gankit.viz.runfiles.RunFiles`, passed as ``files`` by a
    caller that already read the run (each grid is then checked once)."""
    from PIL import Image

    run_dir = Path(run_dir)
    check_no_symlink(Path(path) if path else run_dir / "progress.gif", run_dir)
    files = files if files is not None else RunFiles(run_dir)
    frames = _readable_frames(files, sample_frames(run_dir))
    if not frames:
        final = run_dir / "samples" / "final.png"
        if not files.picture(final):
            return None
        frames = [(None, final)]
    images = []
    for step, p in frames:
        with Image.open(p) as im:
            images.append(_caption(im, f"step {step}" if step is not None else "final"))
    return save_gif(images, path or run_dir / "progress.gif")


def _readable_frames(files: RunFiles, frames: list[tuple[int, Path]]) -> list[tuple[int, Path]]:
    """At most MAX_FRAMES of ``frames``, evenly thinned by name, that are whole pictures, ending with
    the last whole one. Only the frames taken are decoded to check them (a long run has thousands)."""
    if len(frames) > MAX_FRAMES:
        keep = np.unique(np.linspace(0, len(frames) - 1, MAX_FRAMES).round().astype(int))
        taken = [frames[i] for i in keep]
    else:
        taken = frames
    kept = [f for f in taken if files.picture(f[1])]
    if taken and (not kept or kept[-1] != taken[-1]):  # the last grid is damaged: the last whole one instead
        after = kept[-1][0] if kept else -1
        last = next((f for f in reversed(frames) if f[0] > after and files.picture(f[1])), None)
        if last is not None:  # kept is shorter than taken here, so there is room for it
            kept.append(last)
    return kept


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


#: the fewest pixels on the long side of an explore GIF's frame: 28x28 samples shown 1:1 are a speck in
#: a browser or image viewer, and GIF viewers rarely zoom
VIEWABLE = 256


def upscaled(frames: list, at_least: int = VIEWABLE) -> list:
    """PIL ``frames`` enlarged by the smallest integer factor that makes the long side ``at_least``
    pixels, nearest-neighbour: each sample pixel becomes a square block, never a blurred guess."""
    from PIL import Image

    if not frames:
        return frames
    factor = max(1, -(-at_least // max(frames[0].size)))
    if factor == 1:
        return frames
    return [f.resize((f.width * factor, f.height * factor), Image.Resampling.NEAREST) for f in frames]
