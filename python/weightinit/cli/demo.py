"""``weightinit demo``: why initialization matters, on a deep fully connected stack.

Runs :func:`weightinit.diagnostics.run_demo` and prints its table and
conclusions, and writes the figure (matplotlib is a dependency; an install
without it still gets the table and a line saying how to get the figure).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..diagnostics._demo import DEFAULT_ACTIVATIONS, DEFAULT_INITS
from ._common import CommandError, names, non_negative_int, positive_int


def register(subparsers: Any) -> None:
    """Declare ``weightinit demo`` on the command line's subparsers."""
    p = subparsers.add_parser(
        "demo",
        help="why initialization matters: signal and gradient variance through a deep stack",
        description=(
            "Propagate data forward and a random gradient backward through a deep fully "
            "connected stack for several initializers and activations; print per-layer "
            "variance ratios and saturation, say which initializer keeps the signal alive "
            "and whether each recommended one did, and write a figure."
        ),
    )
    p.add_argument("--layers", type=positive_int, default=10, help="depth (default 10)")
    p.add_argument("--width", type=positive_int, default=512, help="layer width (default 512)")
    p.add_argument(
        "--batch",
        type=positive_int,
        default=1024,
        help="synthetic examples (default 1024; ignored with --data)",
    )
    p.add_argument(
        "--activations",
        type=names,
        default=list(DEFAULT_ACTIVATIONS),
        help="comma-separated, from linear,tanh,sigmoid,relu,leaky_relu,selu,gelu "
        f"(default {','.join(DEFAULT_ACTIVATIONS)})",
    )
    p.add_argument(
        "--inits",
        type=names,
        default=None,
        help=f"comma-separated initializers for every activation, from {','.join(DEFAULT_INITS)} "
        "or any name weightinit.get knows (default: per activation, the naive ones, the ones "
        "docs/initializers.md recommends for it, and LSUV)",
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
    p.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of data, weights, gradients"
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo for parsed arguments; returns the exit status."""
    import numpy as np

    from ..diagnostics import _demo, get_activation

    data = None
    if args.data is not None:
        try:
            data = _demo.load_data(args.data, standardized=not args.raw)
        except OSError as e:
            raise CommandError(f"cannot read --data {args.data}: {e.strerror or e}") from None
        except ValueError as e:  # includes ShapeError; np.load raises it for non-.npy files
            raise CommandError(f"--data: {e}") from None
    try:
        for name in args.activations:
            get_activation(name)
        for name in args.inits or ():
            _demo.demo_initializer(name)
    except (ValueError, TypeError) as e:
        raise CommandError(str(e)) from None
    start = time.perf_counter()
    with np.errstate(over="ignore", under="ignore"):  # vanishing is the point of the demo
        demo = _demo.run_demo(
            layers=args.layers,
            width=args.width,
            activations=args.activations,
            inits=args.inits,
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
            f"pip install matplotlib (a dependency of weightinit, missing here) and rerun to get "
            f"{args.out}."
        )
        return 0
    from ..diagnostics import plot

    try:
        plot(demo, args.out, title=f"weightinit demo: {args.layers} layers x {args.width}")
    except OSError as e:
        raise CommandError(f"cannot write --out {args.out}: {e.strerror or e}") from None
    print(f"Figure written to {args.out}")
    return 0
