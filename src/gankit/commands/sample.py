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
        if not 0 <= args.label < result.spec.num_classes:
            raise GankitError(f"--class must be in 0..{result.spec.num_classes - 1}, not {args.label}")
    samples = result.sample(args.n, seed=args.seed, labels=args.label)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".npy":
        array = samples.numpy()
        if result.spec.kind == "image":
            array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
        np.save(out, array)
        print(f"wrote {out}: {array.dtype} array of shape {array.shape}")
    else:
        save_samples_picture(samples, result.spec.kind, out)
        print(f"wrote {out}: {args.n} samples")
    return 0
