"""Orthogonal (Saxe et al. 2014) and DeltaOrthogonal (Xiao et al. 2018) initializers.

The matrix is sampled by :func:`weightinit.linalg.orthogonal`'s algorithm
(direct Householder reflectors, blocked ``orgqr``, Mezzadri sign fix). ``sample()``
computes straight into its new array when the layout allows a 2-D view (the
only extra memory is O(rows * 64) workspace); ``fill(out)`` computes in a
scratch array and writes each element of ``out`` once, with its final value,
so a reader of ``out`` never sees a partial product and concurrent fills of
one array with the same values give those values.

Chunkable axis: the weight is flattened to ``(R, C)``; Q has ``m = max(R, C)``
rows and ``n = min(R, C)`` orthonormal columns, and the weight is Q (R >= C)
or Q^T (R < C). Any range of Q's columns -- W's columns when R >= C, W's rows
when R < C -- is produced on its own at the cost of that range, bit-identical
to the full matrix. Other regions are produced by generating the Q columns
they touch and slicing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _core
from . import _validation as check
from ._base import Array, Initializer
from ._errors import ShapeError
from .gains import GainLike, resolve_gain

__all__ = ["DeltaOrthogonal", "Orthogonal"]


def _parse_layout(layout: Any, column_axis: Any) -> int | None:
    """``None`` (Lasagne/torch: flatten trailing axes) or the column axis (Keras/JAX)."""
    layout = check.layout(layout, check.FRAMEWORK_LAYOUTS)
    if column_axis is not None:
        axis = check.integer(column_axis, "column_axis")
        if layout in ("lasagne", "torch"):
            raise ValueError(f"column_axis={axis} contradicts layout={layout!r}")
        return axis
    return -1 if layout in ("keras", "jax") else None


def _reshape_view(a: Array, shape: tuple[int, ...]) -> Array | None:
    """``a`` reshaped without a copy, or None if its strides do not allow it."""
    try:
        view: Array = np.reshape(a, shape, copy=False)
        return view
    except (ValueError, AttributeError):
        return None
    except TypeError:  # numpy < 2.1 has no copy=
        v: Array = a.view()
        try:
            v.shape = shape
        except AttributeError:
            return None
        return v


def _flat_range(
    shape: Sequence[int], start: Sequence[int], extent: Sequence[int]
) -> tuple[int, int, bool]:
    """Row-major flat index range [lo, hi) of a block, and whether it is all of that range."""
    if not shape:
        return 0, 1, True
    lo = int(np.ravel_multi_index(tuple(start), tuple(shape)))
    last = tuple(s + e - 1 for s, e in zip(start, extent))
    hi = int(np.ravel_multi_index(last, tuple(shape))) + 1
    return lo, hi, hi - lo == math.prod(extent)


def _fill_orthogonal(
    shape: Sequence[int],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
    gain: float,
    column_axis: int | None,
    in_place: bool = False,
) -> None:
    """Fill the block ``out`` (at ``start`` of logical ``shape``) of the orthogonal weight.

    ``in_place``: ``out`` is private to this call (``sample``), so the product
    may be formed in it; otherwise it only receives the final values.
    """
    nd = len(shape)
    if column_axis is None:
        row_axes, col_axes = [0], list(range(1, nd))
        moved, mshape, mstart = out, list(shape), list(start)
    else:
        ax = column_axis % nd
        moved = np.moveaxis(out, ax, -1)
        order = [i for i in range(nd) if i != ax] + [ax]
        mshape = [shape[i] for i in order]
        mstart = [start[i] for i in order]
        row_axes, col_axes = list(range(nd - 1)), [nd - 1]
    ext = list(moved.shape)
    R = math.prod(mshape[i] for i in row_axes)
    C = math.prod(mshape[i] for i in col_axes)
    r_lo, r_hi, r_dense = _flat_range(
        [mshape[i] for i in row_axes], [mstart[i] for i in row_axes], [ext[i] for i in row_axes]
    )
    c_lo, c_hi, c_dense = _flat_range(
        [mshape[i] for i in col_axes], [mstart[i] for i in col_axes], [ext[i] for i in col_axes]
    )
    tall = R >= C
    m, n = (R, C) if tall else (C, R)
    # Q columns the block needs, and whether the block spans all of Q's rows.
    q0, q1 = (c_lo, c_hi) if tall else (r_lo, r_hi)
    full_rows = (r_lo, r_hi) == (0, R) if tall else (c_lo, c_hi) == (0, C)
    work = np.float32 if out.dtype == np.float16 else out.dtype
    if in_place and r_dense and c_dense and full_rows and out.dtype != np.float16:
        w2 = _reshape_view(moved, (r_hi - r_lo, c_hi - c_lo))
        if w2 is not None:
            _core.orthogonal_columns(key, stream, m, n, q0, q1, gain, w2 if tall else w2.T)
            return
    q = np.empty((m, q1 - q0), dtype=work)
    _core.orthogonal_columns(key, stream, m, n, q0, q1, gain, q)
    w = q if tall else q.T  # the weight's rows x (needed) columns, offset by (0 or r_lo, c_lo or 0)
    grids = np.ix_(*[np.arange(s, s + e) for s, e in zip(mstart, ext)])
    rows = (
        np.ravel_multi_index(tuple(grids[i] for i in row_axes), tuple(mshape[i] for i in row_axes))
        if row_axes
        else np.zeros((), np.intp)
    )
    cols = np.ravel_multi_index(
        tuple(grids[i] for i in col_axes), tuple(mshape[i] for i in col_axes)
    )
    if tall:
        moved[...] = w[rows, cols - q0]
    else:
        moved[...] = w[rows - q0, cols]


def _orthogonal_whole_axes(shape: tuple[int, ...], column_axis: int | None) -> list[int]:
    """The axes a block must span for its Q columns to be its own (weightinit/_chunking.py)."""
    nd = len(shape)
    if column_axis is None:
        row_axes, col_axes = [0], list(range(1, nd))
    else:
        ax = column_axis % nd
        row_axes, col_axes = [i for i in range(nd) if i != ax], [ax]
    rows = math.prod(shape[i] for i in row_axes)
    cols = math.prod(shape[i] for i in col_axes)
    # Tall: Q's columns are the weight's columns, so the row axes must be whole.
    return row_axes if rows >= cols else col_axes


class Orthogonal(Initializer):
    """Haar-random (semi-)orthogonal weights (Saxe, McClelland & Ganguli 2014).

    The weight is flattened to ``(shape[0], prod(shape[1:]))`` (Lasagne and
    torch; ``layout="keras"``/``"jax"`` or ``column_axis=`` move that axis last
    and flatten the others, as Keras and JAX do). For rows >= cols the columns
    are orthonormal, otherwise the rows; the result is ``gain * Q`` with Q
    exactly Haar-distributed: reflectors drawn from Gaussian vectors (Stewart
    1980), a blocked ``orgqr``, and the Mezzadri (2007) sign fix. Lasagne used
    an SVD without the sign fix, which is not Haar; values therefore differ
    from Lasagne's, distributions do not (except that ours are uniform).

    Parameters
    ----------
    gain : float, str or (str, float)
        Multiplier; ``'relu'`` gives sqrt(2) and any ``calculate_gain`` name works.
    layout : {'lasagne', 'torch', 'keras', 'jax'}, optional
    column_axis : int, optional
        JAX's ``column_axis`` (implies the Keras/JAX flattening).

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> W = wi.Orthogonal(gain="relu").sample((100, 200), rng=0)
    >>> bool(np.allclose(W @ W.T, 2 * np.eye(100)))
    True

    ``sample()`` computes in its new array; ``fill(out)`` computes in scratch
    memory (the size of ``out``) and writes each element of ``out`` once. Any
    range of the orthonormal axis (``region=``) equals the same part of the
    full matrix bit for bit.
    """

    def __init__(
        self, gain: GainLike = 1.0, layout: str | None = None, column_axis: int | None = None
    ) -> None:
        self.gain = resolve_gain(gain)
        self._column_axis = _parse_layout(layout, column_axis)
        self._config = {"gain": gain}
        if layout is not None:
            self._config["layout"] = layout
        if column_axis is not None:
            self._config["column_axis"] = column_axis

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) < 2:
            raise ShapeError("Only shapes of length 2 or more are supported.")
        if self._column_axis is not None and not -len(shape) <= self._column_axis < len(shape):
            raise ShapeError(f"column_axis {self._column_axis} is out of range for shape {shape}")

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        check.within_dtype(self.gain, "gain", dtype)  # the values are gain * Q, |Q_ij| <= 1

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        if math.prod(shape) == 0:
            return
        _fill_orthogonal(shape, out, start, key, stream, self.gain, self._column_axis)

    def _whole_axes(self, shape: tuple[int, ...]) -> list[int]:
        return _orthogonal_whole_axes(shape, self._column_axis) if len(shape) >= 2 else []

    def _fill_new(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        if math.prod(shape) == 0:
            return
        _fill_orthogonal(shape, out, start, key, stream, self.gain, self._column_axis, True)


class DeltaOrthogonal(Initializer):
    """Delta-orthogonal convolution kernels (Xiao et al. 2018).

    Zeros everywhere except the spatial centre ``(k - 1) // 2`` of every
    spatial axis (JAX's choice), which holds ``gain * Q`` for a Haar
    orthogonal ``(out, in)`` matrix Q with orthonormal columns, so the
    convolution preserves norms. Shapes: 3-, 4- or 5-D ``(out, in, *kernel)``
    (Lasagne/torch, the default) or ``(*kernel, in, out)`` with
    ``layout="keras"``/``"jax"``; ``in <= out`` is required. On a 2-D shape it
    is :class:`Orthogonal`.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> K = wi.DeltaOrthogonal().sample((8, 4, 3, 3), rng=0)
    >>> M = K[:, :, 1, 1]
    >>> bool(np.allclose(M.T @ M, np.eye(4))), float(np.abs(K[:, :, 0, 0]).max())
    (True, 0.0)
    """

    def __init__(self, gain: GainLike = 1.0, layout: str | None = None) -> None:
        self.gain = resolve_gain(gain)
        self._keras = _parse_layout(layout, None) is not None
        self._config = {"gain": gain}
        if layout is not None:
            self._config["layout"] = layout

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) < 2:
            raise ShapeError("Only shapes of length 2 or more are supported.")
        if len(shape) == 2:
            return
        if len(shape) not in (3, 4, 5):
            raise ShapeError("Delta orthogonal initializer requires a 3D, 4D or 5D shape.")
        fan_in, fan_out = (shape[-2], shape[-1]) if self._keras else (shape[1], shape[0])
        if fan_in > fan_out:
            raise ShapeError(
                f"`fan_in` must be less or equal than `fan_out`: got in={fan_in}, out={fan_out} "
                f"for shape {shape}"
            )

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        check.within_dtype(self.gain, "gain", dtype)  # the values are gain * Q, |Q_ij| <= 1

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        self._fill(shape, out, start, key, stream, False)

    def _fill_new(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        self._fill(shape, out, start, key, stream, True)

    def _fill(
        self,
        shape: tuple[int, ...],
        out: Array,
        start: Sequence[int],
        key: int,
        stream: int,
        in_place: bool,
    ) -> None:
        if math.prod(shape) == 0:
            return
        if len(shape) == 2:
            column_axis = -1 if self._keras else None
            _fill_orthogonal(shape, out, start, key, stream, self.gain, column_axis, in_place)
            return
        spatial = list(range(len(shape) - 2)) if self._keras else list(range(2, len(shape)))
        # Zeros off the spatial centre, each element written once: along each
        # spatial axis in turn, the slabs before and after the centre, then on
        # into the centre slab.
        index: list[int | slice] = [slice(None)] * len(shape)
        for ax in spatial:
            c = (shape[ax] - 1) // 2 - start[ax]
            if not 0 <= c < out.shape[ax]:
                out[tuple(index)] = 0
                return
            for side in (slice(None, c), slice(c + 1, None)):
                out[tuple(index[:ax] + [side] + index[ax + 1 :])] = 0
            index[ax] = c
        centre = out[tuple(index)]
        mat_axes = [i for i in range(len(shape)) if i not in spatial]
        mshape = tuple(shape[i] for i in mat_axes)
        mstart = [start[i] for i in mat_axes]
        # (out, in) for Lasagne/torch is Q; (in, out) for Keras/JAX is Q^T: the same Q.
        _fill_orthogonal(mshape, centre, mstart, key, stream, self.gain, None, in_place)

    def _whole_axes(self, shape: tuple[int, ...]) -> list[int]:
        if len(shape) < 2:
            return []
        if len(shape) == 2:
            return _orthogonal_whole_axes(shape, -1 if self._keras else None)
        # The centre slice is (out, in) with in <= out: Q's columns are the in axis.
        return [len(shape) - 1] if self._keras else [0]
