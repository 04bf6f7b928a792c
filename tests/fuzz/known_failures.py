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
from .probes import UNCLEAR


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
    # Empty: every finding of issue 15 (points 1-13) is fixed, each with its own test
    # (tests/test_limits.py, test_concurrency.py, test_out_overlap.py,
    # test_truncated_tail.py, test_edge_values.py, test_interrupted_writes.py, ...).
]


def known_point(result: Result) -> int | None:
    """The issue point of the first entry that covers ``result``, or None."""
    for entry in KNOWN_FAILURES:
        if entry.matches(result):
            return entry.point
    return None
