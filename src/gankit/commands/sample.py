"""gankit sample: draw samples from a trained run, as a picture (.png) or an array (.npy)."""

from pathlib import Path

from ..errors import GankitError
from .argtypes import positive_int

NAME = "sample"
HELP = "draw samples from a trained run"


def add_arguments(s) -> None:
    s.add_argument("run", help="run folder")
    s.add_argument("--n", type=positive_int, default=64, help="number of samples (default 64)")
    s.add_argument("--out", required=True, help="grid.png (picture) or samples.npy (uint8 array)")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--class", dest="label", type=int, default=None, help="class to sample (conditional models)")
    s.add_argument("--sweep", metavar="CODE", default=None,
                   help="InfoGAN: vary one code along each row, others fixed: cat, c1 or c2 (grid of --n // 10 rows)")


def run(args) -> int:
    import numpy as np

    from ..api import load_run
    from ..models import get_model
    from ..viz import save_samples_picture

    result = load_run(args.run)
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".npy"):
        raise GankitError(f"--out must end in .png (a grid) or .npy (an array), not {out.name!r}")
    if args.label is not None:
        if not get_model(result.config.model).conditional:
            raise GankitError(f"--class needs a class-conditional model; {result.config.model} is unconditional")
        if not 0 <= args.label < _num_classes(result):
            raise GankitError(f"--class must be in 0..{_num_classes(result) - 1}, not {args.label}")
    nrow = None
    info = get_model(result.config.model)
    if args.sweep is not None:
        samples, nrow = _sweep(result, args)
    elif info.conditional and args.label is None:
        # one row per class (class-sorted rows in an .npy too)
        from ..conditioning import class_rows

        labels, nrow = class_rows(args.n, _num_classes(result))
        samples = result.sample(args.n, seed=args.seed, labels=labels)
    else:
        samples = result.sample(args.n, seed=args.seed, labels=args.label)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".npy":
        array = samples.numpy()
        if result.spec.kind == "image":
            array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
        np.save(out, array)
        print(f"wrote {out}: {array.dtype} array of shape {array.shape}")
    else:
        save_samples_picture(samples, result.spec.kind, out, nrow=nrow)
        print(f"wrote {out}: {len(samples)} samples")
    return 0


def _num_classes(result) -> int:
    """Classes a conditional run can be asked for: the data's classes, or InfoGAN's categorical values."""
    return getattr(result.latent, "n_cat", None) or result.spec.num_classes


def _sweep(result, args):
    import torch

    from ..conditioning import code_sweep, sweep_names
    from ..data import to_uint8

    latent = result.latent
    if not hasattr(latent, "n_cat"):
        raise GankitError(f"--sweep needs a model with latent codes (infogan); {result.config.model} has none")
    if args.sweep not in sweep_names(latent):
        raise GankitError(f"unknown code {args.sweep!r} for --sweep (use one of: {', '.join(sweep_names(latent))})")
    gen = torch.Generator().manual_seed(args.seed) if args.seed is not None else None
    z = code_sweep(latent, args.sweep, rows=max(1, args.n // 10), cols=10, generator=gen)
    with torch.no_grad():
        x = result.generator(z, None).float()
    cols = latent.n_cat if args.sweep == "cat" else 10
    return (to_uint8(x) if result.spec.kind == "image" else x), cols
