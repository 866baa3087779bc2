"""User-facing errors.

Anything a user can fix (a wrong path, a bad option, a broken image) is raised as a
:class:`GankitError`. The CLI prints it as one line, ``gankit: error: <what> (<how to fix>)``,
and exits with code 2, so that a typo never ends in a traceback.
"""


class GankitError(Exception):
    """An error caused by user input; its message says what is wrong and how to fix it."""

    exit_code = 2


class TrainingDiverged(GankitError):
    """Training produced NaN/inf; the last good checkpoint is kept (exit code 3)."""

    exit_code = 3


class DistributedError(GankitError):
    """The training processes lost each other or disagree (a hang timed out, a peer died); exit code 1."""

    exit_code = 1
