"""Honest evaluation: features (domain classifier, Inception-v3), FID, KID, IS, PR/DC, SWD,
coverage, conditional accuracy, memorization.

The metric functions take feature tensors (or images, for SWD) and know nothing of training;
each is registered by name (:func:`register_metric`) and :func:`evaluate_samples` runs them.
``evaluate(run)`` and ``fid_of_run(run)``, which draw samples from a run, live in
:mod:`gankit.evaluation` and are re-exported here.
"""

# .evaluate first: it imports the metric modules in the order METRICS lists them
from .evaluate import METRICS, evaluate, evaluate_samples, fid_of_run, parse_metrics
from .fid import fid, frechet_distance, statistics
from .inception_score import inception_score
from .kid import kid
from .prdc import prdc
from .registry import register_metric
from .swd import swd

__all__ = ["METRICS", "evaluate", "evaluate_samples", "fid", "fid_of_run", "frechet_distance",
           "inception_score", "kid", "parse_metrics", "prdc", "register_metric", "statistics", "swd"]
