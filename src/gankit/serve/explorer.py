"""The pictures the run explorer asks for, drawn by the run's Sampler and :class:`LatentExplorer`.

Nothing here draws a sample its own way: a seed's image is ``fixed_inputs(1, seed)`` through the
Sampler, exactly what ``gankit sample RUN --n 1 --seed S`` draws, so the command the page offers
for a picked seed makes the same picture. Images leave as PNG data URLs, at their own size (the
page enlarges them with ``image-rendering: pixelated``).
"""

from __future__ import annotations

import base64
import binascii
import io
import shlex
import threading
from collections import OrderedDict

import numpy as np
import torch

from ..errors import GankitError
from ..viz.latent import LatentExplorer
from ..viz.runfiles import is_number

#: an uploaded image: at most this many bytes (decoded) and pixels a side, PNG or JPEG only
MAX_UPLOAD_BYTES = 2 << 20
MAX_UPLOAD_SIDE = 1024
UPLOAD_FORMATS = ("PNG", "JPEG")
#: training images' features kept in memory for the nearest-image search (a run's whole train split)
CACHE_TRAIN = 2


def png_url(image: torch.Tensor) -> str:
    """A uint8 (C, H, W) image as a PNG data URL."""
    from PIL import Image

    array = image.permute(1, 2, 0).cpu().numpy()
    buf = io.BytesIO()
    Image.fromarray(array[..., 0] if array.shape[-1] == 1 else array).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def run_info(run_id: str, run, summary: dict) -> dict:
    """What the page needs to show only the controls that apply to this run."""
    spec = run.spec
    info = {**summary, "shape": list(spec.shape), "ema": bool(run.has_ema), "conditional": False, "num_classes": 0,
            "class_names": [], "codes": None, "style": None, "truncation_space": None, "translation": None, "media": None,
            "config": run.config.to_dict()}
    sampler = run.sampler()
    if hasattr(sampler, "translate"):
        extra = spec.extra
        directions = list(sampler.generators)
        info["translation"] = {"directions": directions, "input_shape": list(extra["a_shape"]),
                               "input_shapes": {"AtoB": list(extra["a_shape"]), "BtoA": list(extra["b_shape"])},
                               "domains": list(sampler.domains)}
        return info
    if spec.kind in ("audio", "text"):
        from .media import media_info

        info["media"] = media_info(run)
        return info
    if spec.kind != "image":
        return info
    info["truncation_space"] = sampler.truncation_space
    if sampler.codes:
        info["codes"] = {"n_cat": int(run.latent.n_cat), "n_cont": int(run.latent.n_cont)}
    elif sampler.conditional:
        info["conditional"], info["num_classes"] = True, int(sampler.num_classes)
        info["class_names"] = list(spec.class_names or [str(k) for k in range(sampler.num_classes)])
    if sampler.truncation_space == "w":
        explorer = LatentExplorer(run)
        info["style"] = {"num_ws": int(sampler.num_ws), "bands": {k: list(v) for k, v in explorer.style_bands().items()}}
    return info


def _explorer(run, psi: float | None, ema: bool, space: str = "z") -> LatentExplorer:
    return LatentExplorer(run, truncation=psi, ema=ema, space=space)


def _check_label(explorer: LatentExplorer, label: int | None) -> int | None:
    if not explorer.conditional:
        return None
    label = 0 if label is None else label
    if not 0 <= label < explorer.num_classes:
        raise GankitError(f"class must be in 0..{explorer.num_classes - 1}, not {label} (pick one from the list)")
    return label


def sample_command(run, seed: int, label: int | None, psi: float | None, ema: bool) -> str:
    """The ``gankit sample`` command that draws a seed's picture as the page shows it."""
    words = ["gankit", "sample", str(run.path), "--n", "1", "--seed", str(seed)]
    if label is not None:
        words += ["--class", str(label)]
    if psi is not None and psi != 1:  # psi 1 shrinks nothing: the plain command draws the same picture
        words += ["--truncation", f"{psi:g}"]
    if not ema and run.has_ema:
        words.append("--no-ema")
    return shlex.join(words + ["--out", f"seed{seed}.png"])


def _seed_images(run, seeds: list[int], psi: float | None, label: int | None, ema: bool):
    """uint8 images of ``seeds`` (each ``fixed_inputs(1, seed)``, as ``gankit sample --n 1`` draws it) and the
    class they were drawn for (None for unconditional runs; 0 when a conditional run is not told one)."""
    explorer = _explorer(run, psi, ema)
    label = _check_label(explorer, label)
    sampler = explorer.sampler
    z = torch.cat([sampler.fixed_inputs(1, s, labels=label)["z"] for s in seeds])
    y = torch.full((len(seeds),), label, dtype=torch.long) if label is not None else None
    opts = {"truncation": psi} if psi is not None else {}
    return sampler.generate({"z": z, "y": y}, **opts), label


def samples(run, seeds: list[int], psi: float | None, label: int | None, ema: bool) -> dict:
    """One image per seed, each the first sample of ``gankit sample --seed S``."""
    images, label = _seed_images(run, seeds, psi, label, ema)
    return {"images": [png_url(x) for x in images], "seeds": seeds,
            "commands": [sample_command(run, s, label, psi, ema) for s in seeds]}


def interpolate(run, a: int, b: int, steps: int, space: str, psi: float | None, label: int | None,
                ema: bool) -> dict:
    """``steps`` images from seed a's to seed b's (slerp in Z, a straight line in W)."""
    explorer = _explorer(run, psi, ema, space)
    label = _check_label(explorer, label)
    images, _, _ = explorer.interpolation([a, b], steps, label=label)
    return {"images": [png_url(x) for x in images]}


def codes(run, seed: int, category: int, continuous: list[float], ema: bool) -> dict:
    """InfoGAN: seed's z with the categorical code and the continuous codes set by the page."""
    explorer = _explorer(run, None, ema)
    if not explorer.codes:
        raise GankitError(f"{run.config.model} has no latent codes (the code sliders are for infogan runs)")
    n_cat, n_cont = explorer.latent.n_cat, explorer.latent.n_cont
    if not 0 <= category < n_cat:
        raise GankitError(f"category must be in 0..{n_cat - 1}, not {category} (pick one of the run's {n_cat} codes)")
    if len(continuous) != n_cont:
        raise GankitError(f"this run has {n_cont} continuous codes, not {len(continuous)} (send one value per slider)")
    lat = explorer.latent_of(seed).clone()
    lat[explorer.z_dim: explorer.z_dim + n_cat] = torch.nn.functional.one_hot(torch.tensor(category), n_cat).float()
    lat[explorer.z_dim + n_cat:] = torch.tensor(continuous, dtype=lat.dtype)
    return {"image": png_url(explorer.decode(lat[None])[0])}


def style_mix(run, rows: list[int], cols: list[int], crossover: int, psi: float | None) -> dict:
    """The style-mixing matrix: row seeds give the styles of layers below ``crossover``."""
    explorer = _explorer(run, psi, True)
    images = explorer.style_mix(rows, cols, 0, crossover)
    width = len(cols) + 1
    grid = [[png_url(x) for x in images[i:i + width]] for i in range(0, len(images), width)]
    grid[0][0] = None
    return {"rows": grid}


def decode_upload(url: str, channels: int, size: int) -> torch.Tensor:
    """An uploaded or drawn image (a PNG or JPEG data URL) as uint8 (1, C, H, W) at the run's input size;
    transparency (a drawing canvas) is laid over white."""
    from PIL import Image, UnidentifiedImageError

    from ..data.folder import _resize_center_crop

    head, _, body = url.partition(",")
    if not head.startswith("data:image/") or ";base64" not in head:
        raise GankitError("the image must be a data URL of a PNG or JPEG (data:image/png;base64,...)")
    if len(body) > MAX_UPLOAD_BYTES * 4 // 3 + 4:
        raise UploadTooLarge(f"the image is over {MAX_UPLOAD_BYTES >> 20} MB (send a smaller one)")
    try:
        data = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise GankitError("the image's data URL is not valid base64 (send the file's bytes as read)") from None
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format not in UPLOAD_FORMATS:
                raise GankitError(f"the image is {im.format or 'of an unknown type'}, not PNG or JPEG (convert it)")
            if max(im.size) > MAX_UPLOAD_SIDE:
                raise UploadTooLarge(f"the image is {im.size[0]}x{im.size[1]} px, over {MAX_UPLOAD_SIDE} px a side "
                                     "(scale it down)")
            im.load()
            if im.mode in ("RGBA", "LA", "P"):
                im = im.convert("RGBA")
                white = Image.new("RGBA", im.size, (255, 255, 255, 255))
                im = Image.alpha_composite(white, im)
            im = im.convert("L" if channels == 1 else "RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise GankitError("the upload is not a readable PNG or JPEG image (check the file)") from None
    if im.size != (size, size):
        im = _resize_center_crop(im, size)
    array = np.asarray(im, dtype=np.uint8).reshape(size, size, channels)
    return torch.from_numpy(array.copy()).permute(2, 0, 1)[None]


class UploadTooLarge(GankitError):
    """An upload over the size limits (-> HTTP 413)."""


def translate(run, image_url: str, direction: str) -> dict:
    sampler = run.sampler()
    if not hasattr(sampler, "translate"):
        raise GankitError(f"{run.config.model} draws samples rather than translating images (pick a translation run)")
    if direction not in sampler.generators:
        raise GankitError(f"this run translates {', '.join(sampler.generators)} only, not {direction} (use that direction)")
    c, h, _ = sampler.shapes[direction][0]
    image = decode_upload(image_url, c, h)
    return {"input": png_url(image[0]), "output": png_url(sampler.translate(image, direction)[0])}


def curves(files) -> dict:
    """metrics.jsonl's numbers by step, and the alarm episodes to mark on the timeline."""
    from ..diagnostics import episodes_from_records

    records = files.metrics
    kept = [{k: v for k, v in r.items() if k == "step" or is_number(v)} for r in records]
    episodes = files.episodes
    if episodes is None:
        episodes = episodes_from_records(records)
    return {"records": kept, "alarms": episodes}


class TrainFeatures:
    """Each run dataset's training images and their domain-classifier features, kept for a few runs."""

    def __init__(self):
        self._cache: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run):
        from ..data import get_dataset
        from ..metrics.cache import real_features
        from ..metrics.features import classifier_extractor

        spec, cfg = run.spec, run.config
        key = (str(run.path), spec.name, cfg.data_root, spec.image_size, spec.channels)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        extractor = classifier_extractor(cfg.dataset)
        train = get_dataset(cfg.dataset, "train", cfg.data_root, spec.image_size or None, spec.channels or None)
        feats = real_features(cfg.dataset, "train", train.data, train.labels, extractor)["features"]
        value = (extractor, train.data, feats)
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > CACHE_TRAIN:
                self._cache.popitem(last=False)
        return value


def nearest(run, train_features: TrainFeatures, seed: int, label: int | None, psi: float | None, ema: bool,
            k: int) -> dict:
    """A seed's image and its ``k`` nearest training images in the domain classifier's features:
    a sample that is a near copy of one of them is memorized (``gankit eval --metrics memo``)."""
    if run.spec.kind != "image" or hasattr(run.sampler(), "translate"):
        raise GankitError("the nearest-image search is for runs that draw images from z (pick such a run)")
    image, _ = _seed_images(run, [seed], psi, label, ema)
    extractor, train_images, train_feats = train_features.get(run)
    query = extractor(image)["features"]
    dist = torch.cdist(query, train_feats)[0]
    values, index = dist.topk(min(k, len(dist)), largest=False)
    return {"sample": png_url(image[0]), "neighbours": [png_url(train_images[i]) for i in index.tolist()],
            "distances": [round(float(v), 4) for v in values],
            "features": f"{extractor.id} (the domain classifier's penultimate layer), "
                        f"over the {len(train_images)} training images"}
