"""Block-orthogonal convolution kernels (Xiao et al. 2018, algorithm 1).

TensorFlow's ``convolutional_orthogonal_1d/2d/3d``: a kernel whose
convolution with circular padding is an isometry, at every kernel size, not
only at the centre tap as :class:`~weightinit.DeltaOrthogonal`.

With ``n = out`` channels, the construction is, per spatial dimension ``d``:

* a symmetric projection ``P = Q diag(b) Q^T`` (Q Haar-orthogonal ``n x n``,
  b a vector of fair coin flips);
* the 2-tap 1-D block ``{0: P, 1: I - P}``, whose transfer matrix
  ``P + (I - P) z`` is orthogonal on the unit circle; over ``D`` dimensions the
  ``2^D`` products of ``P_d`` or ``I - P_d`` (``block_orth``);
* ``k - 1`` such blocks convolved (matrix-valued convolution) give a kernel of
  ``k`` taps per dimension whose transfer matrix is a product of orthogonal
  ones, hence orthogonal at every frequency;
* finally each tap is multiplied on the left by the first ``in`` rows of
  another Haar-orthogonal ``n x n`` matrix, so the kernel maps ``in``
  channels isometrically into ``out`` (``in <= out``).

Randomness: the Haar matrices come from :func:`weightinit.linalg` 's
``orthogonal_columns`` on sub-streams ``substream(stream, CONVQ, i)`` (i = 0
for the input rows, then one per projection) and the coin flips are uniform
draws on ``substream(stream, CONVB, i)`` below 1/2. The whole kernel is built
in float64 and cast; a region is the same block of the whole kernel (kernels
are small: taps x in x out).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from . import _core, _sampling
from . import _validation as check
from ._base import Array, Initializer
from ._errors import ShapeError
from .gains import GainLike, resolve_gain
from .orthogonal import _fill_orthogonal, _parse_layout

__all__ = ["ConvolutionOrthogonal1D", "ConvolutionOrthogonal2D", "ConvolutionOrthogonal3D"]

_CONVQ_TAG = 0x434F_4E56_5100_0001  # "CONVQ": the Haar matrices
_CONVB_TAG = 0x434F_4E56_4200_0001  # "CONVB": the projections' coin flips

Taps = dict[tuple[int, ...], Array]


def _haar(n: int, key: int, stream: int, i: int) -> Array:
    q = np.empty((n, n))
    _core.orthogonal_columns(key, _core.substream(stream, _CONVQ_TAG, i), n, n, 0, n, 1.0, q)
    return q


def _projection(n: int, key: int, stream: int, i: int) -> Array:
    """A random symmetric projection Q diag(b) Q^T."""
    u = np.empty(n)
    _core.fill(
        _sampling.UNIFORM, [0.0, 1.0], key, _core.substream(stream, _CONVB_TAG, i), [n], [0], u
    )
    q = _haar(n, key, stream, i)
    c = q * (u < 0.5)
    projection: Array = c @ c.T
    return projection


def _block_orth(projections: Sequence[Array]) -> Taps:
    """The 2-tap-per-dimension kernel: tap t holds prod_d (P_d if t_d == 0 else I - P_d)."""
    n = projections[0].shape[0]
    eye = np.eye(n)
    taps: Taps = {}
    for t in itertools.product((0, 1), repeat=len(projections)):
        m = eye
        for bit, p in zip(t, projections):
            m = m @ (p if bit == 0 else eye - p)
        taps[t] = m
    return taps


def _matrix_conv(a: Taps, b: Taps) -> Taps:
    """Full convolution of two kernels of matrices: c[t] = sum_{s} a[s] @ b[t - s]."""
    out: Taps = {}
    for s, ma in a.items():
        for r, mb in b.items():
            t = tuple(i + j for i, j in zip(s, r))
            out[t] = out[t] + ma @ mb if t in out else ma @ mb
    return out


def convolution_orthogonal_taps(
    k: int, rank: int, cin: int, cout: int, key: int, stream: int
) -> Taps:
    """Tap index -> ``(in, out)`` matrix of the kernel (unscaled)."""
    rows = _haar(cout, key, stream, 0)[:cin, :]
    if k == 1:
        return {(0,) * rank: rows}
    unit = 1

    def block() -> Taps:
        nonlocal unit
        ps = [_projection(cout, key, stream, unit + d) for d in range(rank)]
        unit += rank
        return _block_orth(ps)

    taps = block()
    for _ in range(k - 2):
        taps = _matrix_conv(taps, block())
    return {t: rows @ m for t, m in taps.items()}


class _ConvolutionOrthogonal(Initializer):
    _rank: ClassVar[int]

    def __init__(self, gain: GainLike = 1.0, layout: str | None = None) -> None:
        self.gain = resolve_gain(gain)
        self._keras = _parse_layout(layout, None) is not None
        self._config = {"gain": gain}
        if layout is not None:
            self._config["layout"] = layout

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        check.within_dtype(self.gain, "gain", dtype)  # entries are gain times at most 1

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        name = type(self).__name__
        if len(shape) == 2:
            return
        if len(shape) != self._rank + 2:
            raise ShapeError(
                f"{name} needs a {self._rank + 2}-D kernel (or a 2-D matrix), got shape {shape}"
            )
        kernel = shape[:-2] if self._keras else shape[2:]
        cin, cout = (shape[-2], shape[-1]) if self._keras else (shape[1], shape[0])
        if len(set(kernel)) != 1:
            raise ShapeError(f"{name}: kernel sizes must be equal, got {kernel} in shape {shape}")
        if cin > cout:
            raise ShapeError(
                f"{name}: in channels must be at most out channels, got in={cin}, out={cout} "
                f"for shape {shape}"
            )

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        if math.prod(shape) == 0:
            return
        if len(shape) == 2:  # a 1 x 1 kernel without its spatial axes: orthogonal
            _fill_orthogonal(shape, out, start, key, stream, self.gain, -1 if self._keras else None)
            return
        k = shape[0] if self._keras else shape[-1]
        cin, cout = (shape[-2], shape[-1]) if self._keras else (shape[1], shape[0])
        taps = convolution_orthogonal_taps(k, self._rank, cin, cout, key, stream)
        kernel = np.empty((k,) * self._rank + (cin, cout))
        for t, m in taps.items():
            kernel[t] = self.gain * m
        if not self._keras:  # (*k, in, out) -> (out, in, *k)
            kernel = np.moveaxis(kernel, (-1, -2), (0, 1))
        out[...] = kernel[tuple(slice(s, s + n) for s, n in zip(start, out.shape))]


class ConvolutionOrthogonal1D(_ConvolutionOrthogonal):
    """Orthogonal 1-D convolution kernels (Xiao et al. 2018, algorithm 1;
    TensorFlow's ``convolutional_orthogonal_1d``).

    Shapes ``(out, in, k)`` (default, Lasagne/torch) or ``(k, in, out)`` with
    ``layout="keras"``/``"jax"``; ``in <= out``. With circular padding the
    convolution preserves the norm of every input (times ``gain``). On a 2-D
    shape it is :class:`~weightinit.Orthogonal`. See :mod:`weightinit.convolution`.

    >>> import numpy as np, weightinit as wi
    >>> K = wi.ConvolutionOrthogonal1D().sample((8, 4, 3), rng=0)
    >>> F = np.fft.fft(K, n=16, axis=-1)             # transfer matrix per frequency
    >>> bool(np.allclose(np.einsum("oif,ojf->ijf", F, F.conj()), np.eye(4)[:, :, None]))
    True
    """

    _rank = 1


class ConvolutionOrthogonal2D(_ConvolutionOrthogonal):
    """Orthogonal 2-D convolution kernels (Xiao et al. 2018, algorithm 1;
    TensorFlow's ``convolutional_orthogonal_2d``).

    Shapes ``(out, in, k, k)`` (default) or ``(k, k, in, out)`` with
    ``layout="keras"``/``"jax"``; square kernels, ``in <= out``.
    See :class:`ConvolutionOrthogonal1D`.
    """

    _rank = 2


class ConvolutionOrthogonal3D(_ConvolutionOrthogonal):
    """Orthogonal 3-D convolution kernels (Xiao et al. 2018, algorithm 1;
    TensorFlow's ``convolutional_orthogonal_3d``).

    Shapes ``(out, in, k, k, k)`` (default) or ``(k, k, k, in, out)`` with
    ``layout="keras"``/``"jax"``; cubic kernels, ``in <= out``.
    See :class:`ConvolutionOrthogonal1D`.
    """

    _rank = 3
