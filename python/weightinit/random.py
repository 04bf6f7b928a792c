"""Random arrays from the Philox core: uniform, normal, truncated normal.

Every function fills a new array (or ``out=``) in place, with no copy, on
all cores, and every element is a pure function of (seed, stream, index):
the same bits on any thread count, instruction set, memory layout or block.

Common keyword arguments
------------------------
dtype : float16, bfloat16, float32 or float64 (default float64, like numpy), or
    complex64/complex128 for circularly symmetric complex values with E|w - mean|**2
    the real variance (see docs/initializers.md, "Complex dtypes").
    bfloat16 (``"bfloat16"`` or ``ml_dtypes.bfloat16``; needs ``ml_dtypes``)
    is the float32 result rounded to nearest even, bit for bit, written by
    the core directly.
rng : weightinit.Generator, int seed, numpy Generator/RandomState or None
    (None: the global generator, see :func:`weightinit.set_seed`)
stream : int or str, optional
    Explicit stream id (a name such as ``"layer3.weight"`` hashes to one).
    With an int ``rng`` or an explicit ``stream`` the call is stateless.
out : ndarray, optional
    Writable float16/32/64, bfloat16 or complex64/128 array (any strides) to fill in place.
region : tuple of slices/ints, optional
    Generate only ``full[region]`` of the logical tensor of ``shape``;
    bit-identical to slicing the full result.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _sampling
from ._rng import RngLike, resolve

__all__ = ["uniform", "normal", "truncated_normal"]


def uniform(
    shape: Any = None,
    low: Any = 0.0,
    high: Any = 1.0,
    *,
    dtype: Any = None,
    rng: RngLike = None,
    stream: int | str | None = None,
    out: np.ndarray[Any, np.dtype[Any]] | None = None,
    region: Any = None,
) -> np.ndarray[Any, np.dtype[Any]]:
    """Uniform values on the half-open interval ``[low, high)``.

    Value = low + (high - low) * u with u = k * 2**-23 (float32) or k * 2**-52
    (float64), k uniform; the result is clamped into [low, high) in the output
    dtype, so ``high`` is never returned and nothing below ``low`` is. ``low``,
    ``high`` and (for float16/float32) ``high - low`` must fit the dtype, with
    at least one of its values in [low, high): otherwise ``ValueError``
    (docs/initializers.md, "Values and dtypes"). Complex dtypes: uniform on the
    disk about (low + high) / 2 of radius (high - low) / sqrt(6), which has the
    same variance. bfloat16 is the float32 value rounded (``high`` can then occur).

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random.uniform((256, 128), -0.1, 0.1, dtype="float32", rng=7)
    >>> bool((w >= -0.1).all() and (w < 0.1).all())
    True
    """
    params = _sampling.uniform_params(low, high)
    return _sampling.fill(
        _sampling.UNIFORM, params, shape, dtype, out, region, resolve, rng, stream
    )


def normal(
    shape: Any = None,
    mean: Any = 0.0,
    std: Any = 1.0,
    *,
    dtype: Any = None,
    rng: RngLike = None,
    stream: int | str | None = None,
    out: np.ndarray[Any, np.dtype[Any]] | None = None,
    region: Any = None,
) -> np.ndarray[Any, np.dtype[Any]]:
    """Normal values N(mean, std**2) by the Box-Muller transform.

    Elements (2t, 2t+1) are one pair, z = sqrt(-2 ln u1) * (cos, sin)(theta): u1 from the
    random bits of element 2t, the uniform angle theta from those of element 2t+1, computed
    with the library's own log and sin/cos so every path gives the same bits.
    Complex dtypes: the pair is the real and imaginary part of one element (a circular
    normal, each part N(0, std**2 / 2)), and ``mean`` is added to the real part.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random.normal((512, 512), std=0.02, dtype="float32", rng=0)
    >>> abs(float(w.std()) - 0.02) < 0.001
    True
    """
    params = _sampling.normal_params(mean, std)
    return _sampling.fill(_sampling.NORMAL, params, shape, dtype, out, region, resolve, rng, stream)


def truncated_normal(
    shape: Any = None,
    mean: Any = 0.0,
    std: Any = 1.0,
    lower: Any = -2.0,
    upper: Any = 2.0,
    preserve_std: bool = False,
    *,
    dtype: Any = None,
    rng: RngLike = None,
    stream: int | str | None = None,
    out: np.ndarray[Any, np.dtype[Any]] | None = None,
    region: Any = None,
) -> np.ndarray[Any, np.dtype[Any]]:
    """Normal values truncated to ``[mean + lower*std, mean + upper*std]``.

    Bounds are in units of ``std`` (Keras/JAX semantics). Exact inverse-CDF
    sampling, no rejection: z = Phi^-1(Phi(lower) + u (Phi(upper) - Phi(lower))),
    with Giles' erfinv in float32 and Wichura's AS241 in float64 (float32
    elements beyond about 5.4 std, past Giles' range, are computed in float64
    and rounded; docs/algorithms.md 4.2), then value = mean + s * z.
    ``s = std`` by default; with ``preserve_std=True`` ``s = std / sd`` where
    sd is the standard deviation of the truncated standard normal
    (0.87962566103423978 at +-2), so the values have standard deviation
    ``std``, as Keras' and JAX's variance scaling do. Complex dtypes need
    ``lower == -upper``: the modulus of a circular normal (E|z|**2 = std**2) is
    truncated to ``upper * std``.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.random.truncated_normal((1000,), std=0.5, rng=1)
    >>> bool(abs(w).max() <= 1.0)
    True
    """
    params = _sampling.truncated_normal_params(mean, std, lower, upper, preserve_std)
    return _sampling.fill(
        _sampling.TRUNCATED_NORMAL, params, shape, dtype, out, region, resolve, rng, stream
    )
