"""gankit explore: walk a trained generator's latent space. Writes PNG grids and GIFs into
--out (default RUN/explore/): spherical interpolation between seeds, a random walk, class rows
and class interpolation (conditional models), code sweeps (InfoGAN), truncation rows, latent
arithmetic ("1,2,3 - 4,5,6 + 7,8,9": each operand is the average z of those seeds) and, for a
style-based G, the style-mixing matrix and interpolation in W.
With no picture chosen, it draws every picture the model supports. Pictures an earlier explore
left in --out are kept: explore refuses to replace them unless --overwrite."""

import argparse
import sys
from pathlib import Path

from .argtypes import at_most, positive_int, seed
from ..safe_write import check_no_symlink, check_output_file, check_output_folder, make_folder, write_text

NAME = "explore"
HELP = "latent space: interpolation, random walk, class rows, code sweeps, truncation, arithmetic, style mixing"
#: every picture is decoded in one piece: at most 100 columns (a row wider than that is no longer readable)
#: and 100 rows of them, and 1000 frames of random walk (80 s of GIF at 80 ms a frame)
MAX_COLUMNS, MAX_ROWS, MAX_FRAMES = 100, 100, 1000
DEFAULT_COLUMNS = 10


def add_arguments(p) -> None:
    p.add_argument("run", help="run folder")
    p.add_argument("--out", help="folder for the pictures (default RUN/explore)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace pictures an earlier explore left in --out (without it, explore refuses to)")
    p.add_argument("--interpolate", action="store_true", help="slerp between seeds: grid + GIF")
    p.add_argument("--walk", action="store_true", help="a random walk in z: GIF + strip")
    p.add_argument("--classes", action="store_true", help="class rows and class interpolation (conditional models)")
    p.add_argument("--codes", action="store_true", help="sweep each latent code (infogan)")
    p.add_argument("--arithmetic", metavar="EXPR",
                   help='latent arithmetic over averaged seeds, e.g. "1,2,3 - 4,5,6 + 7,8,9"')
    p.add_argument("--truncation", type=float, metavar="PSI",
                   help="truncation trick on every z drawn here (stylegan: on every w), and a grid comparing psi values")
    p.add_argument("--truncation-method", default="shrink", choices=("shrink", "resample"),
                   help="shrink: z <- psi*z towards the mean (default); resample: redraw |z_i| > psi (BigGAN)")
    p.add_argument("--truncation-cutoff", type=positive_int, metavar="K",
                   help="stylegan: truncate the styles of the first K layers only (the coarse ones)")
    p.add_argument("--style-mix", nargs=2, metavar=("ROW_SEEDS", "COL_SEEDS"),
                   help="stylegan: the style-mixing matrix; each cell is a column seed with some layers' styles from "
                        "its row seed (coarse, middle and fine matrices, or one crossover with --cutoff)")
    p.add_argument("--cutoff", type=int, metavar="K",
                   help="with --style-mix: the row seed gives the styles of layers 0..K-1, the column seed the rest")
    p.add_argument("--space", choices=("z", "w"), default="z",
                   help="interpolate in z (slerp, default) or, for stylegan, in W (lerp between the seeds' w)")
    p.add_argument("--truncation-sweep", action="store_true",
                   help="the truncation trade-off: FID, precision/recall (and class accuracy) for psi 0.2..1.0 "
                        "with --truncation-method, as truncation_sweep.png and .json (needs the domain classifier)")
    p.add_argument("--sweep-n", type=positive_int, default=5000,
                   help="samples per psi of --truncation-sweep (default 5000)")
    p.add_argument("--psis", default="0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0",
                   help="psi values of --truncation-sweep (default 0.2 to 1.0 by 0.1)")
    p.add_argument("--seeds", default="0,1,2,3,4,5", help="seeds for interpolation endpoints (default 0,1,2,3,4,5)")
    columns = at_most(MAX_COLUMNS, "columns of one picture")
    p.add_argument("--columns", type=columns, default=None,
                   help=f"columns of each picture: interpolation steps, sweep values, seeds per class / psi row "
                        f"(default {DEFAULT_COLUMNS}, at most {MAX_COLUMNS})")
    # the old name, which read as training steps: still accepted, with a note
    p.add_argument("--steps", dest="old_steps", type=columns, default=None, help=argparse.SUPPRESS)
    p.add_argument("--rows", type=at_most(MAX_ROWS, "rows of one picture"), default=6,
                   help=f"rows of class / code pictures (default 6, at most {MAX_ROWS})")
    p.add_argument("--frames", type=at_most(MAX_FRAMES, "frames of one GIF"), default=60,
                   help=f"frames of the random walk (default 60, at most {MAX_FRAMES})")
    p.add_argument("--class", dest="label", type=int, default=None, help="class for conditional models (default 0)")
    p.add_argument("--between", default=None, metavar="A,B", help="classes to interpolate between (default 0,1)")
    p.add_argument("--seed", type=seed, default=0,
                   help="seed of the walk and of the class / code / truncation rows (default 0)")
    p.add_argument("--no-ema", dest="ema", action="store_false",
                   help="explore the raw G even where the run keeps an EMA copy of it (--ema)")


def run(args) -> int:
    from ..api import load_run
    from ..errors import GankitError
    from ..viz.gif import save_gif, tensor_frames, upscaled
    from ..viz.grid import save_image_grid
    from ..viz.latent import TRUNCATION_METHODS, LatentExplorer, parse_arithmetic, parse_integers, parse_seeds
    from ..metrics.evaluate import check_sample_count

    if args.truncation_sweep:
        check_sample_count(args.sweep_n, "fid,pr", "--sweep-n")  # the metrics of the sweep (gankit.evaluation)
    result = load_run(args.run)
    ex = LatentExplorer(result, args.truncation, args.truncation_method, ema=args.ema, cutoff=args.truncation_cutoff,
                        space=args.space)
    if args.truncation_sweep:
        ex.sampler.check_count(args.sweep_n, "--sweep-n")
    out = Path(args.out) if args.out else result.path / "explore"
    check_no_symlink(out, result.path if result.path.resolve() in out.resolve().parents else None)
    check_output_folder(out)  # a file in the way or a read-only folder: before any picture is drawn
    columns = _columns(args)
    chosen = (args.interpolate or args.walk or args.classes or args.codes or args.arithmetic or args.truncation_sweep
              or args.style_mix)
    if args.cutoff is not None and not args.style_mix:
        raise GankitError("--cutoff is the crossover of --style-mix (add --style-mix ROW_SEEDS COL_SEEDS)")
    if args.label is not None and ex.conditional and not 0 <= args.label < ex.num_classes:
        raise GankitError(f"--class must be in 0..{ex.num_classes - 1}, not {args.label} (the run has {ex.num_classes} classes)")
    terms = parse_arithmetic(args.arithmetic) if args.arithmetic else None
    seeds = parse_seeds(args.seeds)
    interpolate, walk = args.interpolate or not chosen, args.walk or not chosen
    classes = args.classes or (not chosen and ex.conditional)
    codes = args.codes or (not chosen and ex.codes)
    bands = None
    if args.style_mix or (not chosen and ex.in_w):
        mix_rows, mix_cols = (parse_seeds(t) for t in (args.style_mix or ("1,2,3,4", "5,6,7,8,9")))
        bands = {f"crossover {args.cutoff}": (0, args.cutoff)} if args.cutoff is not None else ex.style_bands()
    names = []
    if interpolate:
        names += ["interpolation.png", "interpolation.gif"]
    if walk:
        names += ["walk.gif", "walk.png"]
    if classes:
        names += ["classes.png", "class_interpolation.png"]
    if codes:  # the names LatentExplorer.code_sweeps gives its grids
        names += ["code_categorical.png"] + [f"code_continuous{j + 1}.png" for j in range(getattr(ex.latent, "n_cont", 0))]
    if args.truncation is not None:
        names.append("truncation.png")
    if terms:
        names.append("arithmetic.png")
    if bands:
        names += ["style_mix.png"] if args.cutoff is not None else [f"style_mix_{b}.png" for b in bands]
    if args.truncation_sweep:
        names += ["truncation_sweep.png", "truncation_sweep.json"]
    check_fresh(out, names, args.overwrite)
    written = []

    def grid(images, name, nrow, **labels):
        written.append(save_image_grid(images, out / name, nrow=nrow, **labels))

    def gif(frames, name):  # frames enlarged: a 28x28 sample is a speck at its own size
        written.append(save_gif(upscaled(tensor_frames([f[None] for f in frames], nrow=1)), out / name,
                                frame_ms=80, last_ms=80))

    if args.truncation is not None:
        print(f"truncation: psi={args.truncation}, {args.truncation_method}: "
              f"{TRUNCATION_METHODS[args.truncation_method]}")
    if interpolate:
        images, cols, frames = ex.interpolation(seeds, columns, label=args.label)
        grid(images, "interpolation.png", cols)
        gif(frames, "interpolation.gif")
    if walk:
        frames = ex.random_walk(args.seed, args.frames, label=args.label)
        gif(frames, "walk.gif")
        grid(frames[:: max(1, len(frames) // 10)][:10], "walk.png", 10)
    if classes:
        grid(ex.class_rows(columns, args.seed), "classes.png", columns)
        a, b = (parse_integers(args.between, "classes", "--between 3,7") + [None])[:2] if args.between else (0, 1)
        if b is None:
            raise GankitError("--between needs two classes (e.g. --between 3,7)")
        try:
            grid(ex.class_interpolation(a, b, columns, args.rows, args.seed), "class_interpolation.png", columns)
        except GankitError as e:
            if args.classes:
                raise
            print(f"skipped class interpolation: {e}")
    if codes:
        for name, images in ex.code_sweeps(args.rows, columns, args.seed).items():
            grid(images, f"{name}.png", len(images) // args.rows)
    if args.truncation is not None:
        psis = sorted({1.0, args.truncation, *(round(args.truncation * k, 3) for k in (0.5, 0.0))}, reverse=True)
        if args.truncation_method == "resample":
            psis = sorted({3.0, args.truncation, max(args.truncation / 2, 0.1)}, reverse=True)
        space = "w" if ex.in_w else "z"
        grid(ex.truncation_rows(psis, columns, args.seed), "truncation.png", columns,
             caption=f"truncation in {space} ({args.truncation_method}): a row per psi,\n"
                     f"seeds {args.seed}..{args.seed + columns - 1} across",
             row_labels=[f"psi {p:g}" for p in psis])
        print(f"truncation.png rows: psi = {', '.join(str(p) for p in psis)}")
    if terms:
        images, cols = ex.arithmetic(terms, label=args.label)
        grid(images, "arithmetic.png", cols, caption="a row per operand: its seeds, their average z (right);\n"
                                                     "result: +-0.25 noise, the exact result (right)",
             row_labels=_term_labels(terms))
        print("arithmetic.png: one row per operand (its seeds, then their average z at the right), "
              "last row: the result with +-0.25 noise, the exact result at the right")
    for name, (lo, hi) in (bands or {}).items():
        file = "style_mix.png" if args.cutoff is not None else f"style_mix_{name}.png"
        grid(ex.style_mix(mix_rows, mix_cols, lo, hi), file, len(mix_cols) + 1)
        print(f"{file}: column seeds {mix_cols} (top row) with the styles of layers {lo}..{hi - 1} from row seeds "
              f"{mix_rows} (left column)")
    if args.truncation_sweep:
        written += _sweep(result, args, out)
    for p in written:
        print(f"wrote {p}")
    return 0


def _columns(args) -> int:
    """``--columns``, or the old ``--steps`` with a note (the name read as training steps)."""
    if args.old_steps is not None:
        print("gankit: note: --steps is now --columns (the columns of each picture; use --columns)", file=sys.stderr)
    return args.columns or args.old_steps or DEFAULT_COLUMNS


def check_fresh(out: Path, names: list[str], overwrite: bool) -> None:
    """Refuse, before anything is drawn, to replace pictures an earlier explore left in ``out``
    unless ``--overwrite`` (as ``gankit sample`` refuses an existing --out): pictures kept from a
    good exploration are not lost to a rerun with other flags."""
    from ..errors import GankitError

    for name in names:
        check_output_file(out / name)
    taken = [n for n in names if (out / n).exists() or (out / n).is_symlink()]
    if taken and not overwrite:
        shown = ", ".join(taken[:3]) + (f" and {len(taken) - 3} more" if len(taken) > 3 else "")
        raise GankitError(f"{out} already holds {shown} from an earlier explore (pass --overwrite to replace "
                          "them, or choose another --out)")


def _term_labels(terms: list[tuple[int, list[int]]]) -> list[str]:
    """Row labels of arithmetic.png: each operand's sign and seeds (long lists shortened), then the result."""
    labels = []
    for i, (sign, seeds) in enumerate(terms):
        text = ",".join(map(str, seeds)) if len(seeds) <= 4 else f"{seeds[0]},{seeds[1]},...,{seeds[-1]}"
        labels.append(("- " if sign < 0 else "+ " if i else "") + text)
    return labels + ["= result"]


def _sweep(run, args, out: Path) -> list[Path]:
    import json

    from ..evaluation import truncation_sweep
    from ..viz.truncation import plot_truncation_sweep

    from ..errors import GankitError

    try:
        psis = [float(p) for p in args.psis.split(",") if p.strip()]
    except ValueError:
        raise GankitError(f"--psis must be comma-separated numbers, not {args.psis!r} (e.g. --psis 0.2,0.5,1.0)") from None
    rows = truncation_sweep(run, psis, method=args.truncation_method, n=args.sweep_n, ema=args.ema)
    make_folder(out)
    table = out / "truncation_sweep.json"
    write_text(table, json.dumps({"method": args.truncation_method, "n": args.sweep_n, "ema": args.ema,
                                  "rows": rows}, indent=2) + "\n")
    for r in rows:
        extra = f"  class accuracy {r['class_accuracy']:.3f}" if "class_accuracy" in r else ""
        psi = "none" if r["psi"] is None else f"{r['psi']:.1f}"
        print(f"psi {psi:>4}: FID {r['fid']:8.2f}  precision {r['precision']:.3f}  recall {r['recall']:.3f}{extra}")
    title = f"{run.config.model} at step {run.step}, {args.truncation_method}, {args.sweep_n} samples per psi"
    return [plot_truncation_sweep(rows, out / "truncation_sweep.png", title), table]
