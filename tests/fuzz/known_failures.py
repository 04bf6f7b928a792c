"""THE list of known, still-open findings of the fuzz suite, keyed by issue 15's points.

Each entry says which findings it covers (``matches``) and gives a reproducer
that test_fuzz.py runs as a strict xfail: when the bug is fixed the reproducer
passes, the xfail turns into a failure, and the entry must be deleted. A
finding no entry matches fails its family's test. The fixes of points 1-9 and
11-13 are being made on other branches: after merging them, empty this list
(entries whose reproducer flips are fixed; what the fuzz then still finds is
not). Never add an entry to make CI pass without an issue point to fix it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .harness import Result
from .probes import CRASH, HANG, UNCLEAR, WRONG, out_spec


@dataclass(frozen=True)
class Known:
    point: int
    name: str
    matches: Callable[[Result], bool]
    # (family, args) that shows the bug today; None for a race no run reproduces reliably
    # (then only the filter applies, and the fixing branch's own test covers it).
    reproducer: tuple[str, dict[str, Any]] | None
    timeout: float = 150.0


def _unclear(family: str | None = None, *, arg: str | None = None, text: str = "") -> Any:
    def matches(r: Result) -> bool:
        return (
            r.outcome == UNCLEAR
            and (family is None or r.family == family)
            and (arg is None or arg in r.args.get("_names", ()))
            and text in r.detail
        )

    return matches


_SWEEP = list(range(16, 66, 2))  # MiB of address space above what the process uses

KNOWN_FAILURES: list[Known] = [
    # 1. std::bad_alloc inside a parallel region terminates the process.
    Known(1, "bad-alloc-aborts",
          lambda r: r.outcome == CRASH and "bad_alloc" in r.detail,
          ("memlimit", {"ops": ["qr2048", "orthogonal2048"], "headrooms": _SWEEP, "warm": True,
                        "crash_containing": "bad_alloc", "_names": []})),
    # 2. libgomp exits the process when it cannot create threads.
    Known(2, "libgomp-exits",
          lambda r: r.outcome == CRASH and "libgomp" in r.detail,
          ("memlimit", {"op": "threads1024", "headrooms": _SWEEP, "warm": False,
                        "crash_containing": "libgomp", "_names": []})),
    # 3. simd.force in one thread corrupts an Orthogonal in another: not reproduced here
    #    in 60 runs of the scenario (a race), so a filter without a strict reproducer.
    Known(3, "simd-force-race",
          lambda r: r.outcome == WRONG and r.family == "concurrent" and r.args["mode"] == "simd",
          None),
    # 4. Orthogonal().fill(out) uses out as scratch: threads filling one array corrupt it.
    Known(4, "fill-uses-out-as-scratch",
          lambda r: r.outcome == WRONG and r.family == "concurrent"
          and r.args["mode"] == "shared_out",
          ("concurrent", {"init": ("Orthogonal", {}), "mode": "shared_out", "threads": 8,
                          "shape": (1024, 256), "dtype": "float32", "rounds": 3, "attempts": 25,
                          "_names": []})),
    # 5. Self-overlapping and zero-stride out= arrays are accepted.
    Known(5, "overlapping-out-accepted",
          lambda r: r.outcome == WRONG and "self-overlapping out" in r.detail,
          ("fill", {"init": ("TruncatedNormal", {}), "out": out_spec((6, 5), "float16", "overlap"),
                    "rng": 3, "_names": ["out"]})),
    # 6. Truncated normal sticks to its bound far in the tail in float32/float16.
    Known(6, "truncated-normal-tail-stuck",
          lambda r: r.outcome == WRONG and "truncated_normal" in r.detail
          and "values equal" in r.detail,
          ("random", {"fn": "truncated_normal", "shape": (4096,), "dtype": "float32", "rng": 7,
                      "params": {"mean": 0.0, "std": 1.0, "lower": 8.0, "upper": 9.0},
                      "_names": ["lower", "upper"]})),
    # 7. Values outside [low, high) or infinite, without an error.
    Known(7, "out-of-range-or-inf",
          lambda r: r.outcome == WRONG and ("inf/nan" in r.detail or ": values in [" in r.detail),
          ("random", {"fn": "uniform", "shape": (256,), "dtype": "float16", "rng": 7,
                      "params": {"low": -1e5, "high": 1.0}, "_names": ["low", "high"]})),
    # 8. Boolean region entries are read as integers (numpy adds an axis).
    Known(8, "boolean-region",
          lambda r: r.outcome == WRONG and "numpy gives" in r.detail
          and any(isinstance(x, bool) or type(x).__name__ == "bool_"
                  for x in (r.args.get("region") if isinstance(r.args.get("region"), tuple)
                            else (r.args.get("region"),))),
          ("sample", {"init": ("Normal", {}), "shape": (6, 5), "dtype": "float32", "rng": 3,
                      "region": True, "_names": ["region"]})),
    # 9. Shapes such as (0, 2**62): save_npy writes what numpy cannot read, and sample,
    #    linalg.orthogonal and dask fail inside numpy ("array is too big").
    Known(9, "huge-zero-size-shapes",
          lambda r: (r.outcome == WRONG and "numpy cannot read" in r.detail)
          or (r.outcome == UNCLEAR and ("array is too big" in r.detail
                                        or "Maximum allowed dimension" in r.detail)),
          ("save_npy", {"shape": (0, 2**62), "rng": 4, "_names": ["shape"]})),
    # 11. save_npy(chunk_bytes=1) maps one element at a time (hours for a big tensor).
    Known(11, "chunk-bytes-one",
          lambda r: r.outcome == HANG and r.family in ("save_npy", "cli"),
          ("save_npy", {"shape": (1000, 1000), "chunk_bytes": 1, "rng": 4,
                        "_names": ["chunk_bytes"]}),
          timeout=10.0),
    # 12. I/O errors without the path: RLIMIT_FSIZE's EFBIG; save_npy's path=3, b"w.npy",
    #     "w\x00.npy" give Python's own messages.
    Known(12, "io-error-without-path", _unclear("fsize"), ("fsize", {"limit": 4096, "_names": []})),
    Known(12, "save-npy-path-argument", _unclear("save_npy", arg="path"),
          ("save_npy", {"path": 3, "rng": 4, "_names": ["path"]})),
    # 13. Errors that do not name the argument. The issue's own examples first, then
    #     the ones this suite found that the issue does not list.
    Known(13, "stream-surrogate", _unclear(text="UnicodeEncodeError"),
          ("random", {"fn": "uniform", "shape": (5, 6), "dtype": "float32", "rng": 7,
                      "stream": "\ud800", "params": {}, "_names": ["stream"]})),
    Known(13, "orthogonal-columns", _unclear("linalg.orthogonal", arg="columns"),
          ("linalg.orthogonal", {"rows": 7, "cols": 5, "rng": 2, "columns": slice(None, "a"),
                                 "_names": ["columns"]})),
    Known(13, "complex-input-not-named", _unclear(text="complex input is not supported"),
          ("linalg.qr", {"a": ("matrix", (5, 3), "complex128", "normal"), "_names": ["a"]})),
    Known(13, "dask-chunks", _unclear("dask", arg="chunks"),
          ("dask", {"chunks": 0, "rng": 6, "_names": ["chunks"]})),
    Known(13, "simd-force-unavailable", _unclear("runtime", arg="isa"),
          ("runtime", {"isa": "avx512", "_names": ["isa", "name", "instruction set"]})),
    Known(13, "other-unclear-errors", _unclear(),
          ("gains", {"nonlinearity": "leaky_relu", "param": 1e200,
                     "_names": ["param", "negative_slope"]})),
]  # fmt: skip


def known_point(result: Result) -> int | None:
    """The issue point of the first entry that covers ``result``, or None."""
    for entry in KNOWN_FAILURES:
        if entry.matches(result):
            return entry.point
    return None
