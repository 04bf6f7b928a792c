"""``weightinit audit``: statistics, matched initializers and flags of stored parameters.

A :mod:`weightinit.cli` command module (``register`` and ``run``); the work is
:func:`weightinit.audit`. Exit status 0 when nothing is flagged (with two
sources: when every common parameter has the same values), 1 otherwise, so a
script or CI job can gate on it.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ._common import CommandError


def register(subparsers: Any) -> None:
    """Declare ``weightinit audit`` on the command line's subparsers."""
    p = subparsers.add_parser(
        "audit",
        help="check stored parameters: statistics, matched initializers, suspicious values",
        description=(
            "Read every parameter of SOURCE (a .safetensors file or a directory of them, an .npz, "
            "an .npy or a directory of .npy files) block by block and report its shape, dtype, "
            "mean and std, the common initializers whose std for its fans it matches, and flags: "
            "values that look uninitialized, a std off by sqrt(3), 2 or sqrt(2), a normalization "
            "weight that is not ones, a copy of another parameter. With OTHER, compare the two "
            "by content hash instead."
        ),
        epilog=(
            "examples:\n"
            "  weightinit audit ckpt/\n"
            "  weightinit audit ckpt/ --manifest llama-7b.json --json\n"
            "  weightinit audit run1/model.safetensors run2/model.safetensors"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="SOURCE", help="checkpoint file or directory")
    p.add_argument("other", metavar="OTHER", nargs="?", help="a second source to compare with")
    p.add_argument(
        "--manifest",
        metavar="MANIFEST.json",
        help="the initializer each tensor should have (docs/checkpoints.md's manifest format)",
    )
    p.add_argument(
        "--layout",
        default="torch",
        choices=("torch", "keras", "jax", "lasagne"),
        help="axis convention for fans (default torch)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Audit (or compare) and print; 1 if anything is flagged or differs."""
    import glob

    from .. import _audit
    from ..checkpoint import read_manifest

    rules = None
    if args.manifest is not None:
        try:
            manifest = read_manifest(args.manifest)
        except (OSError, ValueError, TypeError) as e:
            raise CommandError(f"--manifest: {e}") from None
        rules = [(glob.escape(name), init) for name, (_, _, init) in manifest.params.items()]
    try:
        first = _audit.audit(args.source, rules=rules, layout=args.layout)
        second = None if args.other is None else _audit.audit(args.other, layout=args.layout)
    except (OSError, ValueError) as e:
        raise CommandError(str(e)) from None
    if second is not None:
        d = first.diff(second)
        if args.json:
            print(json.dumps(d, indent=2))
        else:
            print(
                f"{len(d['same'])} the same, {len(d['differ'])} differ, "
                f"{len(d['only_in_first'])} only in {args.source}, "
                f"{len(d['only_in_second'])} only in {args.other}"
            )
            for key in ("differ", "only_in_first", "only_in_second"):
                for name in d[key]:
                    print(f"  {key.replace('_', ' ')}: {name}")
        return int(bool(d["differ"] or d["only_in_first"] or d["only_in_second"]))
    print(json.dumps(first.to_dict(), indent=2) if args.json else first.table())
    return int(bool(first.flagged))
