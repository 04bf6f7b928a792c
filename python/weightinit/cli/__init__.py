"""The ``weightinit`` command line (console script ``weightinit``, ``python -m weightinit``).

Every subcommand is a module of this package that defines two functions:

``register(subparsers) -> None``
    Adds the subcommand with ``subparsers.add_parser(name, ...)``, declares
    its arguments and sets ``handler=run`` with ``set_defaults``.
``run(args) -> int``
    Does the work and returns the exit status. A user error found after
    parsing (unreadable file, unknown initializer name) is raised as
    :class:`CommandError`: :func:`main` prints it as one line on stderr and
    exits with status 2, never a traceback. Argument errors found by
    argparse exit 2 with one line too (:class:`~weightinit.cli._common.Parser`).
    SIGINT exits 130 and SIGTERM 143, after the files being written are
    removed (:mod:`weightinit._tempfiles`).

:data:`COMMANDS` lists the modules in the order ``--help`` shows them; adding
a subcommand is one new module and one entry there. A module imports only
what it needs from ``._common`` (and the rest of ``weightinit`` lazily, in
``run``), never this ``__init__``, so the package has no import cycle and
``weightinit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ._common import CommandError, Parser

__all__ = ["COMMANDS", "CommandError", "build_parser", "main"]

#: Subcommand modules of this package, in ``--help`` order.
COMMANDS = ("demo", "sample", "init_checkpoint", "audit")


def build_parser() -> argparse.ArgumentParser:
    """The ``weightinit`` parser with every module of :data:`COMMANDS` registered."""
    from .. import __version__

    parser = Parser(
        prog="weightinit", description="Neural-network weight initializers: tools and demos."
    )
    parser.add_argument("--version", action="version", version=f"weightinit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="command", parser_class=Parser)
    subparsers.required = True
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``weightinit`` console script and ``python -m weightinit``."""
    from .._tempfiles import Terminated, interruptible

    parser = build_parser()
    args = parser.parse_args(argv)
    # SIGINT exits 130 and SIGTERM 143 (128 + the signal, the shells' convention),
    # each after the temporary files are removed, with one line and no traceback.
    try:
        with interruptible(die_of_sigterm=False):
            status: int = args.handler(args)
    except CommandError as e:
        print(f"weightinit {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"weightinit {args.command}: interrupted (SIGINT)", file=sys.stderr)
        return 130
    except Terminated:
        print(f"weightinit {args.command}: terminated (SIGTERM)", file=sys.stderr)
        return 143
    return status
