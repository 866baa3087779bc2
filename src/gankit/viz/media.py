"""Samples that are not pictures, written as files a person can use: WAV clips, text lines, and the
pictures that stand in for them in grids and GIFs (a spectrogram grid, a page of text).

Why pictures at all for sound and text: a run folder's progress (``samples/step_*.png``,
``progress.gif``, the report) is read by eye, and a spectrogram shows at a glance whether a
generator makes silence, noise, or words with formants; the clips themselves are written beside
them (``samples/final-clips/``) for listening.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ..safe_write import atomic_output

#: clips the end of training writes for listening (and the report plays)
FINAL_CLIPS = 8


def sample_rate_of(spec) -> int:
    return int(spec.extra.get("sample_rate", 16000))


def save_clips(waves: torch.Tensor, folder: str | Path, sample_rate: int, prefix: str = "clip",
               names: list[str] | None = None) -> list[Path]:
    """Float waves (N, 1, samples) in [-1, 1] as ``prefix_000.wav``... (or ``names``) in ``folder``."""
    from ..audio.wav import write_wav

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    width = max(3, len(str(len(waves) - 1)))
    paths = []
    for i, wave in enumerate(waves):
        name = names[i] if names else f"{prefix}_{i:0{width}d}.wav"
        path = folder / name
        write_wav(path, wave.detach().float().cpu().reshape(-1), sample_rate)
        paths.append(path)
    return paths


def spectrogram_grid(waves: torch.Tensor, path: str | Path, nrow: int | None = None,
                     row_labels: list[str] | None = None) -> Path:
    """A grid of log-magnitude spectrograms (time across, low frequencies at the bottom)."""
    from ..audio.spectrogram import spectrogram_image
    from .grid import save_image_grid

    pictures = spectrogram_image(waves.detach().float().cpu())
    return save_image_grid(pictures, path, nrow=nrow or max(1, math.ceil(math.sqrt(len(waves)))),
                           row_labels=row_labels)


def decode_texts(ids: torch.Tensor, spec) -> list[str]:
    from ..data.text import decode

    return decode(ids.detach().cpu(), spec)


def save_texts(texts: list[str], path: str | Path) -> Path:
    """One sample per line (newlines inside a sample shown as a space), UTF-8."""
    path = Path(path)
    with atomic_output(path) as tmp:
        Path(tmp).write_text("".join(t.replace("\n", " ") + "\n" for t in texts), encoding="utf-8")
    return path


#: lines a text picture shows (a grid of 64 texts would be unreadable as a picture)
TEXT_PICTURE_LINES = 24


def text_picture(texts: list[str], path: str | Path, title: str | None = None, width: int = 100) -> Path:
    """The first :data:`TEXT_PICTURE_LINES` samples as a PNG page in Pillow's built-in font (no font
    file, no network), so a text run gets ``samples/step_*.png`` and a progress GIF like any other."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default()
    lines = ([title, ""] if title else []) + [
        (t.replace("\n", " ")[:width] or "(empty)") for t in texts[:TEXT_PICTURE_LINES]]
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    line_height = probe.textbbox((0, 0), "Ag|", font=font)[3] + 3
    # one size for every page of a run (``width`` characters, every line slot), so the GIF's frames align
    text_width = max([probe.textbbox((0, 0), "M" * width, font=font)[2]]
                     + [probe.textbbox((0, 0), line, font=font)[2] for line in lines])
    rows = TEXT_PICTURE_LINES + (2 if title else 0)
    picture = Image.new("L", (text_width + 12, line_height * rows + 12), 255)
    draw = ImageDraw.Draw(picture)
    for i, line in enumerate(lines):
        draw.text((6, 6 + i * line_height), line, fill=0, font=font)
    path = Path(path)
    with atomic_output(path) as tmp:
        picture.save(tmp, format="PNG")
    return path
