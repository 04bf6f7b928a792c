"""The Initializer base class: argument handling shared by every initializer.

A subclass implements one method, ``_fill_block(shape, out, start, key, stream)``:
fill ``out`` (an ndarray holding the block that starts at index ``start`` of
the logical tensor of ``shape``; ``out.ndim == len(shape)``) with the values
that block has in the full tensor, drawing only from (key, stream) and
sub-streams of it. Everything else -- shapes, dtypes, regions, seeds,
streams, ``out=`` -- is handled here once.

bfloat16 blocks reach ``_fill_block`` as uint16 arrays of bit patterns only
in classes that set ``_writes_bfloat16`` (those that fill through the core's
bfloat16 kernels); every other class gets float32 blocks that
:func:`fill_block` rounds (weightinit/_bfloat16.py).

``out`` may be the caller's array, which other threads may read or fill with
the same values at the same time: ``_fill_block`` writes each element of it
once, with its final value, and keeps any scratch elsewhere. ``sample()``
calls ``_fill_new`` instead, on an array no one else can see yet; a subclass
that can save memory by computing in place there overrides it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from . import _bfloat16, _complex, _rng
from . import _validation as check
from ._chunking import slabs, whole_axes
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
    #: ``_fill_block`` takes uint16 bfloat16-bit blocks (see the module docstring);
    #: read from the class that defines ``_fill_block``.
    _writes_bfloat16 = False

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
        dtype : float16, bfloat16, float32 or float64, optional
            Default :func:`weightinit.get_default_dtype` (float64). bfloat16
            (needs ``ml_dtypes``) is the float32 result rounded to nearest even.
            complex64 and complex128 for the element-wise, fan-based and
            structural initializers (docs/initializers.md, "Complex dtypes"); the
            others raise TypeError.
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
        dt = _complex.value_dtype(dtype, _default_dtype)
        start, extent, kept = whole_or_region(shape, region)
        needed = block_shape(extent, kept)
        check.array_bytes(needed, dt, "shape" if region is None else "region")
        out = np.empty(needed, dtype=dt)
        self._fill_checked(shape, out, start, kept, rng, stream, new=True)
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

        ``out`` may be any writable float16/32/64, bfloat16 (``ml_dtypes``) or
        complex64/128 array, strided views included;
        it receives exactly what ``sample`` returns for the same arguments.
        With ``shape`` and ``offset`` it is the block of the logical tensor
        ``shape`` that starts at index ``offset`` (default: the whole tensor);
        with ``shape`` and ``region`` it is ``full[region]``.
        """
        if region is not None:
            return self._fill_region(out, rng, stream, shape, offset, region)
        out = _complex.out_array(out)  # (the same object, now known to be an ndarray)
        if shape is None and offset is None:  # the whole tensor: its shape is out's own
            self._fill_checked(out.shape, out, (0,) * out.ndim, (True,) * out.ndim, rng, stream)
            return out
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
        dest = _complex.out_array(out)
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
        new: bool = False,
    ) -> None:
        self._check_call(shape, out.dtype)  # the last check: then the stream is taken
        key, sid = _rng.resolve(rng, stream)
        block = full_rank_view(out, kept)
        if block.size:
            if _bfloat16.is_bfloat16(block.dtype):
                block = _bfloat16.bits(block)
            if new and block.dtype != _bfloat16.BITS:
                self._fill_new(shape, block, start, key, sid)
            else:  # uint16: bfloat16 bits, rounded here unless the class writes them
                fill_block(self, shape, block, start, key, sid)

    def _check_call(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        """Every check of filling an array of ``shape`` (checked by
        :func:`~weightinit._validation.shape`) and ``dtype`` with this initializer, before
        any state changes (docs/design.md, contract 5): complex support, the shape, then
        the values' range in the dtype they are computed in (bfloat16 through float32).
        The one entry point of every caller: sample, fill, the adapters, Dask, .npy."""
        if dtype.kind == "c":
            self._check_complex(dtype)
        self._check_shape(shape)
        self._check_values(shape, check.range_dtype(dtype))

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        """Raise unless ``_fill_block`` can fill complex64/complex128 blocks (docs/design.md)."""
        raise _complex.unsupported(type(self).__name__, dtype)

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        """Raise ShapeError for shapes this initializer cannot use (before any work)."""

    def _whole_axes(self, shape: tuple[int, ...]) -> list[int]:
        """Axes a block must span in full to cost only its own size (weightinit/_chunking.py)."""
        return []

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        """Raise ValueError, naming the argument, when the values for ``shape`` fall
        outside ``dtype``'s range (docs/initializers.md, "Values and dtypes").
        ``dtype`` is a real float dtype (:func:`weightinit._validation.range_dtype`)."""

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        raise NotImplementedError()

    def _fill_new(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        """``_fill_block`` into an array only this call can see (from ``sample``)."""
        self._fill_block(shape, out, start, key, stream)

    # Readable repr, get_config/from_config and pickling from the constructor arguments.
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, so ``type(init).from_config(init.get_config())`` rebuilds it."""
        return {k: _plain(v) for k, v in getattr(self, "_config", {}).items()}

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


def _plain(value: Any) -> Any:
    """A 0-d array (numpy, JAX, torch) given for a number as that number, also inside
    tuples and lists, so configs compare with ``==`` and serialize to JSON."""
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, np.generic) or (
        getattr(value, "ndim", None) == 0 and hasattr(value, "__array__")
    ):
        return np.asarray(value).item()
    return value


def fill_block(
    init: Initializer,
    shape: tuple[int, ...],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
) -> None:
    """``init._fill_block``, for a uint16 (bfloat16 bits) ``out`` too.

    Without ``_writes_bfloat16`` the block is computed in float32 and rounded
    once (:func:`fill_rounded`).
    """
    if out.dtype == _bfloat16.BITS and not _writes_bfloat16(type(init)):
        fill_rounded(init, shape, out, start, key, stream)
    else:
        init._fill_block(shape, out, start, key, stream)


def fill_rounded(
    init: Initializer,
    shape: tuple[int, ...],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
    block_bytes: int = _bfloat16.BLOCK_BYTES,
) -> None:
    """bfloat16 bits of ``init``'s block at ``start`` into uint16 ``out``: float32, rounded once.

    Sub-block by sub-block through bounded float32 scratch; each sub-block is
    what the float32 tensor has there, so the result does not depend on the
    cut. Axes an Orthogonal block needs whole (:func:`~weightinit._chunking.whole_axes`)
    are never cut.
    """
    blocks = list(slabs(out.shape, 4, block_bytes, whole_axes(init, shape)))
    if not blocks:
        return
    biggest = max(math.prod(e) for _, e in blocks)
    scratch = np.empty(biggest, dtype=np.float32)
    tmp = np.empty(biggest, dtype=np.uint32)
    for sub_start, sub_extent in blocks:
        n = math.prod(sub_extent)
        block = scratch[:n].reshape(sub_extent)
        at = [s + o for s, o in zip(start, sub_start, strict=True)]
        init._fill_block(shape, block, at, key, stream)
        # The trailing Ellipsis keeps a 0-d block an array (out[()] is a scalar).
        where: tuple[Any, ...] = tuple(
            slice(s, s + e) for s, e in zip(sub_start, sub_extent, strict=True)
        )
        _bfloat16.float32_to_bfloat16_bits(block, out[where + (Ellipsis,)], tmp[:n])


def _writes_bfloat16(cls: type[Initializer]) -> bool:
    """Whether the class whose ``_fill_block`` runs declared that it takes bfloat16 bits.

    A subclass that overrides ``_fill_block`` without saying so gets float32 blocks.
    """
    for c in cls.__mro__:
        if "_fill_block" in c.__dict__:
            return bool(c.__dict__.get("_writes_bfloat16", False))
    return False


def _show(value: Any) -> str:
    # Classes (Glorot's initializer) by name, not "<class '...'>".
    return value.__name__ if isinstance(value, type) else repr(value)
