"""Honest evaluation: features (domain classifier, Inception-v3), FID, KID, IS, PR/DC, SWD,
coverage, conditional accuracy, memorization; ``evaluate(run)`` and ``fid_of_run(run)``.

The metric functions take feature tensors (or images, for SWD) and know nothing of training;
:func:`evaluate` draws samples from a run and writes ``eval.json``.
"""

from .evaluate import METRICS, evaluate, evaluate_samples, fid_of_run, parse_metrics
from .fid import fid, frechet_distance, statistics
from .inception_score import inception_score
from .kid import kid
from .prdc import prdc
from .swd import swd

__all__ = ["METRICS", "evaluate", "evaluate_samples", "fid", "fid_of_run", "frechet_distance",
           "inception_score", "kid", "parse_metrics", "prdc", "statistics", "swd"]
