"""The element-wise distributions: their parameter checks and the one fill driver.

:mod:`weightinit.random`, the :class:`~weightinit.Generator` methods and the
element-wise initializers all check parameters here and fill through
:func:`fill`, which runs every check before it asks for the (key, stream)
pair, so a call that raises never takes a stream from a generator.
"""

from __future__ import annotations

import functools
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
    "check_values",
    "fill",
    "normal_in_dtype",
    "normal_params",
    "truncated_normal_params",
    "has_mass",
    "truncated_normal_mass",
    "truncated_normal_in_dtype",
    "uniform_in_dtype",
    "uniform_params",
]

# The core's distribution kinds (the ``kind`` argument of ``_core.fill``).
UNIFORM = _core.Distribution.uniform
NORMAL = _core.Distribution.normal
TRUNCATED_NORMAL = _core.Distribution.truncated_normal

Array = np.ndarray[Any, np.dtype[Any]]
# _rng.resolve, passed in (it imports this module): (rng, stream) -> (key, stream id).
Resolver = Callable[[Any, Any], tuple[int, int]]
_INF = math.inf


def uniform_params(low: Any, high: Any) -> list[float]:
    if type(low) is float and type(high) is float and -_INF < low < high < _INF > high - low:
        return [low, high]  # the common case, kept cheap (NaN fails every comparison)
    lo, hi = check.finite(low, "low"), check.finite(high, "high")
    if not lo < hi:
        raise ValueError(f"low must be less than high, got low={lo}, high={hi}")
    if not math.isfinite(hi - lo):
        raise ValueError(f"high - low overflows: low={lo}, high={hi}")
    return [lo, hi]


def normal_params(mean: Any, std: Any) -> list[float]:
    if type(mean) is float and type(std) is float and -_INF < mean < _INF > std >= 0.0:
        return [mean, std]  # the common case, kept cheap (NaN fails every comparison)
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
    if not has_mass(lo, hi):
        raise ValueError(f"the interval [{lo}, {hi}] has negligible probability mass")
    return [m, s, lo, hi, 1.0 if preserve_std else 0.0]


@functools.lru_cache(maxsize=1024)
def has_mass(lower: float, upper: float) -> bool:
    """[lower, upper] (in std units) has more than 1e-30 of the normal mass."""
    # The float32 kernels keep the tail masses in float: they must stay normal numbers.
    return truncated_normal_mass(lower, upper) > 1e-30


# --- values and dtypes (docs/initializers.md, "Values and dtypes") ---------------
# Every rule raises ValueError naming the argument before any stream is taken.

# The largest |z| each normal kernel reaches (docs/algorithms.md 3.1): Box-Muller's
# sqrt(-2 ln 2^-24) = 5.77 in float32 (float16 is drawn as float32) and
# sqrt(-2 ln 2^-53) = 8.57 in float64, rounded up.
_NORMAL_MAX_Z = {2: 5.7683, 4: 5.7683, 8: 8.5718}
# The inverse CDF's largest |z| on an unbounded side: u >= 2^-53 and a mass above
# 1e-30 keep the tail probability above 1e-46, whose quantile is -14.2.
_TRUNCATED_MAX_Z = 14.3
# float32 rounds a - b to infinity from 2^128 - 2^103 on (half an ulp above the largest).
_F32_OVERFLOW = 2.0**128 - 2.0**103


def _at_least(x: float, dtype: np.dtype[Any]) -> float:
    """The smallest value of ``dtype`` at or above ``x`` (``x`` inside its range)."""
    v = dtype.type(x)
    if float(v) < x:
        v = np.nextafter(v, dtype.type(np.inf))
    return float(v)


@functools.lru_cache(maxsize=1024)  # a pure check: see check_values
def uniform_in_dtype(
    low: float, high: float, dtype: np.dtype[Any], names: tuple[str, str] = ("low", "high")
) -> None:
    """U[low, high) is representable in ``dtype``: both ends inside its range, the
    width finite in the float32 the float32/float16 kernels compute in, and at
    least one value of ``dtype`` in [low, high) (the values are clamped into it)."""
    check.within_dtype(low, names[0], dtype)
    check.within_dtype(high, names[1], dtype)
    if dtype.itemsize < 8 and float(np.float32(high)) - float(np.float32(low)) >= _F32_OVERFLOW:
        raise ValueError(
            f"{names[1]} - {names[0]} = {high - low:.4g} overflows float32 (float16 and "
            "float32 values are computed in float32); use float64 or a narrower interval"
        )
    if not _at_least(low, dtype) < high:
        raise ValueError(
            f"no {dtype} value lies in [{names[0]}, {names[1]}) = [{low!r}, {high!r}); "
            "use a wider interval or a wider dtype"
        )


@functools.lru_cache(maxsize=1024)  # a pure check: see check_values
def normal_in_dtype(mean: float, std: float, dtype: np.dtype[Any], name: str = "std") -> None:
    """N(mean, std^2) as the kernel draws it (|z| <= 5.77 or 8.57) fits ``dtype``."""
    check.within_dtype(mean, "mean", dtype)
    z = _NORMAL_MAX_Z[dtype.itemsize]
    reach = abs(mean) + z * std
    check.within_dtype(reach, f"{name}={std!r}", dtype, f"values up to |mean| + {z:.3g} {name} =")


@functools.lru_cache(maxsize=1024)  # a pure check: see check_values
def truncated_normal_in_dtype(
    mean: float, scale: float, lower: float, upper: float, dtype: np.dtype[Any]
) -> None:
    """mean + scale z for z in [lower, upper] (bounds in std units) fits ``dtype``."""
    check.within_dtype(mean, "mean", dtype)
    lo, hi = max(lower, -_TRUNCATED_MAX_Z), min(upper, _TRUNCATED_MAX_Z)
    reach = max(abs(mean + scale * lo), abs(mean + scale * hi))
    check.within_dtype(reach, f"std={scale!r}", dtype, "values up to")


def check_values(kind: _core.Distribution, params: Sequence[float], dtype: np.dtype[Any]) -> None:
    """The rule of ``kind`` for ``params`` (as built by the ``*_params`` functions).

    The ``*_in_dtype`` rules are pure functions and remember the combinations that
    passed, so a small call repeated pays for them once (an argument that fails is
    checked, and raises, every time).
    """
    dtype = check.range_dtype(dtype)
    if kind == UNIFORM:
        uniform_in_dtype(params[0], params[1], dtype)
    elif kind == NORMAL:
        normal_in_dtype(params[0], params[1], dtype)
    else:
        mean, std, lower, upper, preserve = params
        scale = std / _core.truncated_normal_std(lower, upper) if preserve else std
        truncated_normal_in_dtype(mean, scale, lower, upper, dtype)


def fill(
    kind: _core.Distribution,
    params: Sequence[float],
    shape: Any,
    dtype: Any,
    out: Any,
    region: Any,
    resolve: Resolver,
    rng: Any,
    stream: Any,
) -> Array:
    """Check ``shape``/``dtype``/``out``/``region``, then ``resolve(rng, stream)`` to the
    (key, stream) pair (the last thing that may change state) and fill in one call
    into the core.

    A call that repeats one that passed (same kind, parameters, shape and dtype,
    or the same ``out`` layout) skips the checks (docs/design.md, "Small calls").
    """
    if region is None:
        plan_key = _plan_key(kind, params, shape, dtype, out)
        try:
            plan = None if plan_key is None else _PLANS.get(plan_key)
        except TypeError:  # an unhashable dtype spelling
            plan = None
        if plan is not None and (out is None or out.flags.writeable):
            full, dt = plan
            dest: Array = np.empty(full, dt) if out is None else out
            key, sid = resolve(rng, stream)
            _fill(kind, params, key, sid, full, (), dest)
            return dest
    return _fill_checked(kind, params, shape, dtype, out, region, resolve, rng, stream)


# The checks of a call are a pure function of (kind, params, shape, dtype) or, with
# ``out``, of out's dtype, shape and strides, except that out is writeable; calls that
# passed are remembered by those exact values, with the type of every number (True == 1
# and 3.0 == 3, but neither is a size), so a small call repeated pays for them once.
# Complex dtypes, regions and ndarray subclasses take the checked path every time.
Plan = tuple[tuple[int, ...], np.dtype[Any]]  # (shape, dtype) of the array
_PLANS: dict[Any, Plan] = {}
_MAX_PLANS = 1024


def _plan_key(
    kind: _core.Distribution, params: Sequence[float], shape: Any, dtype: Any, out: Any
) -> Any:
    """The key of a call in ``_PLANS``, or None for a call never remembered."""
    if out is not None:
        if type(out) is not np.ndarray or shape is not None or dtype is not None:
            return None
        return (kind, *params, out.dtype, out.shape, out.strides)
    if type(shape) is tuple:
        return (kind, *params, shape, tuple(map(type, shape)), dtype)
    if type(shape) is int:
        return (kind, *params, shape, dtype)
    return None


def _remember(
    kind: _core.Distribution,
    params: Sequence[float],
    shape: Any,
    dtype: Any,
    out: Any,
    plan: Plan,
) -> None:
    key = _plan_key(kind, params, shape, dtype, out)
    if key is None:
        return
    if len(_PLANS) >= _MAX_PLANS:  # bounded: a program cycling through many shapes
        _PLANS.clear()
    try:
        _PLANS[key] = plan
    except TypeError:  # an unhashable dtype spelling
        pass


def _fill_checked(
    kind: _core.Distribution,
    params: Sequence[float],
    shape: Any,
    dtype: Any,
    out: Any,
    region: Any,
    resolve: Resolver,
    rng: Any,
    stream: Any,
) -> Array:
    raw_shape = shape
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
            check_values(kind, params, dest.dtype)
            if dest.dtype.kind != "c":
                _remember(kind, params, raw_shape, dtype, out, (dest.shape, dest.dtype))
            key, sid = resolve(rng, stream)
            _fill(kind, params, key, sid, dest.shape, (), dest)
            return dest
    elif shape is None:
        raise TypeError("shape is required when out is not given")
    full = check.shape(shape)
    start, extent, kept = whole_or_region(full, region)
    needed = block_shape(extent, kept)
    if out is None:
        dt = _complex.value_dtype(dtype, np.float64)
        check.array_bytes(needed, dt, "shape" if region is None else "region")
        check_values(kind, params, dt)
        dest = np.empty(needed, dtype=dt)
        if region is None and dt.kind != "c":
            _remember(kind, params, raw_shape, dtype, None, (full, dt))
    elif dest.shape != needed:
        raise ValueError(f"out has shape {dest.shape} but the region needs {needed}")
    else:
        check_values(kind, params, dest.dtype)
    _check_complex(kind, params, dest.dtype)
    key, sid = resolve(rng, stream)
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
