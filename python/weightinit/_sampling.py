"""The element-wise distributions: their parameter checks and the one fill driver.

:mod:`weightinit.random`, the :class:`~weightinit.Generator` methods and the
element-wise initializers all check parameters here and fill through
:func:`fill`, which runs every check before it asks for the (key, stream)
pair, so a call that raises never takes a stream from a generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _bfloat16, _complex, _core
from . import _validation as check
from ._shapes import block_shape, full_rank_view, whole_or_region

__all__ = [
    "NORMAL",
    "TRUNCATED_NORMAL",
    "UNIFORM",
    "fill",
    "normal_params",
    "truncated_normal_params",
    "truncated_normal_mass",
    "uniform_params",
]

# The core's distribution kinds (the ``kind`` argument of ``_core.fill``).
UNIFORM = _core.Distribution.uniform
NORMAL = _core.Distribution.normal
TRUNCATED_NORMAL = _core.Distribution.truncated_normal

Resolver = Callable[[], tuple[int, int]]
Array = np.ndarray[Any, np.dtype[Any]]


def uniform_params(low: Any, high: Any) -> list[float]:
    lo, hi = check.finite(low, "low"), check.finite(high, "high")
    if not lo < hi:
        raise ValueError(f"low must be less than high, got low={lo}, high={hi}")
    if not math.isfinite(hi - lo):
        raise ValueError(f"high - low overflows: low={lo}, high={hi}")
    return [lo, hi]


def normal_params(mean: Any, std: Any) -> list[float]:
    return [check.finite(mean, "mean"), check.non_negative(std, "std")]


def truncated_normal_mass(lower: float, upper: float) -> float:
    """Probability mass of [lower, upper] under N(0, 1), from the accurate tail."""
    if lower >= 0:
        return _core.normal_cdf(-lower) - _core.normal_cdf(-upper)
    return _core.normal_cdf(upper) - _core.normal_cdf(lower)


def truncated_normal_params(
    mean: Any, std: Any, lower: Any, upper: Any, preserve_std: bool
) -> list[float]:
    """``[mean, std, lower, upper, preserve_std]`` with bounds in units of ``std``."""
    m, s = normal_params(mean, std)
    lo, hi = check.not_nan(lower, "lower"), check.not_nan(upper, "upper")
    if not lo < hi:
        raise ValueError(f"lower must be less than upper, got lower={lo}, upper={hi}")
    # The float32 kernels keep the tail masses in float: they must stay normal numbers.
    if not truncated_normal_mass(lo, hi) > 1e-30:
        raise ValueError(f"the interval [{lo}, {hi}] has negligible probability mass")
    return [m, s, lo, hi, 1.0 if preserve_std else 0.0]


def fill(
    kind: _core.Distribution,
    params: Sequence[float],
    shape: Any,
    dtype: Any,
    out: Any,
    region: Any,
    resolve: Resolver,
) -> Array:
    """Check ``shape``/``dtype``/``out``/``region``, then ``resolve()`` the
    (key, stream) pair and fill in one call into the core (GIL released).

    Kept lean: a 4096-element call must cost little more than its kernel.
    """
    dest: Array
    if out is not None:
        dest = _complex.out_array(out)
        if dtype is not None and _complex.value_dtype(dtype) != dest.dtype:
            raise ValueError(
                f"out has dtype {dest.dtype} but dtype={np.dtype(dtype)} was requested"
            )
        if shape is None:
            shape = dest.shape
        elif region is None and check.shape(shape) != dest.shape:
            raise ValueError(f"out has shape {dest.shape} but shape is {check.shape(shape)}")
        if region is None:
            _check_complex(kind, params, dest.dtype)
            key, sid = resolve()
            _fill(kind, params, key, sid, dest.shape, (), dest)
            return dest
    elif shape is None:
        raise TypeError("shape is required when out is not given")
    full = check.shape(shape)
    start, extent, kept = whole_or_region(full, region)
    needed = block_shape(extent, kept)
    if out is None:
        dest = np.empty(needed, dtype=_complex.value_dtype(dtype, np.float64))
    elif dest.shape != needed:
        raise ValueError(f"out has shape {dest.shape} but the region needs {needed}")
    _check_complex(kind, params, dest.dtype)
    key, sid = resolve()
    _fill(kind, params, key, sid, full, start, full_rank_view(dest, kept))
    return dest


def _check_complex(kind: _core.Distribution, params: Sequence[float], dtype: Any) -> None:
    if kind == TRUNCATED_NORMAL and _complex.is_complex(dtype):
        _complex.check_truncation(params[2], params[3])


def _fill(
    kind: _core.Distribution,
    params: Sequence[float],
    key: int,
    stream: int,
    shape: Sequence[int],
    start: Sequence[int],
    out: Array,
) -> None:
    if out.dtype.kind == "c":
        _complex.fill(kind, params, key, stream, shape, start, out)
    elif _bfloat16.is_bfloat16(out.dtype):  # the core writes the bits (docs/algorithms.md 2.4)
        _core.fill(kind, params, key, stream, shape, start, _bfloat16.bits(out), True)
    else:
        _core.fill(kind, params, key, stream, shape, start, out)
