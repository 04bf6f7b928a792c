"""How to cut a tensor into blocks that are cheap to generate alone.

Every initializer generates any block bit-identically to the same block of
the full tensor. For element-wise initializers (and Sparse, whose units are
independent sub-streams) every block costs its own size, so any cut is good.
Orthogonal weights are the exception: a block costs the *Q columns* it
touches, which are the weight's columns when it is tall (rows >= cols) and
its rows when it is wide. A block that does not span the other axes in full
recomputes those Q columns for every such block. This module says which axes
must stay whole (``whole_axes``) and cuts the rest into contiguous,
memory-bounded blocks (``slabs``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

__all__ = ["whole_axes", "slabs"]


class _Blocked(Protocol):
    def _whole_axes(self, shape: tuple[int, ...]) -> list[int]: ...


def whole_axes(init: _Blocked, shape: Sequence[int]) -> list[int]:
    """Axes a block should span in full so that it costs only its own size.

    Each initializer says (``Initializer._whole_axes``: none, except Orthogonal's
    and DeltaOrthogonal's), so this module imports no initializer.
    """
    shape = tuple(shape)
    return [] if len(shape) < 2 else list(init._whole_axes(shape))


def slabs(
    shape: Sequence[int], itemsize: int, limit_bytes: int, whole: Iterable[int] = ()
) -> Iterator[tuple[list[int], list[int]]]:
    """Cut ``shape`` into blocks of at most ``limit_bytes`` (where possible).

    Yields ``(start, extent)`` pairs in row-major order of their first
    element. Axes in ``whole`` always span their full size; the others are
    cut row-major: a block is a run along one axis with single indices on the
    axes before it and full extents after it, so it is one contiguous range
    of a C-ordered file when ``whole`` is empty. A block never has fewer than
    one element along the cut axis, so a single slice larger than the limit
    (a huge last axis, or huge whole axes) gives blocks above it.
    """
    shape = tuple(shape)
    nd = len(shape)
    whole = sorted(a % nd for a in whole) if nd else []
    if math.prod(shape) == 0:
        return
    free = [a for a in range(nd) if a not in whole]
    unit = itemsize * math.prod(shape[a] for a in whole)
    if not free:
        yield [0] * nd, list(shape)
        return
    # Cut axis: the first free axis k whose trailing free axes fit in the limit.
    k = len(free) - 1
    for i in range(len(free)):
        if unit * math.prod(shape[a] for a in free[i + 1 :]) <= limit_bytes:
            k = i
            break
    inner = unit * math.prod(shape[a] for a in free[k + 1 :])
    step = max(1, limit_bytes // inner)
    outer = [shape[a] for a in free[:k]]
    cut = free[k]
    for index in _ndindex(outer):
        for lo in range(0, shape[cut], step):
            start = [0] * nd
            extent = list(shape)
            for a, i in zip(free[:k], index, strict=True):
                start[a], extent[a] = i, 1
            start[cut], extent[cut] = lo, min(step, shape[cut] - lo)
            yield start, extent


def _ndindex(dims: Sequence[int]) -> Iterator[tuple[int, ...]]:
    if not dims:
        yield ()
        return
    index = [0] * len(dims)
    while True:
        yield tuple(index)
        for i in reversed(range(len(dims))):
            index[i] += 1
            if index[i] < dims[i]:
                break
            index[i] = 0
        else:
            return
