"""Orthogonal matrices and Householder QR from weightinit's own level-3 kernels.

Everything here runs in the compiled core: a packed GEMM with register-blocked
micro-kernels (scalar, AVX2, AVX-512), compact-WY ``larft``/``larfb``, a blocked
``orgqr`` and ``geqrf``. Results are the same bits for every thread count and
instruction set, because threads split only output columns and every output
element is one ascending chain of FMAs (see ``docs/orthogonal.md``).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from . import _bfloat16, _core, _rng
from . import _validation as check
from .gains import GainLike, resolve_gain

Array = np.ndarray[Any, np.dtype[Any]]

__all__ = ["QRResult", "orthogonal", "orthogonalize", "qr"]


class QRResult(NamedTuple):
    """``(Q, R)`` as returned by :func:`qr` (same field names as numpy's)."""

    Q: Array
    R: Array


def _work_dtype(dtype: np.dtype[Any], name: str = "a") -> np.dtype[Any]:
    # float16 and float32 are factored in float32, everything else (integers, float64,
    # longdouble) in float64.
    dt = np.dtype(dtype)
    if dt.kind == "c":
        raise TypeError(f"{name} must hold real numbers (complex is not supported), got dtype {dt}")
    if dt.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {dt}")
    if dt == np.float32 or dt == np.float16:
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def _qr2d(a: Array, mode: str, dt: np.dtype[Any]) -> QRResult | Array:
    m, n = a.shape
    k = min(m, n)
    work = np.array(a, dtype=dt, order="F", copy=True)
    tau = np.zeros(k, dtype=dt)
    if k:
        _core.geqrf(work, tau)
    ncols = m if mode == "complete" else k
    r = np.triu(work[:ncols, :]) if mode == "complete" else np.triu(work[:k, :])
    if mode == "r":
        return r
    q = np.empty((m, ncols), dtype=dt, order="F")
    if m:
        _core.orgqr(work, tau, q)
    return QRResult(np.ascontiguousarray(q), r)


def qr(a: Any, mode: str = "reduced") -> QRResult | Array:
    """Householder QR factorization, ``a = Q @ R``, with numpy.linalg.qr's interface.

    Blocked LAPACK-style ``geqrf`` (unblocked panel, ``larft``, threaded ``larfb``
    trailing update) and ``orgqr``. Like LAPACK (and numpy), the diagonal of
    ``R`` may be negative; :func:`orthogonalize` fixes the signs.

    Parameters
    ----------
    a : array_like, shape (..., M, N)
        Real input. float16 and float32 are factored in float32, everything else
        (integers, float64) in float64; Q and R have that dtype.
    mode : {'reduced', 'complete', 'r'}
        'reduced': Q (M, K), R (K, N) with K = min(M, N); 'complete': Q (M, M),
        R (M, N); 'r': only R (K, N).

    Returns
    -------
    QRResult(Q, R), or R for mode='r'.

    Raises
    ------
    ValueError
        For non-finite input, fewer than 2 dimensions, or an unknown mode.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> a = np.arange(6.0).reshape(3, 2)
    >>> q, r = wi.linalg.qr(a)
    >>> bool(np.allclose(q @ r, a))
    True
    """
    mode = check.choice(mode, "mode", ("reduced", "complete", "r"))
    a = np.asarray(a)
    if a.ndim < 2:
        raise ValueError(f"a must have at least 2 dimensions, got shape {a.shape}")
    dt = _work_dtype(a.dtype)
    if a.size and not np.isfinite(a).all():
        raise ValueError("a contains NaN or infinity; QR needs finite input")
    if a.ndim == 2:
        return _qr2d(a, mode, dt)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    flat = a.reshape((math.prod(batch), m, n))  # not -1: ambiguous when a is empty
    qcols = m if mode == "complete" else k
    rrows = m if mode == "complete" else k
    rs = np.empty((flat.shape[0], rrows, n), dt)
    qs = np.empty((flat.shape[0], m, qcols), dt)
    for i in range(flat.shape[0]):
        qs[i], rs[i] = _qr2d(flat[i], "complete" if mode == "complete" else "reduced", dt)
    if mode == "r":
        r_only: Array = rs.reshape(batch + (rrows, n))
        return r_only
    return QRResult(qs.reshape(batch + (m, qcols)), rs.reshape(batch + (rrows, n)))


def orthogonalize(w: Any, column_axis: int | None = None) -> Array:
    """The sign-fixed orthogonal factor of an existing weight array.

    Flattens ``w`` like :class:`weightinit.Orthogonal`: to
    ``(shape[0], prod(shape[1:]))`` by default (Lasagne/torch), or with the
    axis ``column_axis`` moved last and the others flattened (Keras/JAX,
    ``column_axis=-1``). For a tall matrix ``W = QR`` it returns
    ``Q @ diag(sign(diag(R)))`` (signs of zero taken as +1), the orthonormal
    basis of W's columns closest in orientation to W; a wide matrix is
    handled through its transpose (orthonormal rows).

    Parameters
    ----------
    w : array_like, at least 2-D, finite
    column_axis : int, optional

    Returns
    -------
    ndarray of w's shape and, for float input, w's dtype (float16 is computed in
    float32); integer input gives float64.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> q = wi.linalg.orthogonalize(np.random.default_rng(0).normal(size=(5, 3)))
    >>> bool(np.allclose(q.T @ q, np.eye(3)))
    True
    """
    w = np.asarray(w)
    if w.ndim < 2:
        raise ValueError(f"w must have at least 2 dimensions, got shape {w.shape}")
    dt = _work_dtype(w.dtype, "w")
    out_dt = w.dtype if w.dtype.kind == "f" else dt
    if column_axis is not None:
        column_axis = check.integer(column_axis, "column_axis")
        if not -w.ndim <= column_axis < w.ndim:
            raise ValueError(f"column_axis {column_axis} is out of range for {w.ndim} dimensions")
        moved = np.moveaxis(w, column_axis, -1)
        mat = moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])
    else:  # explicit sizes, not -1: ambiguous when w is empty
        mat = w.reshape(w.shape[0], math.prod(w.shape[1:]))
    if mat.size and not np.isfinite(mat).all():
        raise ValueError("w contains NaN or infinity")
    tall = mat.shape[0] >= mat.shape[1]
    q, r = qr(mat if tall else mat.T)  # mode="reduced": a QRResult
    s = np.sign(np.diagonal(r)).astype(dt)
    s[s == 0] = 1
    q = q * s
    if not tall:
        q = q.T
    if column_axis is not None:
        res = np.moveaxis(q.reshape(moved.shape), -1, column_axis)
    else:
        res = q.reshape(w.shape)
    return np.ascontiguousarray(res, dtype=out_dt)


def orthogonal(
    rows: int,
    cols: int | None = None,
    dtype: Any = np.float64,
    rng: _rng.RngLike = None,
    stream: int | str | None = None,
    gain: GainLike = 1.0,
    columns: slice | None = None,
) -> Array:
    """A Haar-distributed (semi-)orthogonal ``rows x cols`` matrix.

    Householder reflectors are drawn directly from Gaussian vectors (Stewart
    1980; reflector i from its own counter sub-stream), Q is formed by a
    blocked ``orgqr`` and column i is multiplied by ``sign(beta_i)``
    (Mezzadri 2007). No factorization is done: half the flops of the QR route.
    ``rows >= cols`` gives orthonormal columns, ``rows < cols`` orthonormal
    rows (the transpose of the ``cols x rows`` matrix).

    Parameters
    ----------
    rows, cols : int
        ``cols`` defaults to ``rows``.
    dtype : float16, float32 or float64
        float32 is computed in float32; float16 is computed in float32 and rounded.
    rng, stream
        As for every sampler (:func:`weightinit.random.normal`).
    gain : float
        Multiplier (``Q * gain``).
    columns : slice, optional
        Only these columns of the orthonormal axis (columns if rows >= cols,
        rows otherwise); bit-identical to the same part of the full matrix.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> q = wi.linalg.orthogonal(4, rng=0)
    >>> bool(np.allclose(q @ q.T, np.eye(4)))
    True
    """
    rows = check.non_negative_int(rows, "rows")
    cols = rows if cols is None else check.non_negative_int(cols, "cols")
    dt = check.float_dtype(dtype)
    g = resolve_gain(gain)
    check.within_dtype(g, "gain", dt)  # the values are gain * Q, |Q_ij| <= 1
    m, n = max(rows, cols), min(rows, cols)
    if columns is None:
        c0, c1 = 0, n
    elif not isinstance(columns, slice):
        raise TypeError(f"columns must be a slice, got {columns!r}")
    elif columns.step not in (None, 1):
        raise ValueError(f"columns must be a slice with step 1, got {columns!r}")
    else:
        try:
            c0, c1 = columns.indices(n)[:2]
        except TypeError:
            raise TypeError(f"columns must be a slice of integers, got {columns!r}") from None
    c1 = max(c1, c0)
    check.array_bytes((m, c1 - c0), np.dtype(np.float32) if dt.itemsize < 4 else dt, "rows/cols")
    key, sid = _rng.resolve(rng, stream)  # every check is done: now take the stream
    bf16 = _bfloat16.is_bfloat16(dt)
    work_dt = np.float32 if dt == np.float16 or bf16 else dt
    q = np.empty((m, c1 - c0), dtype=work_dt)
    if n and c1 > c0:
        _core.orthogonal_columns(key, sid, m, n, c0, c1, g, q)
    if bf16:  # computed in float32, rounded once (docs/algorithms.md 2.4)
        q = _bfloat16.float32_to_bfloat16_bits(q, np.empty(q.shape, np.uint16)).view(dt)
    q = q.astype(dt, copy=False)
    return q if rows >= cols else q.T.copy()
