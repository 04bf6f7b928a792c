"""Shape, dtype and region normalisation shared by every sampling call."""

from __future__ import annotations

import operator

import numpy as np

_MAX_ELEMENTS = 1 << 62
_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def normalize_shape(shape, name: str = "shape") -> tuple[int, ...]:
    """Return ``shape`` as a tuple of non-negative ints, or raise naming ``name``."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        dims = (shape,)
    else:
        try:
            dims = tuple(shape)
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of ints, got {shape!r}") from None
    out = []
    total = 1
    for d in dims:
        if isinstance(d, bool):
            raise TypeError(f"{name} must contain ints, got {d!r} in {shape!r}")
        try:
            d = operator.index(d)
        except TypeError:
            raise TypeError(f"{name} must contain ints, got {d!r} in {shape!r}") from None
        if d < 0:
            raise ValueError(f"{name} has a negative dimension {d} in {tuple(dims)!r}")
        total *= d
        out.append(d)
    if total > _MAX_ELEMENTS and 0 not in out:
        raise ValueError(f"{name} {tuple(out)!r} has more than 2**62 elements")
    return tuple(out)


def normalize_dtype(dtype, default) -> np.dtype:
    dt = np.dtype(default if dtype is None else dtype)
    if dt not in _FLOAT_DTYPES:
        raise TypeError(f"dtype must be float16, float32 or float64, got {dt}")
    return dt


def parse_region(region, shape: tuple[int, ...]):
    """``region`` (a tuple of slices and ints, as in ``a[region]``) over ``shape``.

    Returns ``(start, extent, kept)``: the first index and size per dimension of
    ``shape``, and which dimensions survive (ints drop theirs, as numpy does).
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
    start, extent, kept = [], [], []
    for axis, (r, n) in enumerate(zip(region, shape)):
        if isinstance(r, slice):
            s, e, step = r.indices(n)
            if step != 1:
                raise ValueError(f"region slices must have step 1, got {r} on axis {axis}")
            start.append(s)
            extent.append(max(e - s, 0))
            kept.append(True)
        else:
            try:
                i = operator.index(r)
            except TypeError:
                raise TypeError(f"region entries must be slices or ints, got {r!r}") from None
            if not -n <= i < n:
                raise ValueError(f"region index {i} is outside axis {axis} of size {n}")
            start.append(i % n)
            extent.append(1)
            kept.append(False)
    return start, extent, kept


def block_shape(extent, kept) -> tuple[int, ...]:
    """Shape of ``full[region]`` from :func:`parse_region`'s extent and kept axes."""
    return tuple(e for e, k in zip(extent, kept, strict=True) if k)


def full_rank_view(out, kept):
    """``out`` (shaped like ``full[region]``) as a view with the int-indexed axes back, size 1."""
    if all(kept):
        return out
    return np.expand_dims(out, tuple(i for i, k in enumerate(kept) if not k))
