"""Command line: parse arguments, call the API, print. No training logic lives here.

Each subcommand is a module in :mod:`gankit.commands`; this file only builds the parser and
turns :class:`GankitError` into the one-line ``gankit: error: ...`` with its exit code.
"""

from __future__ import annotations

import argparse
import sys

from .errors import GankitError
from .stop_signals import Interrupted


class _Parser(argparse.ArgumentParser):
    """argparse, but errors in our one-line format, exit code 2."""

    def error(self, message: str):
        where = f"gankit {self.prog.split()[-1]} --help" if " " in self.prog else "gankit --help"
        self.exit(2, f"gankit: error: {message} (see '{where}')\n")


def build_parser() -> argparse.ArgumentParser:
    from .commands import COMMANDS

    parser = _Parser(prog="gankit", description="Train, evaluate, compare and explore GANs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for command in COMMANDS:
        command.add_arguments(sub.add_parser(command.NAME, help=command.HELP, description=command.__doc__))
    return parser


def main(argv: list[str] | None = None) -> int:
    from .commands import COMMANDS

    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what --nproc re-runs under torchrun
    handlers = {command.NAME: command.run for command in COMMANDS}
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
