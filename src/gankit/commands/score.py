"""gankit score: the metrics of samples made anywhere (another codebase, a paper's release) against a dataset.

What torch-fidelity's CLI offers, with gankit's features and caches: the numbers are those gankit
eval gives a run whose samples these are (both call gankit.metrics.evaluate_samples). SAMPLES is a
.npy or .npz array or a folder of images; images are accepted as (N, H, W), (N, H, W, C) or
(N, C, H, W), uint8 or float in [0, 1] or [-1, 1], at the dataset's size; any other layout is
refused with a line naming these, never guessed, and nothing is resized (see docs/metrics.md).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import GankitError
from ..safe_write import check_output_file, write_text
from .argtypes import positive_int, seed

NAME = "score"
HELP = "score samples from any codebase (.npy, .npz or a folder of PNGs) against a dataset: FID, KID, ..."

SOURCES = "a .npy or .npz array or a folder of PNG/JPEG images"


def add_arguments(p) -> None:
    from ..metrics.evaluate import METRICS

    p.add_argument("samples", metavar="SAMPLES", help=f"{SOURCES}: N images as (N, H, W), (N, H, W, C) or (N, C, H, W), "
                   "uint8 or float in [0, 1] or [-1, 1]")
    p.add_argument("--dataset", required=True, help="the real data to compare with (see gankit datasets)")
    p.add_argument("--metrics", default=None, help=f"comma-separated, default all that apply: {','.join(METRICS)}")
    p.add_argument("--split", default="test", choices=("test", "train"), help="real data to compare with (default test)")
    p.add_argument("--n", type=positive_int, default=None, help="score only the first N samples (default all)")
    p.add_argument("--key", help="the array of a .npz file to score (default its first)")
    p.add_argument("--seed", type=seed, default=0, help="seed of the metrics' random subsets (KID, PR/DC; default 0)")
    p.add_argument("--extractor", default="auto", choices=("auto", "classifier", "inception"),
                   help="feature network (auto: Inception if --inception-weights is given, else the classifier)")
    p.add_argument("--classifier", help="domain classifier weights file (default: the shipped or trained one)")
    p.add_argument("--inception-weights", help="local Inception-v3 weights file (torch-fidelity format)")
    p.add_argument("--data-root", help="where the dataset's files are (default: gankit's usual places)")
    p.add_argument("--no-cache", action="store_true", help="recompute the real-data features")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")
    p.add_argument("--out", metavar="FILE", help="also write the result as JSON (eval.json's format)")


def run(args) -> int:
    import json

    from ..metrics.evaluate import check_sample_count, evaluate_samples, parse_metrics
    from ..metrics.table import metric_table

    if args.out:
        check_output_file(args.out)
    parse_metrics(args.metrics)  # a typo fails before the samples are read
    if args.n is not None:
        check_sample_count(args.n, args.metrics, "--n")
    _check_dataset_name(args.dataset)
    images = load_samples(args.samples, args.n, args.key)
    result = evaluate_samples(images, args.dataset, args.metrics, split=args.split, extractor=args.extractor,
                              classifier=args.classifier, inception_weights=args.inception_weights,
                              data_root=args.data_root, use_cache=not args.no_cache, seed=args.seed,
                              source=args.samples)
    result["info"]["samples"] = args.samples
    if args.out:
        write_text(args.out, json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    info = result["info"]
    kind = "points" if info["extractor"]["name"] == "points" else "images"
    rule = f" ({info['split_rule']})" if info.get("split_rule") else ""
    print(f"{args.samples}: {info['n']} samples vs {info['n_real']} {info['split']} {kind} of {info['dataset']}{rule}, "
          f"features: {info['extractor']['id']}")
    print(metric_table(result["metrics"]))
    print(f"({result['seconds']['total']:.1f} s{f'; written to {args.out}' if args.out else ''})")
    return 0


def _check_dataset_name(name: str) -> None:
    """An unknown dataset fails before thousands of images are read (get_dataset's own message)."""
    from ..data import DATASETS, get_dataset

    if name not in DATASETS and not Path(name).expanduser().is_dir():
        get_dataset(name)


def load_samples(path: str, n: int | None = None, key: str | None = None):
    """The samples in ``path`` as a NumPy array, the first ``n`` only when given (layouts are checked
    later, by evaluate_samples, against the dataset's shape)."""
    import numpy as np

    p = Path(path).expanduser()
    if key is not None and p.suffix.lower() != ".npz":
        raise GankitError(f"--key picks an array of a .npz file, and {path} is not one (drop --key)")
    if p.is_dir():
        return _read_folder(p, n)
    if not p.exists():
        raise GankitError(f"{path} does not exist (give {SOURCES})")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            array = np.load(p, mmap_mode="r", allow_pickle=False)
        elif suffix == ".npz":
            with np.load(p, allow_pickle=False) as arrays:
                names = list(arrays.files)
                if not names:
                    raise GankitError(f"{path} holds no arrays (save the samples with numpy.savez)")
                if key is not None and key not in names:
                    raise GankitError(f"{path} has no array {key!r} (pass --key with one of: {', '.join(names)})")
                array = arrays[key or names[0]]
        else:
            raise GankitError(f"{path} is not {SOURCES} (save the samples with numpy.save, or as PNG files in a folder)")
    except (ValueError, OSError, EOFError) as e:  # a truncated file, pickled objects, not NumPy at all
        raise GankitError(f"cannot read {path}: {e} (save the samples with numpy.save as a plain number array)") from None
    count = array.shape[0] if array.ndim else 0
    if n is not None:
        if count < n:
            raise GankitError(f"--n {n}, but {path} holds {count} samples (pass --n {count} or less, or leave --n out)")
        array = array[:n]
    return np.array(array)  # a copy: a slice of a read-only memory map would stay read-only


def _read_folder(root: Path, n: int | None):
    """The images directly in ``root`` (not its subfolders), in name order, decoded as gankit reads
    image datasets (gankit.data.folder); gray ones among color ones are tiled to RGB. Sizes must agree:
    nothing is resized."""
    import numpy as np

    from ..data.folder import IMAGE_SUFFIXES, _infer_channels, _open_image

    files = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise GankitError(f"no images in {root} (put the samples in it as PNG or JPEG files; subfolders are not read)")
    if n is not None:
        if len(files) < n:
            raise GankitError(f"--n {n}, but {root} holds {len(files)} images (pass --n {len(files)} or less, "
                              f"or leave --n out)")
        files = files[:n]
    arrays = []
    for path in files:
        image = _open_image(path, _infer_channels(path), None)
        if arrays and image.shape[:2] != arrays[0].shape[:2]:
            (h0, w0), (h, w) = arrays[0].shape[:2], image.shape[:2]
            raise GankitError(f"images in {root} have different sizes ({files[0].name}: {h0}x{w0}, {path.name}: "
                              f"{h}x{w}) (resize them all to the dataset's size first; gankit does not resample samples)")
        arrays.append(image)
    if any(a.ndim == 3 for a in arrays):  # mixed gray and RGB files: a file-format matter, not a different image
        arrays = [a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=-1) for a in arrays]
    return np.stack(arrays)
