"""Argument checks shared by every public entry point: one rule per kind of argument.

Each check takes the value and the argument's name, returns the normalised
value, and raises ``TypeError`` for a value of the wrong kind or ``ValueError``
for one of the right kind out of range; the message names the argument and
shows the value. Entry points run every check before they resolve the rng
(:func:`weightinit._rng.resolve`), so a failed call changes no state.

The rules
---------
integer
    ``int``, numpy integer or anything with ``__index__`` (a 0-d integer
    array); ``bool`` is rejected.
real number
    ``int``, ``float``, ``fractions.Fraction``, numpy integer/float scalars
    and 0-d integer/float arrays (numpy's, torch's, JAX's); ``bool``, ``str``,
    ``bytes``, complex and ``None`` are rejected. This is numpy's rule (which
    rejects ``"0.5"``), minus bools, which are flags, never numbers.
shape
    An integer or a sequence of integers, each >= 0, at most 2**62 elements
    (counting only the non-zero sizes, as numpy does, so ``(0, 2**63)`` is
    rejected too). An array (or ``.npy`` file) of it must also have at most
    2**63 - 1 bytes (:func:`array_bytes`), numpy's limit.
choice
    A ``str`` among the allowed names, case-insensitive; returned lower-case.
dtype
    Anything ``numpy.dtype`` accepts that names float16, float32 or float64,
    and bfloat16: the string ``"bfloat16"`` or ``ml_dtypes.bfloat16`` (an
    ImportError saying how to install ``ml_dtypes`` when it is missing).
layout
    One of :data:`LAYOUTS` (or the subset an initializer supports).
values of a dtype
    A parameter that sets the values (a bound, a constant, a gain, a
    standard deviation) must give values inside the finite range of the
    output dtype (:func:`within_dtype`); a ``ValueError`` names it otherwise
    (docs/initializers.md, "Values and dtypes").
``out``
    A writable ``numpy.ndarray`` of float16/32/64 or bfloat16 in native byte order
    whose elements do not overlap (no zero stride along an axis of more than one
    element, no rows overlapping through ``as_strided``): the core's
    ``check_no_self_overlap``, which the C++ paths also apply.
"""

from __future__ import annotations

import math
import numbers
import operator
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import _bfloat16, _core
from ._errors import ShapeError

__all__ = [
    "FLOAT_DTYPES",
    "FLOAT_DTYPE_NAMES",
    "FRAMEWORK_LAYOUTS",
    "LAYOUTS",
    "MAX_ELEMENTS",
    "array_bytes",
    "axes",
    "choice",
    "finite",
    "float_dtype",
    "integer",
    "layout",
    "non_negative",
    "non_negative_int",
    "not_nan",
    "out_array",
    "positive_int",
    "real",
    "shape",
    "within_dtype",
]

#: Every weight layout the package knows (see :mod:`weightinit.fans` for the axes of each).
LAYOUTS = ("lasagne", "c01b", "torch", "keras", "jax")
#: The layouts of the frameworks (all but Lasagne's cuda-convnet ``c01b`` flag layout).
FRAMEWORK_LAYOUTS = ("lasagne", "torch", "keras", "jax")

FLOAT_DTYPE_NAMES = ("float16", "float32", "float64")
FLOAT_DTYPES = tuple(np.dtype(n) for n in FLOAT_DTYPE_NAMES)

MAX_ELEMENTS = 1 << 62  # the core's element indices are 62-bit (docs/design.md)


def integer(x: Any, name: str, what: str = "an int") -> int:
    """``x`` as an int (``operator.index``); ``bool`` is not an integer here."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be {what}, got {x!r}")
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError(f"{name} must be {what}, got {x!r}") from None


def non_negative_int(x: Any, name: str) -> int:
    v = integer(x, name, "a non-negative int")
    if v < 0:
        raise ValueError(f"{name} must be a non-negative int, got {v}")
    return v


def positive_int(x: Any, name: str) -> int:
    v = integer(x, name, "a positive int")
    if v < 1:
        raise ValueError(f"{name} must be a positive int, got {v}")
    return v


def real(x: Any, name: str) -> float:
    """``x`` as a float under the real-number rule of the module docstring."""
    if type(x) is float:  # the common case, kept cheap
        return x
    if not isinstance(x, (bool, np.bool_)):
        try:
            if isinstance(x, numbers.Real):
                return float(x)
            if getattr(x, "ndim", None) == 0 and not isinstance(x, (str, bytes)):
                a = np.asarray(x)
                if a.dtype.kind in "iuf":
                    return float(a)
        except OverflowError:  # an int or Fraction beyond the float range
            raise ValueError(f"{name} is too large for a float, got {_short(x)}") from None
    raise TypeError(f"{name} must be a real number, got {_short(x)}")


def _short(x: Any) -> str:
    """``repr(x)``, cut to 60 characters (2**1024 has 309 digits)."""
    r = repr(x)
    return r if len(r) <= 60 else f"{r[:28]}...{r[-28:]} ({len(r)} characters)"


def finite(x: Any, name: str) -> float:
    v = real(x, name)
    if v - v != 0.0:  # inf or nan
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def non_negative(x: Any, name: str) -> float:
    """A finite real number >= 0."""
    v = finite(x, name)
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v


def not_nan(x: Any, name: str) -> float:
    """A real number that may be infinite (a truncation bound) but not NaN."""
    v = real(x, name)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN, got {v}")
    return v


def choice(x: Any, name: str, allowed: Sequence[str]) -> str:
    """One of ``allowed`` (lower-case names), matched without case."""
    if isinstance(x, str) and x.lower() in allowed:
        return x.lower()
    options = ", ".join(map(repr, allowed))
    if not isinstance(x, str):
        raise TypeError(f"{name} must be a str, one of {options}, got {x!r}")
    raise ValueError(f"unknown {name} {x!r}; use one of {options}")


def layout(x: Any, allowed: Sequence[str] = LAYOUTS, name: str = "layout") -> str | None:
    """``None`` or one of ``allowed`` (a subset of :data:`LAYOUTS`), lower-case."""
    return None if x is None else choice(x, name, allowed)


def shape(x: Any, name: str = "shape") -> tuple[int, ...]:
    """``x`` as a tuple of non-negative ints with at most 2**62 elements.

    A negative size or too many elements is a :class:`~weightinit.ShapeError`
    (a ``ValueError``, and the ``RuntimeError`` Lasagne raised).
    """
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        dims: tuple[Any, ...] = (x,)
    elif isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an int or a sequence of ints, got {x!r}")
    else:
        try:
            dims = tuple(x)
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of ints, got {x!r}") from None
    out = []
    total = 1  # of the non-zero sizes, as numpy counts
    for d in dims:
        if isinstance(d, (bool, np.bool_)):
            raise TypeError(f"{name} must contain ints, got {d!r} in {x!r}")
        try:
            d = operator.index(d)
        except TypeError:
            raise TypeError(f"{name} must contain ints, got {d!r} in {x!r}") from None
        if d < 0:
            raise ShapeError(f"{name} has a negative dimension {d} in {tuple(dims)!r}")
        total *= max(d, 1)
        out.append(d)
    if total > MAX_ELEMENTS:
        raise ShapeError(f"{name} {_short(tuple(out))} has more than 2**62 elements")
    return tuple(out)


# numpy's largest array size in bytes (np.iinfo is slow to build: once, here).
_INTP_MAX = int(np.iinfo(np.intp).max)


def array_bytes(shape: tuple[int, ...], dtype: np.dtype[Any], name: str = "shape") -> int:
    """Bytes of an array of ``shape`` (checked by :func:`shape`) and ``dtype``.

    Raises :class:`~weightinit.ShapeError` above 2**63 - 1 bytes counting the
    non-zero sizes: numpy cannot make such an array, or read such a ``.npy`` file,
    even when a size is zero.
    """
    nbytes = dtype.itemsize * math.prod(max(d, 1) for d in shape)
    if nbytes > _INTP_MAX:
        raise ShapeError(
            f"{name} {_short(shape)} of {dtype} needs more than 2**63 - 1 bytes "
            "(numpy's limit, which counts every non-zero size)"
        )
    return dtype.itemsize * math.prod(shape)


def axes(x: Any, name: str) -> int | tuple[int, ...]:
    """An axis (int) or a sequence of axes (list/tuple of ints, returned as a tuple)."""
    if isinstance(x, (list, tuple)):
        items: Iterable[Any] = x
    else:
        items = (x,)
    out = []
    for a in items:
        try:
            out.append(integer(a, name))
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of ints, got {x!r}") from None
    return tuple(out) if isinstance(x, (list, tuple)) else out[0]


def float_dtype(x: Any, default: Any = None, name: str = "dtype") -> np.dtype[Any]:
    """float16, bfloat16, float32 or float64 as a numpy dtype; ``None`` means ``default``.

    Compared by equality, not identity: a dtype that went through pickle (on
    Dask workers) is an equal but distinct object; the builtin one is returned.
    """
    value = default if x is None else x
    if isinstance(value, str) and value.lower() == "bfloat16":
        return _bfloat16.numpy_dtype(name)
    try:
        dt: np.dtype[Any] = np.dtype(value)
    except (TypeError, ValueError):  # ValueError: e.g. a name that is not UTF-8
        raise TypeError(
            f"{name} must be float16, bfloat16, float32 or float64, got {x!r}"
        ) from None
    if _bfloat16.is_bfloat16(dt):
        return dt
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float16, bfloat16, float32 or float64, got {dt}")
    builtin: np.dtype[Any] = np.dtype(dt.char)
    return builtin


def out_array(x: Any, name: str = "out") -> np.ndarray[Any, np.dtype[Any]]:
    """A numpy array the core can fill in place (see the module docstring)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if (x.dtype.kind != "f" or x.dtype.itemsize not in (2, 4, 8)) and not _bfloat16.is_bfloat16(
        x.dtype
    ):  # by kind: see float_dtype
        raise TypeError(
            f"{name} must be a float16, bfloat16, float32 or float64 array, got dtype {x.dtype}"
        )
    if not x.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not x.dtype.isnative:
        raise ValueError(f"{name} must be in native byte order, got dtype {x.dtype.str}")
    _core.check_no_self_overlap(x, name)
    return x


def path(x: Any, name: str = "path") -> Path:
    """A file-system path (str or os.PathLike of str) without NUL characters."""
    if isinstance(x, bool) or not isinstance(x, (str, os.PathLike)):
        raise TypeError(f"{name} must be a str or os.PathLike, got {x!r}")
    text = os.fspath(x)
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str or os.PathLike of str, got {x!r}")
    if "\x00" in text:
        raise ValueError(f"{name} must not contain a NUL character, got {x!r}")
    return Path(text)


_BFLOAT16_BITS = (np.dtype(np.uint16), np.dtype(np.int16))  # the adapters' bfloat16 bits


def range_dtype(dtype: np.dtype[Any]) -> np.dtype[Any]:
    """The real float dtype whose range and rounding the values of ``dtype`` follow:
    a complex dtype's parts; float32 for bfloat16 (its values are float32 values
    rounded, docs/algorithms.md 2.4) and for the uint16 arrays of bfloat16 bits
    the adapters fill; every float dtype itself."""
    if dtype.kind == "c":
        real: np.dtype[Any] = np.finfo(dtype).dtype
        return real
    if dtype in _BFLOAT16_BITS or _bfloat16.is_bfloat16(dtype):
        return np.dtype(np.float32)
    return dtype


def within_dtype(x: float, name: str, dtype: np.dtype[Any], what: str = "") -> None:
    """Raise ``ValueError`` when ``x`` (the value a parameter gives) is beyond ``dtype``'s range.

    ``what`` describes ``x`` when it is not the argument itself (e.g. "values up to").
    """
    big = float(np.finfo(dtype).max)
    if not -big <= x <= big:
        shown = f"{name}={_short(x)}" if not what else f"{name} gives {what} {x:.4g}"
        raise ValueError(
            f"{shown}, outside the range of {dtype} ([-{big:.8g}, {big:.8g}]); "
            "use a smaller value or a wider dtype"
        )
