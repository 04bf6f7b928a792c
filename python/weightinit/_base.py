"""The Initializer base class: argument handling shared by every initializer.

A subclass implements one method, ``_fill_block(shape, out, start, key, stream)``:
fill ``out`` (an ndarray holding the block that starts at index ``start`` of
the logical tensor of ``shape``; ``out.ndim == len(shape)``) with the values
that block has in the full tensor, drawing only from (key, stream) and
sub-streams of it. Everything else -- shapes, dtypes, regions, seeds,
streams, ``out=`` -- is handled here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from . import _rng
from . import _validation as check
from ._rng import RngLike
from ._shapes import block_shape, full_rank_view, parse_region, whole_or_region

Array = np.ndarray[Any, np.dtype[Any]]
Stream = int | str | None

_I = TypeVar("_I", bound="Initializer")

_default_dtype: np.dtype[Any] = np.dtype(np.float64)


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype initializers return when ``dtype=None``.

    float64 by default, like numpy and Lasagne's default floatX.

    >>> import numpy as np, weightinit as wi
    >>> wi.set_default_dtype(np.float32); wi.Normal()((2,)).dtype
    dtype('float32')
    >>> wi.set_default_dtype(np.float64)
    """
    global _default_dtype
    _default_dtype = check.float_dtype(dtype)


def get_default_dtype() -> np.dtype[Any]:
    """The dtype initializers return when ``dtype=None``."""
    return _default_dtype


class Initializer:
    """Base class: ``init(shape)`` / ``init.sample(shape, ...)`` return a new array,
    ``init.fill(out, ...)`` writes into an existing one.

    Calling the base class itself raises ``NotImplementedError``, as Lasagne's does.
    """

    _config: dict[str, Any]

    def __call__(
        self,
        shape: Any,
        dtype: Any = None,
        rng: RngLike = None,
        stream: Stream = None,
        region: Any = None,
    ) -> Array:
        """Same as :meth:`sample` (Lasagne's ``init(shape)``, Keras' ``init(shape, dtype)``)."""
        return self.sample(shape, dtype=dtype, rng=rng, stream=stream, region=region)

    def sample(
        self,
        shape: Any,
        dtype: Any = None,
        rng: RngLike = None,
        stream: Stream = None,
        region: Any = None,
    ) -> Array:
        """A new array of ``shape`` (or of ``full[region]``).

        Parameters
        ----------
        shape : int or tuple of ints
        dtype : float16, float32 or float64, optional
            Default :func:`weightinit.get_default_dtype` (float64).
        rng : Generator, int, numpy Generator/RandomState, optional
            Default: the global generator (:func:`weightinit.set_seed`).
        stream : int or str, optional
            Explicit stream; with it (or an int ``rng``) the call is stateless.
        region : tuple of slices/ints, optional
            Generate only ``full[region]``, bit-identical to slicing the full tensor.

        Returns
        -------
        ndarray
            Values that are a pure function of (seed, stream, element index):
            the same bits on every thread count and instruction set.
        """
        shape = check.shape(shape)
        dt = check.float_dtype(dtype, _default_dtype)
        start, extent, kept = whole_or_region(shape, region)
        needed = block_shape(extent, kept)
        check.array_bytes(needed, dt, "shape" if region is None else "region")
        out = np.empty(needed, dtype=dt)
        self._fill_checked(shape, out, start, kept, rng, stream)
        return out

    def fill(
        self,
        out: Array,
        rng: RngLike = None,
        stream: Stream = None,
        shape: Any = None,
        offset: Any = None,
        region: Any = None,
    ) -> Array:
        """Fill ``out`` in place (no copy) and return it.

        ``out`` may be any writable float16/32/64 array, strided views included;
        it receives exactly what ``sample`` returns for the same arguments.
        With ``shape`` and ``offset`` it is the block of the logical tensor
        ``shape`` that starts at index ``offset`` (default: the whole tensor);
        with ``shape`` and ``region`` it is ``full[region]``.
        """
        if region is not None:
            return self._fill_region(out, rng, stream, shape, offset, region)
        out = check.out_array(out)  # (the same object, now known to be an ndarray)
        if shape is None:
            if offset is not None:
                raise ValueError("offset needs shape (the logical tensor the block belongs to)")
            shape = out.shape
        shape = check.shape(shape)
        offset = (0,) * len(shape) if offset is None else check.shape(offset, "offset")
        if len(offset) != len(shape) or out.ndim != len(shape):
            raise ValueError(
                f"out (ndim {out.ndim}), shape {shape} and offset {offset} must have the same rank"
            )
        for axis, (o, e, n) in enumerate(zip(offset, out.shape, shape, strict=True)):
            if o + e > n:
                raise ValueError(
                    f"block of size {e} at offset {o} runs past axis {axis} of size {n}"
                )
        self._fill_checked(shape, out, list(offset), [True] * len(shape), rng, stream)
        return out

    def _fill_region(
        self, out: Any, rng: RngLike, stream: Stream, shape: Any, offset: Any, region: Any
    ) -> Array:
        if shape is None or offset is not None:
            raise ValueError("region needs shape (the logical tensor) and no offset")
        dest = check.out_array(out)
        full = check.shape(shape)
        start, extent, kept = parse_region(region, full)
        needed = block_shape(extent, kept)
        if dest.shape != needed:
            raise ValueError(f"out has shape {dest.shape} but the region needs {needed}")
        self._fill_checked(full, dest, start, kept, rng, stream)
        return dest

    def _fill_checked(
        self,
        shape: tuple[int, ...],
        out: Array,
        start: Sequence[int],
        kept: Sequence[bool],
        rng: RngLike,
        stream: Stream,
    ) -> None:
        self._check_shape(shape)
        self._check_values(shape, out.dtype)  # the last check: then the stream is taken
        key, sid = _rng.resolve(rng, stream)
        block = full_rank_view(out, kept)
        if block.size:
            self._fill_block(shape, block, start, key, sid)

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        """Raise ShapeError for shapes this initializer cannot use (before any work)."""

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        """Raise ValueError, naming the argument, when the values for ``shape`` fall
        outside ``dtype``'s range (docs/initializers.md, "Values and dtypes")."""

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        raise NotImplementedError()

    # Readable repr, get_config/from_config and pickling from the constructor arguments.
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, so ``type(init).from_config(init.get_config())`` rebuilds it."""
        return dict(getattr(self, "_config", {}))

    @classmethod
    def from_config(cls: type[_I], config: dict[str, Any]) -> _I:
        return cls(**config)

    def clone(self: _I) -> _I:
        """A new instance with the same configuration (Keras' ``clone``)."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={_show(v)}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), repr(self)))


def _show(value: Any) -> str:
    # Classes (Glorot's initializer) by name, not "<class '...'>".
    return value.__name__ if isinstance(value, type) else repr(value)
