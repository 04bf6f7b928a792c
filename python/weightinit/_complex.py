"""complex64/complex128 output: circularly symmetric draws built on the real kernels.

A complex array of shape S is filled as the float tensor of shape S + (2,) (float32
parts for complex64, float64 for complex128) with the real and imaginary parts of
element e at float indices 2e and 2e + 1, so regions, strides, threads and
instruction sets reduce to the real machinery and its contract. The distributions,
chosen as JAX's ``variance_scaling`` chooses them (E|w - mean|**2 = the real draw's
variance, uniform phase), are element-wise transforms of the real draws with IEEE
basic operations, ``sqrt`` and the exact ``fmod`` only, so every platform gives the
same bits (docs/design.md, "Complex dtypes").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Context, Decimal
from typing import Any

import numpy as np

from . import _core
from . import _validation as check

Array = np.ndarray[Any, np.dtype[Any]]

COMPLEX_DTYPES = (np.dtype(np.complex64), np.dtype(np.complex128))

#: Sub-stream tag of the disk radii (docs/design.md contract 1): "CDISK".
CDISK = 0x434449534B000001

# Standard deviation of a circular normal with E|z|**2 = 1 whose modulus is
# truncated to 2: sqrt(1 - 4 e**-4 / (1 - e**-4)) (truncated_radius_std(2.0)).
# JAX divides by .95311164380491208 instead, so its complex truncated normal has
# 1.0187 times the requested variance (docs/initializers.md, "Complex dtypes").
TRUNCATED_RADIUS_STD_2 = 0.9619618280082135

_SQRT_HALF = math.sqrt(0.5)
_SQRT_6 = math.sqrt(6.0)


def is_complex(dtype: Any) -> bool:
    return bool(np.dtype(dtype).kind == "c")


def value_dtype(x: Any, default: Any = None, name: str = "dtype") -> np.dtype[Any]:
    """A float dtype (:func:`check.float_dtype`) or complex64/complex128.

    Accepted spellings are remembered (a small call pays for the parsing once);
    a rejected one is parsed, and raises, every time.
    """
    key = (x, default, name)
    try:
        return _ACCEPTED[key]
    except (KeyError, TypeError):  # TypeError: an unhashable argument, parsed below
        pass
    dt = _value_dtype(x, default, name)
    try:
        if len(_ACCEPTED) < 256:
            _ACCEPTED[key] = dt
    except TypeError:
        pass
    return dt


_ACCEPTED: dict[Any, np.dtype[Any]] = {}


def _value_dtype(x: Any, default: Any, name: str) -> np.dtype[Any]:
    try:
        dt = np.dtype(default if x is None else x)
    except (TypeError, ValueError):  # float_dtype below names the argument
        dt = None
    if dt is not None and dt.kind == "c":
        if dt not in COMPLEX_DTYPES:
            raise TypeError(f"{name} must be complex64 or complex128 when complex, got {dt}")
        builtin: np.dtype[Any] = np.dtype(dt.char)
        return builtin
    return check.float_dtype(x, default, name)


def out_array(x: Any, name: str = "out") -> Array:
    """:func:`check.out_array`, also accepting complex64/complex128 arrays."""
    if not (isinstance(x, np.ndarray) and x.dtype.kind == "c"):
        return check.out_array(x, name)
    if x.dtype.itemsize not in (8, 16):
        raise TypeError(f"{name} must be a complex64 or complex128 array, got dtype {x.dtype}")
    if not x.flags.writeable:
        raise ValueError(f"{name} is read-only")
    if not x.dtype.isnative:
        raise ValueError(f"{name} must be in native byte order, got dtype {x.dtype.str}")
    if x.size > 1 and any(s == 0 and n > 1 for s, n in zip(x.strides, x.shape)):
        raise ValueError(f"{name} has a zero stride (overlapping elements): strides {x.strides}")
    return x


def unsupported(what: str, dtype: Any) -> TypeError:
    return TypeError(
        f"{what} does not support complex dtypes, got dtype={np.dtype(dtype)} "
        "(use float16, float32 or float64)"
    )


def check_truncation(lower: float, upper: float) -> None:
    """A complex truncated normal truncates the modulus: the bounds must be -b, b."""
    if not (upper > 0 and lower == -upper):
        raise ValueError(
            "a complex truncated normal truncates the modulus, so it needs symmetric bounds "
            f"lower == -upper (in units of std), got lower={lower}, upper={upper}"
        )


def truncated_radius_std(upper: float) -> float:
    """sqrt(E|z|**2) of a circular normal with E|z|**2 = 1 truncated to |z| <= upper.

    |z|**2 is Exp(1) truncated to [0, a], a = upper**2, with mean
    1 - a e**-a / (1 - e**-a). Computed in decimal arithmetic (correctly rounded,
    no libm), so the constant is the same on every platform.
    """
    ctx = Context(prec=40)
    a = ctx.multiply(Decimal(upper), Decimal(upper))
    tail = ctx.exp(-a)
    mean = 1 - ctx.divide(ctx.multiply(a, tail), ctx.subtract(1, tail))
    return math.sqrt(float(mean))


def parts(out: Array) -> Array:
    """The float view of shape ``out.shape + (2,)``: real and imaginary parts adjacent."""
    real = out.real
    return np.lib.stride_tricks.as_strided(
        real, out.shape + (2,), out.strides + (real.itemsize,), writeable=True
    )


def _normal_pairs(
    std: float, shape: Sequence[int], out: Array, start: Sequence[int], key: int, stream: int
) -> Array:
    """Fill ``out`` with the Box-Muller pairs of the float tensor S + (2,): a circular normal."""
    view = parts(out)
    _core.fill(_core.Distribution.normal, [0.0, std], key, stream, [*shape, 2], [*start, 0], view)
    return view


def normal(
    mean: float,
    std: float,
    shape: Sequence[int],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
) -> None:
    """Circular normal: real and imaginary parts N(0, std**2 / 2), then ``mean`` + the real part."""
    view = _normal_pairs(std * _SQRT_HALF, shape, out, start, key, stream)
    if mean != 0:
        view[..., 0] += view.dtype.type(mean)


def uniform(
    low: float,
    high: float,
    shape: Sequence[int],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
) -> None:
    """Uniform on the disk about c = (low + high) / 2 of radius R = (high - low) / sqrt(6).

    E|w - c|**2 = R**2 / 2 = (high - low)**2 / 12, the variance of U[low, high).
    The direction is that of the normal pair (x, y) of element e; the radius is
    R sqrt(u), u the uniform [0, 1) element e of sub-stream (stream, CDISK, 0).
    """
    part = parts(out).dtype.type
    center = part((low + high) / 2)
    if low == high:
        out[...] = center
        return
    view = _normal_pairs(1.0, shape, out, start, key, stream)
    u = np.empty(out.shape, dtype=view.dtype)
    radii = _core.substream(stream, CDISK, 0)
    _core.fill(_core.Distribution.uniform, [0.0, 1.0], key, radii, list(shape), list(start), u)
    x, y = view[..., 0], view[..., 1]
    # asarray: a 0-d block's arithmetic gives numpy scalars, which take no out=.
    norm = np.asarray(np.sqrt(x * x + y * y))
    np.maximum(norm, np.finfo(view.dtype).tiny, out=norm)  # never 0 (docs/design.md)
    k = np.sqrt(u)
    k *= part((high - low) / _SQRT_6)
    k /= norm
    x *= k
    y *= k
    x += center


def truncated(
    mean: float,
    scale: float,
    upper: float,
    shape: Sequence[int],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
) -> None:
    """Circular normal with E|z|**2 = scale**2 before its modulus is truncated to upper * scale.

    From the normal pair (x, y) of element e, in float64: p = x x + y y (p / 2 is
    Exp(1)), r2 = fmod(p / 2, upper**2) (an Exp(1) wrapped onto [0, upper**2) is
    exactly Exp(1) truncated there), g = scale sqrt(r2 / p); w = (mean + g x) + i g y,
    rounded once to the part dtype.
    """
    view = _normal_pairs(1.0, shape, out, start, key, stream)
    x = view[..., 0].astype(np.float64)
    y = view[..., 1].astype(np.float64)
    p = np.asarray(x * x)  # an array also for a 0-d block (out= below)
    p += y * y
    r2 = np.fmod(p * 0.5, upper * upper)
    np.maximum(p, np.finfo(np.float64).tiny, out=p)
    g = np.sqrt(r2 / p)
    g *= scale
    x *= g
    x += mean
    y *= g
    view[..., 0] = x
    view[..., 1] = y


def fill(
    kind: _core.Distribution,
    params: Sequence[float],
    key: int,
    stream: int,
    shape: Sequence[int],
    start: Sequence[int],
    out: Array,
) -> None:
    """The complex counterpart of ``_core.fill`` for :mod:`weightinit.random`'s parameters."""
    if out.size == 0:
        return
    start = list(start) or [0] * len(shape)
    if kind == _core.Distribution.uniform:
        uniform(params[0], params[1], shape, out, start, key, stream)
    elif kind == _core.Distribution.normal:
        normal(params[0], params[1], shape, out, start, key, stream)
    else:
        mean, std, _, upper, preserve_std = params
        scale = std / truncated_radius_std(upper) if preserve_std else std
        truncated(mean, scale, upper, shape, out, start, key, stream)
