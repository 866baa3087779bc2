"""``gankit train --nproc N``: the same command re-run as N processes under torchrun, on this machine.

It is torchrun (``torch.distributed.run``) called in-process with ``--standalone`` (a local
rendezvous on a free port), so there is nothing of gankit's own between the processes; it only
saves typing ``torchrun --standalone --nproc_per_node=N -m gankit train ...`` and turns a failed
worker into gankit's own exit code (2: bad input, 3: diverged) instead of torchrun's report.
"""

from __future__ import annotations

import logging
import os

from .distributed import launched, per_rank_batch
from .errors import GankitError


def without_nproc(argv: list[str]) -> list[str]:
    """``argv`` minus ``--nproc N`` / ``--nproc=N`` (the children are the N processes)."""
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--nproc":
            skip = True
            continue
        if arg.startswith("--nproc="):
            continue
        out.append(arg)
    return out


def relaunch(nproc: int, batch_size: int | None, argv: list[str]) -> int:
    if launched():
        raise GankitError("--nproc starts the processes itself, and this one is already one of several "
                          "(drop --nproc when launching with torchrun)")
    if batch_size is not None:
        per_rank_batch(batch_size, nproc)  # fail here, before starting anything
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import parse_args, run

    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    from . import provenance

    os.environ[provenance.COMMAND_ENV] = provenance.command_line()  # the workers record the user's command, --nproc too
    logging.getLogger("torch.distributed.elastic").setLevel(logging.CRITICAL)  # the workers print their own errors
    config = parse_args(["--standalone", f"--nproc_per_node={nproc}", "-m", "gankit", *without_nproc(argv)])
    try:
        run(config)
    except ChildFailedError as e:
        _, failure = e.get_first_failure()
        code = failure.exitcode
        return code if isinstance(code, int) and code > 0 else 1
    finally:
        os.environ.pop(provenance.COMMAND_ENV, None)
    return 0

