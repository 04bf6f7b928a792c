"""bfloat16: one rounding rule, one fill path (docs/algorithms.md 2.4).

A bfloat16 weight is the float32 weight rounded to nearest even. Inside the
package a bfloat16 destination is always a ``uint16`` array of bit patterns:
numpy's bfloat16 arrays (``ml_dtypes``), torch's bfloat16 tensors (through
their int16 view) and JAX's bfloat16 shards all become one, so every
framework reaches the same code. The core's element-wise and Sparse kernels
write the bits directly, rounding in registers (``_core.fill(...,
bfloat16=True)``); every other initializer (Constant, Identity, Dirac,
Orthogonal, user subclasses) is computed in float32, a bounded block at a
time, and rounded once by :func:`float32_to_bfloat16_bits`, the reference
the kernels are tested against bit for bit (``_base.fill_block``).

numpy has no bfloat16 dtype of its own; ``ml_dtypes`` (a small package JAX
depends on) provides it and is optional: only ``dtype="bfloat16"`` on numpy
arrays needs it. torch tensors, JAX arrays and safetensors checkpoints are
written as bits without it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "BLOCK_BYTES",
    "INSTALL",
    "bits",
    "float32_to_bfloat16_bits",
    "is_bfloat16",
    "numpy_dtype",
    "scalar_bits",
]

Array = np.ndarray[Any, np.dtype[Any]]

# float32 scratch per block where an initializer has no bfloat16 kernel: fits
# in L2, so the rounding passes run from cache.
BLOCK_BYTES = 1 << 20

# The dtype of the arrays of bfloat16 bits the core writes, as a dtype object: comparing
# a dtype with it is an identity check, with ``np.uint16`` a conversion every time.
BITS: np.dtype[Any] = np.dtype(np.uint16)

INSTALL = "pip install ml_dtypes (or: pip install 'weightinit[bfloat16]')"


def numpy_dtype(name: str = "dtype") -> np.dtype[Any]:
    """``ml_dtypes.bfloat16`` as a numpy dtype, or an ImportError saying how to get it."""
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(
            f"{name}='bfloat16' needs the ml_dtypes package for numpy's bfloat16 arrays "
            f"(numpy has no bfloat16 of its own): {INSTALL}"
        ) from None
    dt: np.dtype[Any] = np.dtype(ml_dtypes.bfloat16)
    return dt


def is_bfloat16(dt: np.dtype[Any]) -> bool:
    """``dt`` is ml_dtypes' bfloat16 (by kind, size and name: it may have been pickled)."""
    return dt.kind == "V" and dt.itemsize == 2 and dt.name == "bfloat16"


def bits(a: Array) -> Array:
    """The uint16 view of a bfloat16, int16 or uint16 array (any strides)."""
    return a.view(np.uint16)


def float32_to_bfloat16_bits(src: Array, dst: Array, tmp: Array | None = None) -> Array:
    """Round float32 ``src`` to bfloat16, round-to-nearest-even, into uint16/int16 ``dst``.

    bits = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 on the float32 bit pattern u:
    ties go to the even bfloat16, overflow rounds to infinity as IEEE does;
    a NaN keeps its sign and top payload and is made quiet, (u >> 16) | 0x40.
    The same integer formula as torch's and ml_dtypes' conversions, so finite
    values agree with ``tensor.to(torch.bfloat16)`` bit for bit. The core's
    kernels (``float_to_bfloat16`` in cpp/core) apply the same rule.
    """
    src = np.ascontiguousarray(src, dtype=np.float32)
    u = src.reshape(-1).view(np.uint32)
    t = np.empty_like(u) if tmp is None else tmp.reshape(-1)[: u.size]
    np.right_shift(u, 16, out=t)
    np.bitwise_and(t, 1, out=t)
    t += 0x7FFF
    t += u
    t >>= 16
    nan = np.isnan(src.reshape(-1))
    if nan.any():
        t[nan] = (u[nan] >> 16) | 0x40
    np.copyto(dst.view(np.uint16), t.reshape(dst.shape), casting="unsafe")
    return dst


def scalar_bits(x: float) -> int:
    """The bfloat16 bits of ``float32(x)``, by :func:`float32_to_bfloat16_bits`."""
    out = np.empty(1, dtype=np.uint16)
    float32_to_bfloat16_bits(np.array([x], dtype=np.float32), out)
    return int(out[0])
