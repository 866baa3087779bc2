"""gankit classify: a semi-supervised run's D as a classifier (Salimans et al. 2016's use of it).

``gankit classify RUN IMAGES...`` prints one line per image (file, class, probability); images are
read at the run's size and channels (resized and centre-cropped when they differ). A ``.npy`` dump
(N, H, W) or (N, H, W, C) of uint8 images counts as N images. ``--test`` scores D on the test split
of the run's dataset instead (the labels hidden in training were never shown to it either).
"""

from pathlib import Path

from ..errors import GankitError

NAME = "classify"
HELP = "classify images with a semi-supervised (ssgan) run's discriminator, or score it on the test split"


def add_arguments(t) -> None:
    t.add_argument("run", help="run folder of an ssgan run")
    t.add_argument("inputs", nargs="*", metavar="IMAGE", help="image files, folders of images, or .npy dumps")
    t.add_argument("--test", action="store_true", help="print the accuracy on the dataset's test split")


def read_inputs(inputs: list[str], shape: tuple[int, ...]):
    """``[(name, uint8 (C, H, W)), ...]`` of the given files, folders and .npy dumps."""
    import numpy as np
    import torch

    from ..data.folder import _open_image
    from .translate import input_files

    c, h, w = shape
    out = []
    for name in inputs:
        if name.endswith(".npy") and Path(name).is_file():
            try:
                array = np.load(name, allow_pickle=False)
            except ValueError as e:
                raise GankitError(f"cannot read {name}: {e} (give a .npy of uint8 images)") from None
            array = array[..., None] if array.ndim == 3 else array
            if array.dtype != np.uint8 or array.ndim != 4 or array.shape[1:] != (h, w, c):
                raise GankitError(f"{name} holds {array.dtype} {array.shape}, not uint8 images (N, {h}, {w}"
                                  f"{', ' + str(c) if c > 1 else ''}) (dump images at the run's size)")
            out += [(f"{name}[{i}]", torch.from_numpy(a.copy()).permute(2, 0, 1)) for i, a in enumerate(array)]
            continue
        for path in input_files([name]):
            array = _open_image(path, c, h)
            out.append((str(path), torch.from_numpy(array.copy()).reshape(h, w, c).permute(2, 0, 1)))
    return out


def run(args) -> int:
    import torch

    from ..api import load_run
    from ..data import get_dataset

    result = load_run(args.run)
    if not args.inputs and not args.test:
        raise GankitError("nothing to classify (give image files, folders or .npy dumps, or --test)")
    names = result.spec.class_names or tuple(str(k) for k in range(result.spec.num_classes))
    if args.inputs:
        items = read_inputs(args.inputs, tuple(result.spec.shape))
        probs = result.classify(torch.stack([image for _, image in items]), probabilities=True)
        for (name, _), p in zip(items, probs):
            k = int(p.argmax())
            print(f"{name}\t{names[k]}\t{float(p[k]):.3f}")
    if args.test:
        cfg = result.config
        test = get_dataset(cfg.dataset, "test", cfg.data_root, cfg.image_size, cfg.channels)
        if test.labels is None:
            raise GankitError(f"{cfg.dataset} has no labelled test split to score on (classify a labelled dataset, e.g. the run's own)")
        accuracy = (result.classify(test.data) == test.labels).float().mean().item()
        labelled = result.runtime.get("labels", {}).get("labelled", "?")
        print(f"test accuracy {accuracy:.4f} on {len(test)} {cfg.dataset} test images "
              f"(trained with {labelled} labelled images)")
    return 0
