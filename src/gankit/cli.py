"""Command line: parse arguments, call the API, print. No training logic lives here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import GankitError


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but errors in our one-line format: ``gankit: error: ... (see --help)``, exit 2."""

    def error(self, message: str):
        self.exit(2, f"gankit: error: {message} (see 'gankit {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"gankit: error: {message} (see 'gankit --help')\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gankit", description="Train, evaluate, compare and explore GANs.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a model (or --resume a run)")
    t.add_argument("--model", help="model name (see 'gankit models'); default dcgan")
    t.add_argument("--dataset", help="fashion-mnist, mnist, ring8, grid25 or a folder of images")
    t.add_argument("--data-root", help="folder holding the dataset files")
    t.add_argument("--image-size", type=_positive_int, help="resize images to N x N at load time")
    t.add_argument("--channels", type=int, choices=(1, 3), help="convert images to 1 (gray) or 3 (RGB) channels")
    t.add_argument("--steps", type=_positive_int, help="generator updates in total (default 2000)")
    t.add_argument("--epochs", type=_positive_float, help="passes over the data (sets --steps)")
    t.add_argument("--batch-size", type=_positive_int)
    t.add_argument("--arch", help="network: mlp or dcgan (model default otherwise)")
    t.add_argument("--width", type=_positive_int, help="network width (channels or hidden units)")
    t.add_argument("--z-dim", type=_positive_int)
    t.add_argument("--g-loss", help="generator loss: non-saturating (default) or minimax")
    t.add_argument("--n-critic", type=_positive_int, help="D updates per G update")
    t.add_argument("--lr-g", type=_positive_float)
    t.add_argument("--lr-d", type=_positive_float)
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="auto, cpu or cuda")
    t.add_argument("--precision", help="auto, fp32, bf16 or fp16 (CUDA)")
    t.add_argument("--sample-every", type=_positive_int, help="save a fixed-noise grid every N steps")
    t.add_argument("--checkpoint-every", type=_positive_int)
    t.add_argument("--log-every", type=_positive_int)
    t.add_argument("--config", help="YAML file of config keys; flags override it")
    t.add_argument("--out", help="run folder to create")
    t.add_argument("--resume", metavar="RUN", help="continue this run from its last checkpoint")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("sample", help="draw samples from a trained run")
    s.add_argument("run", help="run folder")
    s.add_argument("--n", type=_positive_int, default=64, help="number of samples (default 64)")
    s.add_argument("--out", required=True, help="grid.png (picture) or samples.npy (uint8 array)")
    s.add_argument("--seed", type=int, default=None)
    s.add_argument("--class", dest="label", type=int, default=None, help="class to sample (conditional models)")

    sub.add_parser("models", help="list the models")
    sub.add_parser("datasets", help="list the datasets")
    return p


TRAIN_KEYS = ("model", "dataset", "data_root", "image_size", "channels", "steps", "epochs", "batch_size",
              "arch", "width", "z_dim", "g_loss", "n_critic", "lr_g", "lr_d", "seed", "device", "precision",
              "sample_every", "checkpoint_every", "log_every")


def cmd_train(args) -> int:
    from .api import train

    overrides = {k: getattr(args, k) for k in TRAIN_KEYS}
    if args.resume:
        run = train(resume=args.resume, quiet=args.quiet, **overrides)
    else:
        run = train(args.config, out=args.out, overwrite=args.overwrite, quiet=args.quiet, **overrides)
    print(f"run folder: {run.path}")
    print(f"samples:    {run.path / 'samples' / 'final.png'}")
    return 0


def cmd_sample(args) -> int:
    import numpy as np

    from .api import load_run
    from .viz import save_samples_picture

    run = load_run(args.run)
    if args.label is not None:
        if run.spec.num_classes == 0 or not run.config.model in _conditional_models():
            raise GankitError(f"--class needs a class-conditional model; {run.config.model} is unconditional")
        if not 0 <= args.label < run.spec.num_classes:
            raise GankitError(f"--class must be in 0..{run.spec.num_classes - 1}, not {args.label}")
    out = Path(args.out)
    if out.suffix.lower() not in (".png", ".npy"):
        raise GankitError(f"--out must end in .png (a grid) or .npy (an array), not {out.name!r}")
    samples = run.sample(args.n, seed=args.seed, labels=args.label)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".npy":
        array = samples.numpy()
        if run.spec.kind == "image":
            array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
        np.save(out, array)
        print(f"wrote {out}: {array.dtype} array of shape {array.shape}")
    else:
        save_samples_picture(samples, run.spec.kind, out)
        print(f"wrote {out}: {args.n} samples")
    return 0


def _conditional_models() -> set[str]:
    from .models import MODELS

    return {name for name, info in MODELS.items() if info.conditional}


def cmd_models(args) -> int:
    from .models import MODELS

    for info in MODELS.values():
        print(f"{info.name:10s} {info.summary}  [{info.paper}]")
        print(f"{'':10s} loss: {info.loss}")
        defaults = info.defaults
        print(f"{'':10s} defaults: arch={defaults['arch']} z_dim={defaults['z_dim']} n_critic={defaults['n_critic']} "
              f"G {defaults['optim_g']} lr {defaults['lr_g']:g} betas {tuple(defaults['betas_g'])}, "
              f"D {defaults['optim_d']} lr {defaults['lr_d']:g} betas {tuple(defaults['betas_d'])}")
    return 0


def cmd_datasets(args) -> int:
    from .data import DATASETS

    for name, description in DATASETS.items():
        print(f"{name:14s} {description}")
    return 0


COMMANDS = {"train": cmd_train, "sample": cmd_sample, "models": cmd_models, "datasets": cmd_datasets}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("gankit: interrupted (the last checkpoint is kept; continue with --resume)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
