"""Ctrl-C and SIGTERM during training: finish the step, write a checkpoint at it, say where.

A single-process run asks :class:`StopRequest` after every step; the first SIGINT or SIGTERM only
sets the flag, so the step in flight ends, a checkpoint of exactly that step is written (atomically,
as always) and :class:`Interrupted` names it and the ``--resume`` command. A second signal stops at
once, without a checkpoint (the previous one, if any, is kept). A multi-process run keeps the default
behaviour (stop at once): the checkpoint is collective, and ranks that saw the signal at different
steps would wait for each other forever.
"""

from __future__ import annotations

import signal
import threading

from .errors import GankitError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(GankitError):
    """Training was stopped by SIGINT/SIGTERM (exit code 130, as a shell reports Ctrl-C)."""

    exit_code = 130


class StopRequest:
    """``with StopRequest() as stop: ... if stop.requested: ...``; handlers restored on exit."""

    def __init__(self, enabled: bool = True):
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.requested: str | None = None  # the signal's name once one arrived
        self._previous = {}

    def _handle(self, signum, frame):
        if self.requested is not None:  # the second one: stop now
            raise KeyboardInterrupt
        self.requested = signal.Signals(signum).name

    def __enter__(self) -> "StopRequest":
        if self.enabled:
            for sig in SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}
