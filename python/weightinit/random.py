"""Random arrays from the Philox core: uniform, normal, truncated normal.

Every function fills a new array (or ``out=``) in place, with no copy, on
all cores, and every element is a pure function of (seed, stream, index):
the same bits on any thread count, instruction set, memory layout or block.

Common keyword arguments
------------------------
dtype : float16, float32 or float64 (default float64, like numpy)
rng : weightinit.Generator, int seed, numpy Generator/RandomState or None
    (None: the global generator, see :func:`weightinit.set_seed`)
stream : int or str, optional
    Explicit stream id (a name such as ``"layer3.weight"`` hashes to one).
    With an int ``rng`` or an explicit ``stream`` the call is stateless.
out : ndarray, optional
    Writable float16/32/64 array (any strides) to fill in place.
region : tuple of slices/ints, optional
    Generate only ``full[region]`` of the logical tensor of ``shape``;
    bit-identical to slicing the full result.
"""

from __future__ import annotations

import math

import numpy as np

from . import _core
from ._rng import resolve
from ._shapes import block_shape, full_rank_view, normalize_dtype, normalize_shape, parse_region

__all__ = ["uniform", "normal", "truncated_normal", "fill"]

_UNIFORM = _core.Distribution.uniform
_NORMAL = _core.Distribution.normal
_TRUNCATED = _core.Distribution.truncated_normal


def _real(x, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number, got {x!r}") from None
    return v


def _finite(x, name: str) -> float:
    if type(x) is float and x - x == 0.0:  # the common case, kept cheap (false for inf, nan)
        return x
    v = _real(x, name)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    return v


def _std(x, name: str = "std") -> float:
    if type(x) is float and x >= 0.0 and x - x == 0.0:
        return x
    v = _finite(x, name)
    if v < 0:
        raise ValueError(f"{name} must be non-negative, got {v}")
    return v


def fill(
    kind: _core.Distribution,
    params,
    shape,
    dtype,
    rng,
    stream,
    out,
    region,
    default_dtype=np.float64,
):
    """Shared driver: validate everything, then one call into the core (GIL released).

    Kept lean: a 4096-element call must cost little more than its kernel.
    """
    if out is not None:
        if type(out) is not np.ndarray and not isinstance(out, np.ndarray):
            raise TypeError(f"out must be a numpy.ndarray, got {type(out).__name__}")
        if dtype is not None and np.dtype(dtype) != out.dtype:
            raise ValueError(f"out has dtype {out.dtype} but dtype={np.dtype(dtype)} was requested")
        # dtype kind, writeability, byte order and strides are checked by the core.
        if shape is None:
            shape = out.shape
        elif region is None and normalize_shape(shape) != out.shape:
            raise ValueError(f"out has shape {out.shape} but shape is {normalize_shape(shape)}")
        if region is None:
            key, sid = resolve(rng, stream)
            _core.fill(kind, params, key, sid, out.shape, (), out)
            return out
    elif shape is None:
        raise TypeError("shape is required when out is not given")
    shape = normalize_shape(shape)
    if region is None:
        start, extent, kept = (), shape, (True,) * len(shape)
    else:
        start, extent, kept = parse_region(region, shape)
    extent = block_shape(extent, kept)
    if out is None:
        out = np.empty(extent, dtype=normalize_dtype(dtype, default_dtype))
    elif out.shape != extent:
        raise ValueError(f"out has shape {out.shape} but the region needs {extent}")
    key, sid = resolve(rng, stream)
    _core.fill(kind, params, key, sid, shape, start, full_rank_view(out, kept))
    return out


def uniform(
    shape=None, low=0.0, high=1.0, *, dtype=None, rng=None, stream=None, out=None, region=None
):
    """Uniform values on the half-open interval ``[low, high)``.

    Value = low + (high - low) * u with u = k * 2**-23 (float32) or k * 2**-52
    (float64), k uniform; the result is clamped below ``high`` so ``high`` is
    never returned, in any dtype.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random.uniform((256, 128), -0.1, 0.1, dtype="float32", rng=7)
    >>> bool((w >= -0.1).all() and (w < 0.1).all())
    True
    """
    low, high = _finite(low, "low"), _finite(high, "high")
    if not low < high:
        raise ValueError(f"low must be less than high, got low={low}, high={high}")
    if not math.isfinite(high - low):
        raise ValueError(f"high - low overflows: low={low}, high={high}")
    return fill(_UNIFORM, [low, high], shape, dtype, rng, stream, out, region)


def normal(
    shape=None, mean=0.0, std=1.0, *, dtype=None, rng=None, stream=None, out=None, region=None
):
    """Normal values N(mean, std**2) by the Box-Muller transform.

    Elements (2t, 2t+1) are one pair, z = sqrt(-2 ln u1) * (cos, sin)(theta): u1 from the
    random bits of element 2t, the uniform angle theta from those of element 2t+1, computed
    with the library's own log and sin/cos so every path gives the same bits.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random.normal((512, 512), std=0.02, dtype="float32", rng=0)
    >>> abs(float(w.std()) - 0.02) < 0.001
    True
    """
    return fill(_NORMAL, [_finite(mean, "mean"), _std(std)], shape, dtype, rng, stream, out, region)


def truncated_normal(
    shape=None,
    mean=0.0,
    std=1.0,
    lower=-2.0,
    upper=2.0,
    preserve_std=False,
    *,
    dtype=None,
    rng=None,
    stream=None,
    out=None,
    region=None,
):
    """Normal values truncated to ``[mean + lower*std, mean + upper*std]``.

    Bounds are in units of ``std`` (Keras/JAX semantics). Exact inverse-CDF
    sampling, no rejection: z = Phi^-1(Phi(lower) + u (Phi(upper) - Phi(lower))),
    with Giles' erfinv in float32 and Wichura's AS241 in float64, then
    value = mean + s * z. ``s = std`` by default; with ``preserve_std=True``
    ``s = std / sd`` where sd is the standard deviation of the truncated
    standard normal (0.87962566103423978 at +-2), so the values have standard
    deviation ``std``, as Keras' and JAX's variance scaling do.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random.truncated_normal((1000,), std=0.5, rng=1)
    >>> bool(abs(w).max() <= 1.0)
    True
    """
    mean, sd = _finite(mean, "mean"), _std(std)
    lower, upper = _real(lower, "lower"), _real(upper, "upper")
    if math.isnan(lower) or math.isnan(upper):
        raise ValueError(f"lower and upper must not be NaN, got lower={lower}, upper={upper}")
    if not lower < upper:
        raise ValueError(f"lower must be less than upper, got lower={lower}, upper={upper}")
    params = [mean, sd, lower, upper, 1.0 if preserve_std else 0.0]
    return fill(_TRUNCATED, params, shape, dtype, rng, stream, out, region)
