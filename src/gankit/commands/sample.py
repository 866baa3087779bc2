"""gankit sample: draw samples from a trained run, as a picture (.png) or an array (.npy); a sound run
also as a folder of WAV clips, a text run as lines of a .txt file."""

from pathlib import Path

from ..errors import GankitError
from ..safe_write import atomic_output, check_output_file
from .argtypes import positive_int, seed

NAME = "sample"
HELP = "draw samples from a trained run"
#: the most samples one picture shows: a 100 x 100 grid (or scatter of 10k points), beyond which the tiles
#: are too small to look at and the PNG grows to gigabytes; more samples go to an .npy array
MAX_PICTURE = 10_000


def add_arguments(s) -> None:
    s.add_argument("run", help="run folder")
    s.add_argument("--n", type=positive_int, default=64, help="number of samples (default 64)")
    s.add_argument("--out", required=True,
                   help="grid.png (picture) or samples.npy (uint8 array); sound runs: a folder (clips/) of WAV "
                        "files, .png (spectrograms) or .npy (float waves); text runs: samples.txt (one per line), "
                        ".png or .npy (token ids)")
    s.add_argument("--seed", type=seed, default=0,
                   help="which z to draw (default 0, as gankit eval: the same samples every time; another seed, "
                        "e.g. --seed 1, draws others)")
    s.add_argument("--class", dest="label", type=int, default=None,
                   help="class to sample (conditional models; default: one row per class)")
    s.add_argument("--text", action="append", metavar="CAPTION", default=None,
                   help="text2image: the caption to draw (repeatable: one row of --n // K images per caption)")
    s.add_argument("--sweep", metavar="CODE", default=None,
                   help="InfoGAN: vary one code along each row, others fixed: cat, c1 or c2 (grid of --n // 10 rows)")
    s.add_argument("--truncation", type=float, metavar="PSI", default=None,
                   help="truncation trick on z: shrink z <- psi*z (psi in (0, 1]) or, with --truncation-method "
                        "resample, redraw |z_i| > psi; stylegan: in W, w <- w_avg + psi (w - w_avg)")
    s.add_argument("--truncation-method", default="shrink", choices=("shrink", "resample"),
                   help="shrink (default) or resample: how --truncation acts (see --truncation)")
    s.add_argument("--truncation-cutoff", type=positive_int, metavar="K", default=None,
                   help="stylegan (which truncates in W, toward the average w): only the first K layers' styles")
    s.add_argument("--temperature", type=float, default=None, metavar="T",
                   help="text models: sampling temperature (below 1 safer and less varied, above 1 wilder; default 1)")
    s.add_argument("--overwrite", action="store_true", help="replace --out if it exists (never a run's own files)")
    s.add_argument("--no-ema", dest="ema", action="store_false",
                   help="sample the raw G even where the run keeps an EMA copy of it (--ema)")


def run(args) -> int:
    import numpy as np

    from ..api import load_run
    from ..games.sampler import check_truncation, class_rows
    from ..viz import save_samples_picture

    result = load_run(args.run)
    out = Path(args.out)
    kind = result.spec.kind
    if args.temperature is not None and kind != "text":
        raise GankitError(f"--temperature is for text models, and {result.config.model} makes {kind}s (drop --temperature)")
    if args.temperature is not None and not args.temperature > 0:
        raise GankitError(f"--temperature must be > 0, not {args.temperature} (e.g. 0.8; 1 samples the model as it is)")
    if kind == "audio" and out.suffix.lower() not in (".png", ".npy"):
        return _clips(result, out, args)
    if kind == "text" and out.suffix.lower() == ".txt":
        return _texts(result, out, args)
    if out.suffix.lower() not in (".png", ".npy"):
        if kind == "text":
            raise GankitError(f"--out must end in .txt, .png or .npy, not {out.name!r} (.txt for one text per line, "
                              ".png for a picture, .npy for token ids)")
        raise GankitError(f"--out must end in .png or .npy, not {out.name!r} (.png for a grid picture, .npy for a uint8 array)")
    if out.suffix.lower() == ".png" and args.n > MAX_PICTURE:
        raise GankitError(f"--n {args.n} is too many samples for one picture (at most {MAX_PICTURE}, a 100 x 100 "
                          f"grid; write more to an array: --out {out.with_suffix('.npy').name})")
    check_output(out, args.overwrite)
    check_truncation(args.truncation, args.truncation_method)
    sampler = result.sampler(ema=args.ema)
    if hasattr(sampler, "latent"):  # before any branch allocates n of anything (a translation run has no samples)
        sampler.check_count(args.n)
    if args.label is not None:
        if not getattr(sampler, "conditional", False):
            raise GankitError(f"--class needs a class-conditional model, and {result.config.model} is unconditional (drop --class, or train cgan, acgan, biggan...)")
        if not 0 <= args.label < sampler.num_classes:
            raise GankitError(f"--class must be in 0..{sampler.num_classes - 1}, not {args.label} (the run has {sampler.num_classes} classes)")
    opts = dict(truncation=args.truncation, truncation_method=args.truncation_method)
    if kind in ("audio", "text"):
        opts = _media_opts(args)
    if args.truncation_cutoff is not None:
        opts["truncation_cutoff"] = args.truncation_cutoff
    nrow = None
    if args.text is not None:
        samples, nrow = _captions(result, sampler, args, opts)
    elif args.sweep is not None:
        samples, nrow = _sweep(result, sampler, args, opts)
    elif getattr(sampler, "conditional", False) and args.label is None:
        # one row per class (class-sorted rows in an .npy too)
        labels, nrow = class_rows(args.n, sampler.num_classes)
        samples = sampler.generate(sampler.fixed_inputs(args.n, args.seed, labels), **opts)
    else:
        samples = sampler.generate(sampler.fixed_inputs(args.n, args.seed, args.label), **opts)
    if out.suffix.lower() == ".npy":
        array = samples.numpy()
        if result.spec.kind == "image":
            array = array[:, 0] if array.shape[1] == 1 else array.transpose(0, 2, 3, 1)
        with atomic_output(out) as tmp, open(tmp, "wb") as f:  # a file object: np.save adds no .npy of its own
            np.save(f, array)
        print(f"wrote {out}: {array.dtype} array of shape {array.shape}")
    else:
        save_samples_picture(samples, result.spec.kind, out, nrow=nrow, spec=result.spec)
        print(f"wrote {out}: {len(samples)} samples")
    return 0


def _media_opts(args) -> dict:
    """Sound and text samplers take no truncation; text ones a temperature."""
    if args.truncation is not None or args.truncation_cutoff is not None:
        raise GankitError("--truncation is for image and point models (drop it; text models take --temperature)")
    return {} if args.temperature is None else {"temperature": args.temperature}


def _media_samples(result, args):
    sampler = result.sampler(ema=args.ema)
    if args.text is not None or args.sweep is not None:
        raise GankitError(f"--text and --sweep are for image models (drop them for {result.config.model})")
    if args.label is not None:
        if not getattr(sampler, "conditional", False):
            raise GankitError(f"--class needs a class-conditional model, and {result.config.model} is unconditional (drop --class)")
        if not 0 <= args.label < sampler.num_classes:
            raise GankitError(f"--class must be in 0..{sampler.num_classes - 1}, not {args.label} (the run has {sampler.num_classes} classes)")
    return sampler.generate(sampler.fixed_inputs(args.n, args.seed, args.label), **_media_opts(args))


def _clips(result, out: Path, args) -> int:
    """A sound run's samples as ``clip_000.wav``... in the folder ``out`` (made if missing)."""
    from ..viz.media import sample_rate_of, save_clips

    if out.suffix:
        raise GankitError(f"--out {out.name} is not a folder, .png or .npy (give a folder for WAV clips, e.g. --out clips/)")
    if out.exists() and not out.is_dir():
        raise GankitError(f"--out {out} is a file (give a folder for the WAV clips)")
    if out.is_dir() and any(out.glob("clip_*.wav")) and not args.overwrite:
        raise GankitError(f"{out} already holds clips (pass --overwrite to replace them, or choose another --out)")
    check_output(out / "clip_000.wav", args.overwrite)
    rate = sample_rate_of(result.spec)
    paths = save_clips(_media_samples(result, args), out, rate)
    print(f"wrote {len(paths)} WAV clips ({rate} Hz) to {out}")
    return 0


def _texts(result, out: Path, args) -> int:
    from ..viz.media import decode_texts, save_texts

    check_output(out, args.overwrite)
    texts = decode_texts(_media_samples(result, args), result.spec)
    save_texts(texts, out)
    print(f"wrote {out}: {len(texts)} texts")
    return 0


def check_output(out: Path, overwrite: bool) -> None:
    """Refuse to replace a file unless ``--overwrite``, and never a file of a run folder (its grids,
    checkpoints and records are what the run is)."""
    for folder in [out.parent.resolve(), *out.parent.resolve().parents]:
        if (folder / "config.yaml").is_file() and (folder / "checkpoints").is_dir():
            raise GankitError(f"--out {out} is inside the run folder {folder} (write samples outside it, e.g. "
                              f"--out {folder.name}-{out.name})")
    if out.is_dir():
        raise GankitError(f"--out {out} is a folder (give a file name ending in .png or .npy)")
    if out.exists() and not overwrite:
        raise GankitError(f"{out} already exists (pass --overwrite to replace it, or choose another --out)")
    check_output_file(out)  # a file in the way, a read-only folder: before any sample is drawn


def _sweep(result, sampler, args, opts):
    import torch

    from ..conditioning import code_sweep, sweep_names

    latent = result.latent
    if not sampler.codes:
        raise GankitError(f"--sweep needs a model with latent codes, and {result.config.model} has none (train infogan to sweep codes)")
    if args.sweep not in sweep_names(latent):
        raise GankitError(f"unknown code {args.sweep!r} for --sweep (use one of: {', '.join(sweep_names(latent))})")
    gen = torch.Generator().manual_seed(args.seed)
    z = code_sweep(latent, args.sweep, rows=max(1, args.n // 10), cols=10, generator=gen)
    cols = latent.n_cat if args.sweep == "cat" else 10
    return sampler.generate({"z": z, "y": None}, **opts), cols


def _captions(result, sampler, args, opts):
    """``--n`` images of the ``--text`` captions, one row per caption (``--n`` split evenly)."""
    if not hasattr(sampler, "captions"):
        raise GankitError(f"--text needs a text-to-image model, and {result.config.model} draws no captions (use --class, or a text2image run)")
    if args.label is not None or args.sweep is not None:
        raise GankitError("--text says what to draw on its own (drop --class and --sweep)")
    per_row = max(1, args.n // len(args.text))
    texts = [t for t in args.text for _ in range(per_row)]
    inputs = sampler.fixed_inputs(len(texts), args.seed, texts=texts)
    return sampler.generate(inputs, **opts), per_row
