"""Regions (``full[region]``) of a logical tensor, shared by every sampling call."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

Region = tuple[list[int], list[int], list[bool]]


def parse_region(region: Any, shape: tuple[int, ...]) -> Region:
    """``region`` (a tuple of slices and ints, as in ``a[region]``) over ``shape``.

    Returns ``(start, extent, kept)``: the first index and size per dimension of
    ``shape``, and which dimensions survive (ints drop theirs, as numpy does).
    Booleans are rejected: numpy reads ``a[True]`` as a mask that adds an axis,
    which a block of the logical tensor cannot be. Every error names ``region``.
    """
    if not isinstance(region, tuple):
        region = (region,)
    if any(r is Ellipsis for r in region):
        i = next(i for i, r in enumerate(region) if r is Ellipsis)
        fill = len(shape) - (len(region) - 1)
        region = region[:i] + (slice(None),) * max(fill, 0) + region[i + 1 :]
    if len(region) > len(shape):
        raise ValueError(
            f"region has {len(region)} entries but shape {shape} has {len(shape)} dimensions"
        )
    region = region + (slice(None),) * (len(shape) - len(region))
    start: list[int] = []
    extent: list[int] = []
    kept: list[bool] = []
    for axis, (r, n) in enumerate(zip(region, shape)):
        if isinstance(r, (bool, np.bool_)):
            raise TypeError(
                f"region entries must be slices or ints, got the bool {r!r} on axis {axis} "
                "(a boolean index is a mask in numpy, not an element)"
            )
        if isinstance(r, slice):
            try:
                s, e, step = r.indices(n)
            except (TypeError, ValueError) as err:  # "slice step cannot be zero", ...
                raise type(err)(f"region entry {r!r} on axis {axis}: {err}") from None
            if step != 1:
                raise ValueError(f"region slices must have step 1, got {r} on axis {axis}")
            start.append(s)
            extent.append(max(e - s, 0))
            kept.append(True)
        else:
            try:
                i = operator.index(r)
            except TypeError:
                raise TypeError(
                    f"region entries must be slices or ints, got {r!r} on axis {axis}"
                ) from None
            if not -n <= i < n:
                raise ValueError(f"region index {i} is outside axis {axis} of size {n}")
            start.append(i % n)
            extent.append(1)
            kept.append(False)
    return start, extent, kept


def block_shape(extent: Sequence[int], kept: Sequence[bool]) -> tuple[int, ...]:
    """Shape of ``full[region]`` from :func:`parse_region`'s extent and kept axes."""
    return tuple(e for e, k in zip(extent, kept, strict=True) if k)


def full_rank_view(
    out: np.ndarray[Any, np.dtype[Any]], kept: Sequence[bool]
) -> np.ndarray[Any, np.dtype[Any]]:
    """``out`` (shaped like ``full[region]``) as a view with the int-indexed axes back, size 1."""
    if all(kept):
        return out
    return np.expand_dims(out, tuple(i for i, k in enumerate(kept) if not k))


def whole_or_region(shape: tuple[int, ...], region: Any) -> Region:
    """:func:`parse_region`, or the whole tensor when ``region`` is None."""
    if region is None:
        return [0] * len(shape), list(shape), [True] * len(shape)
    return parse_region(region, shape)
