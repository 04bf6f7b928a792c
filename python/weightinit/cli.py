"""The ``weightinit`` command line: ``weightinit demo`` (more subcommands plug in the same way).

Each subcommand is a pair: ``_add_<name>(subparsers)`` declares its arguments
and sets ``handler``; the handler returns the exit status. Bad arguments give
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import _cli_sample, checkpoint


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage block before the message; one line is
    # what a user needs (``--help`` still has the rest).
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


class CommandError(Exception):
    """A user error found after parsing (bad data file, unknown name): one line, exit 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _names(text: str) -> list:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("needs at least one name")
    return names


def _add_demo(subparsers) -> None:
    from .diagnostics._demo import DEFAULT_ACTIVATIONS, DEFAULT_INITS

    p = subparsers.add_parser(
        "demo",
        help="why initialization matters: signal and gradient variance through a deep stack",
        description=(
            "Propagate data forward and a random gradient backward through a deep fully "
            "connected stack for several initializers and activations; print per-layer "
            "variance ratios and saturation, say which initializer keeps the signal alive, "
            "and (with matplotlib) write a figure."
        ),
    )
    p.add_argument("--layers", type=_positive_int, default=10, help="depth (default 10)")
    p.add_argument("--width", type=_positive_int, default=512, help="layer width (default 512)")
    p.add_argument(
        "--batch",
        type=_positive_int,
        default=1024,
        help="synthetic examples (default 1024; ignored with --data)",
    )
    p.add_argument(
        "--activations",
        type=_names,
        default=list(DEFAULT_ACTIVATIONS),
        help="comma-separated, from linear,tanh,sigmoid,relu,leaky_relu,selu,gelu "
        f"(default {','.join(DEFAULT_ACTIVATIONS)})",
    )
    p.add_argument(
        "--inits",
        type=_names,
        default=None,
        help=f"comma-separated initializers (default {','.join(DEFAULT_INITS)})",
    )
    p.add_argument(
        "--data",
        metavar="FILE.npy",
        help="your own (examples, features) array instead of synthetic data; "
        "standardized per feature unless --raw",
    )
    p.add_argument("--raw", action="store_true", help="use --data as is, not standardized")
    p.add_argument(
        "--out",
        default="weightinit-demo.png",
        help="PNG to write (default weightinit-demo.png; needs matplotlib)",
    )
    p.add_argument("--no-plot", action="store_true", help="do not write the figure")
    p.add_argument("--seed", type=int, default=0, help="seed of data, weights, gradients")
    p.set_defaults(handler=_run_demo)


def _run_demo(args) -> int:
    import numpy as np

    from .diagnostics import _demo

    if args.seed < 0:
        raise CommandError(f"--seed must be non-negative, got {args.seed}")
    data = None
    if args.data is not None:
        try:
            data = _demo.load_data(args.data, standardized=not args.raw)
        except OSError as e:
            raise CommandError(f"cannot read --data {args.data}: {e.strerror or e}") from None
        except ValueError as e:  # includes ShapeError; np.load raises it for non-.npy files
            raise CommandError(f"--data: {e}") from None
    inits = args.inits
    skipped = []
    if inits is None:  # the defaults, minus any this build lacks
        inits = []
        for name in _demo.DEFAULT_INITS:
            try:
                _demo.demo_initializer(name)
                inits.append(name)
            except ValueError:
                skipped.append(name)
    try:
        for name in args.activations:
            _demo.get_activation(name)
        for name in inits:
            _demo.demo_initializer(name)
    except (ValueError, TypeError) as e:
        raise CommandError(str(e)) from None
    start = time.perf_counter()
    with np.errstate(over="ignore", under="ignore"):  # vanishing is the point of the demo
        demo = _demo.run_demo(
            layers=args.layers,
            width=args.width,
            activations=args.activations,
            inits=inits,
            data=data,
            batch=args.batch,
            seed=args.seed,
        )
    elapsed = time.perf_counter() - start
    source = (
        f"{args.data} ({demo.results[0].batch} x {demo.results[0].widths[0]})"
        if data is not None
        else f"synthetic standardized data ({args.batch} x {args.width})"
    )
    print(
        f"weightinit demo: {args.layers} layers of width {args.width}, inputs: {source}, "
        f"seed {args.seed} ({elapsed:.1f} s)"
    )
    if skipped:
        print(f"(not in this build, skipped: {', '.join(skipped)})")
    print()
    print(_demo.format_table(demo))
    print()
    for line in _demo.conclusions(demo):
        print(line)
    print()
    if args.no_plot:
        return 0
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            f"Figure not written: matplotlib is not installed. "
            f"pip install 'weightinit[plot]' (or pip install matplotlib) and rerun to get "
            f"{args.out}."
        )
        return 0
    from .diagnostics import plot

    try:
        plot(demo, args.out, title=f"weightinit demo: {args.layers} layers x {args.width}")
    except OSError as e:
        raise CommandError(f"cannot write --out {args.out}: {e.strerror or e}") from None
    print(f"Figure written to {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="weightinit", description="Neural-network weight initializers: tools and demos."
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"weightinit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="command", parser_class=_Parser)
    subparsers.required = True
    _add_demo(subparsers)
    _cli_sample.add_parser(subparsers)  # weightinit sample (python/weightinit/_cli_sample.py)
    checkpoint.add_parser(subparsers)  # weightinit init-checkpoint (checkpoint.py)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``weightinit`` console script and ``python -m weightinit``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except CommandError as e:
        print(f"weightinit {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
