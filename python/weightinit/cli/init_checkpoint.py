"""``weightinit init-checkpoint``: write a random-weight safetensors checkpoint from a manifest.

A :mod:`weightinit.cli` command module (``register`` and ``run``). The files
are written by :func:`weightinit.save_safetensors` (block by block, bounded
memory, temporary names until every file is complete); the manifest format is
docs/checkpoints.md.
"""

from __future__ import annotations

import argparse
import math
import secrets
import time
from typing import Any

from ._common import CommandError, non_negative_int, positive_mib


def register(subparsers: Any) -> None:
    """Declare ``weightinit init-checkpoint`` on the command line's subparsers."""
    p = subparsers.add_parser(
        "init-checkpoint",
        help="write a random-weight safetensors checkpoint described by a manifest",
        description=(
            "Write the checkpoint MANIFEST.json describes (names, shapes, dtypes, initializer "
            "configs; see docs/checkpoints.md) to DIR as safetensors files, block by block with "
            "bounded memory, sharded the Hugging Face way. Files are written under temporary "
            "names and renamed when all are complete: an interrupted run leaves nothing "
            "(Ctrl-C exits 130, SIGTERM 143), and the next write to DIR removes what a killed "
            "(SIGKILL) run left."
        ),
        epilog=(
            "examples:\n"
            "  weightinit init-checkpoint llama-7b.json --out ckpt --seed 0\n"
            "  weightinit init-checkpoint m.json --out ckpt --max-shard-size 2GB"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("manifest", metavar="MANIFEST.json", help="checkpoint manifest (JSON)")
    p.add_argument("--out", metavar="DIR", required=True, help="directory to write (created)")
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        help="non-negative integer seed (default: the manifest's, else a random one, printed)",
    )
    p.add_argument(
        "--max-shard-size",
        type=_size_argument,
        default="5GB",
        help="largest shard: bytes, or 5GB / 500MB (powers of 10) / 2GiB (default 5GB)",
    )
    p.add_argument(
        "--chunk-mib", type=positive_mib, default=64.0, help="working-set limit in MiB (default 64)"
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is shown only on a terminal, after one second)",
    )
    p.set_defaults(handler=run)


def _size_argument(text: str) -> int:
    try:
        from ..checkpoint import parse_size

        return parse_size(text, "--max-shard-size")
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    from ..checkpoint import _DTYPES, read_manifest, save_safetensors
    from ..npy import _size

    try:
        manifest = read_manifest(args.manifest)
    except OSError as e:
        raise CommandError(f"cannot read {args.manifest}: {e.strerror or e}") from None
    except ValueError as e:
        raise CommandError(str(e)) from None
    seed = args.seed if args.seed is not None else manifest.seed
    if seed is None:
        seed = secrets.randbits(63)
    start = time.perf_counter()
    try:
        files = save_safetensors(
            args.out,
            manifest,
            rng=seed,
            max_shard_size=args.max_shard_size,
            chunk_bytes=max(1, int(args.chunk_mib * (1 << 20))),
            progress=False if args.no_progress else None,
        )
    except OSError as e:
        raise CommandError(f"cannot write --out {args.out}: {e.strerror or e}") from None
    elapsed = time.perf_counter() - start
    total = sum(math.prod(s) * _DTYPES[d][1] for s, d, _ in manifest.params.values())
    shards = [f for f in files if f.suffix == ".safetensors"]
    print(
        f"wrote {args.out}: {len(manifest.params)} tensors, {_size(total)} in {len(shards)} "
        f"file{'s' if len(shards) > 1 else ''}, seed {seed} ({elapsed:.1f} s)"
    )
    return 0
