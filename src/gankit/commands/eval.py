"""gankit eval: measure a trained run (FID, KID, IS, PR/DC, SWD, coverage, ...) and write eval.json.

Features come from the domain classifier shipped with gankit (offline); --extractor inception
uses torch-fidelity's Inception-v3 (downloaded, or --inception-weights PATH) and falls back to
the classifier with a one-line message when the weights cannot be had.
"""

from pathlib import Path

from ..safe_write import check_output_file
from .argtypes import positive_int, seed

NAME = "eval"
HELP = "evaluate a run: FID, KID, IS, precision/recall, SWD, coverage... (writes eval.json)"


def add_arguments(p) -> None:
    from ..metrics.evaluate import METRICS

    p.add_argument("run", help="run folder")
    p.add_argument("--n", type=positive_int, default=None,
                   help="samples to draw (default 10000; translation runs: test inputs, default all)")
    p.add_argument("--metrics", default=None,
                   help=f"comma-separated, default all that apply: {','.join(METRICS)}")
    p.add_argument("--seed", type=seed, default=0, help="sampling seed (default 0)")
    p.add_argument("--split", default="test", choices=("test", "train"), help="real data to compare with (default test)")
    p.add_argument("--extractor", default="auto", choices=("auto", "classifier", "inception"),
                   help="feature network (auto: Inception if --inception-weights is given, else the classifier)")
    p.add_argument("--classifier", help="domain classifier weights file (default: the shipped or trained one)")
    p.add_argument("--inception-weights", help="local Inception-v3 weights file (torch-fidelity format)")
    p.add_argument("--no-cache", action="store_true", help="recompute the real-data features")
    p.add_argument("--no-ema", dest="ema", action="store_false",
                   help="evaluate the raw G even where the run keeps an EMA copy of it")
    p.add_argument("--truncation", type=float, metavar="PSI", help="evaluate truncated samples (see gankit sample)")
    p.add_argument("--truncation-method", default="shrink", choices=("shrink", "resample"),
                   help="shrink: z <- psi*z (default); resample: redraw |z_i| > psi (BigGAN)")
    p.add_argument("--json", action="store_true", help="print the result as JSON instead of a table")


def run(args) -> int:
    import json

    from ..games.sampler import check_truncation
    from ..metrics.evaluate import check_sample_count, evaluate
    from ..metrics.table import metric_table

    check_truncation(args.truncation, args.truncation_method)
    if Path(args.run).is_dir():  # eval.json goes into the run: a read-only run fails now, not after sampling
        check_output_file(Path(args.run) / "eval.json", "the run's")
    if _translation_run(args.run):
        return _evaluate_translation(args)
    if _media_run(args.run):
        return _evaluate_media(args)
    if args.n is not None:
        check_sample_count(args.n, args.metrics, "--n")
    result = evaluate(args.run, args.metrics, n=args.n or 10000, seed=args.seed, split=args.split, extractor=args.extractor,
                      classifier=args.classifier, inception_weights=args.inception_weights,
                      use_cache=not args.no_cache, ema=args.ema, truncation=args.truncation,
                      truncation_method=args.truncation_method)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    info = result["info"]
    rule = f" ({info['split_rule']})" if info.get("split_rule") else ""
    print(f"{info['model']} on {info['dataset']}, step {info['step']}: {info['n']} samples vs {info['n_real']} "
          f"{info['split']} images{rule}, features: {info['extractor']['id']}")
    print(metric_table(result["metrics"]))
    print(f"({result['seconds']['total']:.1f} s; written to {args.run}/eval.json)")
    return 0


def _translation_run(path) -> bool:
    from ..api import load_run
    from ..data.pairs import is_translation

    return is_translation(load_run(path).spec)


def _media_run(path) -> bool:
    from ..api import load_run
    from ..media_eval import is_media_run

    return is_media_run(load_run(path).spec)


def _evaluate_media(args) -> int:
    """Sound and text runs: their own scores, each beside the real data's (gankit.media_eval)."""
    import json

    from ..errors import GankitError
    from ..media_eval import evaluate_media, media_table

    for flag, given in (("--metrics", args.metrics), ("--classifier", args.classifier),
                        ("--inception-weights", args.inception_weights), ("--truncation", args.truncation)):
        if given is not None:
            raise GankitError(f"{flag} is for image runs; a sound or text run has its own scores (drop {flag})")
    if args.split != "test" or args.extractor != "auto":
        raise GankitError("a sound or text run is scored against its test split with its own classifier "
                          "(drop --split and --extractor)")
    result = evaluate_media(args.run, n=args.n, seed=args.seed, ema=args.ema)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    info = result["info"]
    print(f"{info['model']} on {info['dataset']}, step {info['step']}: {info['n']} samples; real data: {info['baseline']}")
    print(media_table(result))
    print(f"({result['seconds']['total']:.1f} s; written to {args.run}/eval.json)")
    return 0


def _evaluate_translation(args) -> int:
    """Translation runs: the paired or unpaired metrics, each beside its baseline (gankit.translation_eval)."""
    import json

    from ..translation_eval import evaluate_translation, translation_table

    result = evaluate_translation(args.run, n=args.n, split=args.split)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    info = result["info"]
    print(f"{info['model']} on {info['dataset']}, step {info['step']}: {info['n']} {info['split']} inputs "
          f"({info['translation']}); baseline: {info['baseline']}")
    print(translation_table(result))
    print(f"({result['seconds']['total']:.1f} s; written to {args.run}/eval.json)")
    return 0
