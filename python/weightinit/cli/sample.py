"""``weightinit sample``: write an initialized tensor of any size to a ``.npy`` file.

A :mod:`weightinit.cli` command module (``register`` and ``run``). The file is
written by :func:`weightinit.save_npy` (block by block, bounded memory,
temporary name until complete), so it can be far larger than memory.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._base import Initializer

from .._validation import FLOAT_DTYPE_NAMES, LAYOUTS
from ._common import CommandError, non_negative_int, positive_mib

_SAMPLE_VALUES = 1 << 20


def parse_shape(text: str) -> tuple[int, ...]:
    """``"4096x4096"``, ``"64,3,7,7"`` or ``"1000"`` -> a tuple of positive ints."""
    parts = re.split(r"[x×,]", text.strip().lower())
    try:
        dims = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"SHAPE must be positive integers joined by 'x' or ',' (e.g. 4096x4096 or 64,3,7,7), "
            f"got {text!r}"
        ) from None
    if any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"SHAPE sizes must be positive, got {text!r}")
    return dims


def _stream(text: str) -> int | str:
    # An integer id, or a name such as "layer3.weight" (hashed to a stable id).
    try:
        value = int(text)
    except ValueError:
        return text
    if not 0 <= value < 1 << 64:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**64) or a name, got {value}")
    return value


def _gain(text: str) -> float | str | tuple[str, float]:
    # 1.5, "relu", or "leaky_relu:0.2" (a calculate_gain name and its parameter).
    try:
        return float(text)
    except ValueError:
        pass
    name, _, param = text.partition(":")
    if not param:
        return name
    try:
        return (name, float(param))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number, a nonlinearity name, or name:param, got {text!r}"
        ) from None


def register(subparsers: Any) -> None:
    """Declare ``weightinit sample`` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "sample",
        help="write an initialized tensor of any size to a .npy file",
        description=(
            "Generate the weights NAME gives for SHAPE and write them to a standard .npy file, "
            "block by block with bounded memory (the file may be far larger than RAM). The "
            "file equals weightinit.get(NAME).sample(SHAPE, dtype, rng=SEED, stream=STREAM) bit "
            "for bit. It is written under a temporary name (.FILE.PID.TOKEN.part) and renamed "
            "when complete: an interrupted run leaves nothing (Ctrl-C exits 130, SIGTERM 143), "
            "and the next write to FILE removes what a killed (SIGKILL) run left."
        ),
        epilog=(
            "examples:\n"
            "  weightinit sample glorot_uniform 4096x4096 --out w.npy --seed 0\n"
            "  weightinit sample he_normal 64,3,7,7 --gain relu --layout torch --out conv.npy\n"
            "  weightinit sample orthogonal 16384x16384 --dtype float64 --chunk-mib 512 --out q.npy"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "name",
        metavar="NAME",
        help="initializer name as weightinit.get accepts it (glorot_uniform, "
        "he_normal, orthogonal, lecun_normal, truncated_normal, sparse, ...); "
        "Lasagne's defaults",
    )
    p.add_argument(
        "shape",
        metavar="SHAPE",
        type=parse_shape,
        help="positive sizes joined by 'x' or ',', e.g. 4096x4096 or 64,3,7,7",
    )
    p.add_argument(
        "--out",
        metavar="FILE.npy",
        required=True,
        help="file to write (written as given; replaced if it exists)",
    )
    p.add_argument("--dtype", choices=FLOAT_DTYPE_NAMES, default="float32", help="default float32")
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        help="non-negative integer seed (default: a random one, printed)",
    )
    p.add_argument(
        "--stream",
        type=_stream,
        default=0,
        help="stream id: an integer or a name such as layer3.weight (default 0)",
    )
    p.add_argument(
        "--gain",
        type=_gain,
        default=None,
        help="gain for initializers that take one: a number, a nonlinearity "
        "(relu, tanh, ...) or name:param (leaky_relu:0.2)",
    )
    p.add_argument(
        "--layout",
        choices=LAYOUTS,
        default=None,
        help="weight layout for fans and orthogonal flattening (default lasagne)",
    )
    p.add_argument(
        "--chunk-mib",
        type=positive_mib,
        default=256.0,
        help="working-set limit in MiB (default 256)",
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (it is shown only on a terminal, after one second)",
    )
    p.set_defaults(handler=run)


def _build(name: str, gain: Any, layout: str | None) -> Initializer:

    from ..lookup import as_initializer

    try:
        init = as_initializer(name, "NAME")
    except (ValueError, TypeError) as e:
        raise CommandError(str(e)) from None
    extra: dict[str, Any] = {}
    if gain is not None:
        extra["gain"] = gain
    if layout is not None:
        extra["layout"] = layout
    if not extra:
        return init
    cls = type(init)
    accepted = inspect.signature(cls).parameters
    for key in extra:
        if key not in accepted:
            raise CommandError(f"{cls.__name__} takes no --{key}")
    if layout == "c01b" and "c01b" in accepted:
        extra.pop("layout")
        extra["c01b"] = True
    try:
        return cls.from_config({**init.get_config(), **extra})
    except (ValueError, TypeError) as e:
        raise CommandError(f"{cls.__name__}: {e}") from None


def _fans(init: Initializer, shape: tuple[int, ...], layout: str | None) -> tuple[int, int] | None:
    from ..fans import fans
    from ..initializers import _FanBased

    try:
        if isinstance(init, _FanBased):
            return init.fans(shape)
        return fans(shape, layout=layout)
    except ValueError:  # ShapeError: no fans for this rank/layout
        return None


def _sampled_std(path: str, total: int) -> tuple[float, int]:
    """Standard deviation of the file's values: all of them, or 2**20 in 64 even runs."""
    import numpy as np

    a = np.load(path, mmap_mode="r").reshape(-1)
    if total <= _SAMPLE_VALUES:
        return float(np.std(a, dtype=np.float64)), total
    runs, length = 64, _SAMPLE_VALUES // 64
    starts = np.linspace(0, total - length, runs).astype(np.int64)
    x = np.concatenate([a[s : s + length] for s in starts])
    return float(np.std(x, dtype=np.float64)), x.size


def _size(nbytes: float) -> str:
    from ..npy import _size as size

    return size(nbytes)


def run(args: argparse.Namespace) -> int:
    import weightinit as wi

    init = _build(args.name, args.gain, args.layout)
    if os.path.isdir(args.out):
        raise CommandError(f"cannot write --out {args.out}: it is a directory")
    seed = secrets.randbits(63) if args.seed is None else args.seed
    nbytes = math.prod(args.shape) * {"float16": 2, "float32": 4, "float64": 8}[args.dtype]
    start = time.perf_counter()
    try:
        wi.save_npy(
            args.out,
            init,
            args.shape,
            dtype=args.dtype,
            rng=seed,
            stream=args.stream,
            chunk_bytes=max(1, int(args.chunk_mib * (1 << 20))),
            progress=False if args.no_progress else None,
        )
    except OSError as e:
        raise CommandError(f"cannot write --out {args.out}: {e.strerror or e}") from None
    except (ValueError, TypeError) as e:  # ShapeError included: shape unfit for NAME
        raise CommandError(f"{type(init).__name__} for shape {args.shape}: {e}") from None
    elapsed = time.perf_counter() - start
    shape_text = "x".join(map(str, args.shape))
    print(
        f"wrote {args.out}: {shape_text} {args.dtype} ({_size(nbytes)}), {init!r}, "
        f"seed {seed}, stream {args.stream!r}"
    )
    fans = _fans(init, args.shape, args.layout)
    std, n = _sampled_std(args.out, math.prod(args.shape))
    fan_text = f"fan_in {fans[0]}, fan_out {fans[1]}" if fans else "fans n/a for this shape"
    of = "all values" if n == math.prod(args.shape) else f"{n} sampled values"
    print(f"{fan_text}; std {std:.6g} ({of})")
    print(f"{elapsed:.3f} s, {nbytes / max(elapsed, 1e-9) / 1e9:.2f} GB/s")
    return 0
