"""argparse value types that reject bad numbers with a message naming the allowed range.

Each type runs while the command line is parsed, so a bad value is refused before any data is
read or any tensor allocated; the parser prints it as one line ending in ``(see 'gankit X --help')``.
"""

import argparse
import math
import os

from ..config import SEED_LIMITS

#: a seed indexes torch's 64-bit generators; gankit derives more seeds from it (seed + step, seed + row,
#: seed + 10007), so the upper half of the 64 bits is kept free for those offsets (the same bound as a
#: config's ``seed``, :data:`gankit.config.SEED_LIMITS`). Negative seeds were aliases of seeds in that
#: upper half (torch reads -1 as 2**64 - 1), so they are refused too.
SEED_LIMIT = SEED_LIMITS["seed"]


def positive_int(text: str) -> int:
    value = _integer(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {value}")
    return value


def at_most(limit: int, why: str):
    """A positive integer type capped at ``limit``; ``why`` says what the cap protects, for the message."""

    def bounded(text: str) -> int:
        value = positive_int(text)
        if value > limit:
            raise argparse.ArgumentTypeError(f"{value} is above the limit of {limit} ({why}); use 1..{limit}")
        return value

    bounded.__name__ = f"at_most_{limit}"
    return bounded


def process_count(text: str) -> int:
    """``--nproc``: at most one training process per CPU core (GPU machines have more cores than GPUs),
    so a typo cannot start thousands of processes."""
    value = positive_int(text)
    cores = os.cpu_count() or 1
    if value > cores:
        raise argparse.ArgumentTypeError(f"{value} processes is more than this machine's {cores} CPU cores "
                                         f"(use 1..{cores}: one process per core or GPU)")
    return value


def seed(text: str) -> int:
    """A seed of any command: an integer in [0, 2**63) (see :data:`SEED_LIMIT`)."""
    value = _integer(text)
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(f"a seed must be an integer in [0, 2**63), not {value} (e.g. 0)")
    return value


def positive_float(text: str) -> float:
    value = _finite(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, not {text}")
    return value


def non_negative_float(text: str) -> float:
    value = _finite(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, not {text}")
    return value


def name_value(text: str) -> tuple[str, int | float | str]:
    """``NAME=VALUE`` for ``--param``: VALUE as an int or float where it reads as one, else as text
    (the recipe converts it to its param's type, or says why it cannot, inf and nan included)."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE (e.g. gamma=0.5)")
    value = value.strip()
    for kind in (int, float):
        try:
            return name.strip(), kind(value)
        except ValueError:
            pass
    return name.strip(), value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


def _finite(text: str) -> float:
    """A number other than inf and nan: float() reads both, and no rate, weight or length means them
    (an infinite learning rate or noise ends in a NaN run, an infinite --epochs in an overflow)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value
