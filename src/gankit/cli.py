"""Command line: parse arguments, call the API, print. No training logic lives here.

Each subcommand is a module in :mod:`gankit.commands`; this file only builds the parser and
turns :class:`GankitError` into the one-line ``gankit: error: ...`` with its exit code.
"""

from __future__ import annotations

import argparse
import sys

from . import provenance
from .errors import GankitError
from .stop_signals import Interrupted


class _Parser(argparse.ArgumentParser):
    """argparse, but errors in our one-line format, exit code 2."""

    def error(self, message: str):
        # prog is the whole command path ("gankit features train"), so nested commands point to their own help
        self.exit(2, f"gankit: error: {message} (see '{self.prog} --help')\n")


#: the (sub)commands that compute: each takes --threads, applied in :func:`main` before it runs
#: (compare computes with --evaluate)
COMPUTING = ("train", "sample", "translate", "classify", "eval", "score", "explore", "compare", "bench",
             "serve", "features train")
THREADS_HELP = ("torch threads per process (default: chosen by itself: torch's own, or fewer when the machine is "
                "busy or other gankit commands run; see gankit.threads; recorded in a run's config.yaml)")


def build_parser() -> argparse.ArgumentParser:
    from .commands import COMMANDS
    from .commands.argtypes import positive_int

    from . import __version__

    parser = _Parser(prog="gankit", description="Train, evaluate, compare and explore GANs.")
    parser.add_argument("--version", action="version", version=f"gankit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.NAME, help=command.HELP, description=command.__doc__))
    for path in COMPUTING:  # one definition for all of them, so no command module repeats it
        command = subparser(parser, path)
        if command is not None:
            command.add_argument("--threads", type=positive_int, metavar="N", help=THREADS_HELP)
    return parser


def subparser(parser: argparse.ArgumentParser, path: str) -> argparse.ArgumentParser | None:
    """The parser of the command ``path`` ("features train") under ``parser``; None if there is none."""
    for name in path.split():
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        parser = subs[0].choices.get(name) if subs else None
        if parser is None:
            return None
    return parser


def _innermost(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The deepest subcommand parser ``args`` went through ("gankit features train")."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs or getattr(args, subs[0].dest, None) not in subs[0].choices:
            return parser
        parser = subs[0].choices[getattr(args, subs[0].dest)]


def main(argv: list[str] | None = None) -> int:
    from .commands import COMMANDS

    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # said by the (sub)command that was given, so the message points to its own --help
        _innermost(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what --nproc re-runs under torchrun
    provenance.set_command(args.argv)  # recorded in a new run's config.yaml
    handlers = {command.NAME: command.run for command in COMMANDS}
    if hasattr(args, "threads"):  # a command that computes (COMPUTING)
        from .threads import apply_threads

        apply_threads(args.threads)
    try:
        return handlers[args.command](args)
    except Interrupted as e:
        print(f"gankit: interrupted: {e}", file=sys.stderr)
        return e.exit_code
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("gankit: interrupted at once (nothing was written for the step in flight; a run continues with "
              "--resume from its last checkpoint in RUN/checkpoints/, if one was written)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
