"""Deterministic initializers from zeros, ones and Hadamard matrices (Zhao et al. 2021).

The Sylvester Hadamard matrix of order ``p = 2^m`` has the element
``H[i, j] = (-1)^popcount(i & j)`` (Sylvester 1867: ``H_{2p} = [[H, H], [H, -H]]``),
so ``H H^T = p I`` exactly and any block of it is computed on its own.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _validation as check
from ._base import Array, Initializer
from ._errors import ShapeError
from .gains import GainLike, resolve_gain

__all__ = ["Hadamard", "ZerO", "hadamard_block"]


def _next_power_of_two(n: int) -> int:
    return 1 << max(n - 1, 0).bit_length()


def hadamard_block(rows: npt.ArrayLike, cols: npt.ArrayLike) -> Array:
    """``H[rows][:, cols]`` of the Sylvester Hadamard matrix (any large enough order), +-1.0."""
    x = np.bitwise_and.outer(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64))
    parity = np.zeros(x.shape, dtype=np.int64)
    while x.any():  # parity of popcount, one bit at a time
        parity ^= x & 1
        x >>= 1
    return 1.0 - 2.0 * parity


def _block_indices(start: Sequence[int], out: Array) -> list[Array]:
    return [np.arange(s, s + n) for s, n in zip(start, out.shape)]


class Hadamard(Initializer):
    """``gain`` times the top-left ``rows x cols`` block of the Sylvester Hadamard
    matrix of order ``p``, the smallest power of two >= max(rows, cols).

    Entries are exactly +-gain; on a square power-of-two shape ``W W^T = n gain^2 I``
    exactly, so ``Hadamard(gain=1 / sqrt(n))`` is an orthogonal matrix with no
    randomness. 2-D only.

    >>> import numpy as np, weightinit as wi
    >>> H = wi.Hadamard()((4, 4))
    >>> H.tolist()[3], bool((H @ H.T == 4 * np.eye(4)).all())
    ([1.0, -1.0, -1.0, 1.0], True)
    """

    def __init__(self, gain: GainLike = 1.0) -> None:
        self.gain = resolve_gain(gain)
        self._config = {"gain": gain}

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        check.within_dtype(self.gain, "gain", dtype)  # entries are gain times at most 1

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 2:
            raise ShapeError(f"Hadamard only works with shapes of length 2, got shape {shape}")

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        rows, cols = _block_indices(start, out)
        out[...] = self.gain * hadamard_block(rows, cols)


class ZerO(Initializer):
    """ZerO initialization (Zhao, Schäfer & Anandkumar 2021, algorithms 1 and 2).

    Deterministic: for a layer with ``n_out`` outputs and ``n_in`` inputs the
    ``(n_out, n_in)`` matrix is the partial identity when ``n_out <= n_in`` and
    ``H[:n_out, :n_in] / sqrt(p)`` (Sylvester Hadamard of order ``p = 2^ceil(log2
    n_out)``) when the layer widens, as the authors' code does. Convolution
    kernels hold that matrix at the spatial centre ``k // 2`` of every kernel
    axis and zeros elsewhere.

    The layout says which axis is ``n_out``: Lasagne's default ``(in, out)`` /
    ``(out, in, *kernel)``, ``layout="torch"`` ``(out, in, *kernel)``,
    ``layout="keras"``/``"jax"`` ``(*kernel, in, out)``. (The Hadamard block is
    symmetric, so ``(in, out)`` storage holds the transpose of the same matrix.)

    >>> import weightinit as wi
    >>> wi.ZerO(layout="torch")((2, 3)).tolist()          # narrowing: partial identity
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    >>> wi.ZerO(layout="torch")((3, 2)).tolist()          # widening: H[:3, :2] / 2
    [[0.5, 0.5], [0.5, -0.5], [0.5, 0.5]]
    """

    def __init__(self, layout: str | None = None) -> None:
        self.layout = check.layout(layout, check.FRAMEWORK_LAYOUTS) or "lasagne"
        self._config = {} if layout is None else {"layout": layout}

    def _axes(self, shape: tuple[int, ...]) -> tuple[int, int, list[int]]:
        """(out axis, in axis, kernel axes) of ``shape``."""
        n = len(shape)
        if self.layout in ("keras", "jax"):
            return n - 1, n - 2, list(range(n - 2))
        if self.layout == "lasagne" and n == 2:
            return 1, 0, []
        return 0, 1, list(range(2, n))

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if not 2 <= len(shape) <= 5:
            raise ShapeError(f"ZerO only works with shapes of length 2 to 5, got shape {shape}")

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        out[...] = 0
        o_ax, i_ax, kernel_axes = self._axes(shape)
        index: list[int | slice] = [slice(None)] * len(shape)
        for ax in kernel_axes:
            c = shape[ax] // 2 - start[ax]
            if not 0 <= c < out.shape[ax]:
                return
            index[ax] = c
        centre = out[tuple(index)]  # a view with the (out, in) axes in their order
        n_out, n_in = shape[o_ax], shape[i_ax]
        o_idx = np.arange(start[o_ax], start[o_ax] + out.shape[o_ax])
        i_idx = np.arange(start[i_ax], start[i_ax] + out.shape[i_ax])
        if n_out <= n_in:
            m = (o_idx[:, None] == i_idx[None, :]).astype(np.float64)
        else:
            p = _next_power_of_two(n_out)
            m = hadamard_block(o_idx, i_idx) / math.sqrt(p)
        centre[...] = m if o_ax < i_ax else m.T
