"""CLI subcommands, one module each. A module defines ``NAME``, ``HELP``, ``add_arguments(parser)``
and ``run(args) -> int``; add it to ``COMMANDS`` below to expose it as ``gankit NAME``."""

from . import (
    bench,
    classify,
    compare,
    datasets,
    eval,
    explore,
    features,
    models,
    report,
    sample,
    score,
    serve,
    train,
    translate,
)

COMMANDS = [train, sample, translate, classify, models, datasets, features, eval, score, compare, report, explore, serve, bench]
