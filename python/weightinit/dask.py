"""Lazy, chunked initialization as Dask arrays (``pip install 'weightinit[dask]'``).

``import weightinit`` never imports this module or Dask; ``import
weightinit.dask`` does. Every block of the array is generated on its own by
the C++ core from (key, stream, element index), so ``.compute()`` equals the
in-memory ``init.sample(shape, ...)`` bit for bit for any chunking, any
scheduler and any number of worker processes or machines. (Dask's own
``dask.array.random`` draws one seed per chunk, so its values change with
the chunking.)
"""

from __future__ import annotations

import math
from typing import Any

import dask.array as _da
import numpy as np
from dask.base import tokenize as _tokenize

from . import _rng
from . import _validation as check
from ._base import Array, Initializer, get_default_dtype
from ._chunking import whole_axes
from ._rng import RngLike
from .lookup import as_initializer

__all__ = ["MAX_BLOCKS", "sample"]

#: The most blocks :func:`sample` makes (dask's recommended scale is far below).
MAX_BLOCKS = 1 << 18


def sample(
    init: Any,
    shape: Any,
    chunks: Any = "auto",
    dtype: Any = None,
    rng: RngLike = None,
    stream: int | str | None = None,
    *,
    name: str | None = None,
) -> _da.Array:
    """A lazy ``dask.array.Array`` equal to ``init.sample(shape, dtype, rng, stream)``.

    Parameters
    ----------
    init : Initializer or str or dict
        An initializer, or anything :func:`weightinit.get` accepts
        (``"glorot_uniform"``, ``{"class_name": ..., "config": ...}``).
    shape : int or tuple of ints
    chunks : int, tuple, dict or "auto"
        Any chunk specification ``dask.array`` accepts. With ``"auto"``,
        orthogonal weights keep the axes whole whose cut would make every
        block recompute the same orthonormal columns (any chunking is still
        exact; that one is just cheaper).
    dtype : float16, float32 or float64, optional
        Default :func:`weightinit.get_default_dtype`.
    rng, stream
        As for :meth:`Initializer.sample`. The stream is resolved once here,
        so all blocks share it and the array equals one ``sample`` call (with
        a Generator and no ``stream``, this call takes the generator's next
        stream, as ``sample`` would).
    name : str, optional
        Dask key name; default a token of the initializer, shape, dtype, key,
        stream and chunks (so equal arguments give the same keys).

    Returns
    -------
    dask.array.Array
        Lazy; the graph holds only the initializer and a few integers, and
        pickles, so it runs on ``dask.distributed`` workers.

    Examples
    --------
    >>> import numpy as np, weightinit as wi, weightinit.dask
    >>> W = weightinit.dask.sample("glorot_uniform", (20_000, 4096), chunks=(2048, 4096),
    ...                            dtype="float32", rng=0)
    >>> W.chunksize
    (2048, 4096)
    >>> part = W[:100].compute()
    >>> np.array_equal(part, wi.GlorotUniform().sample((20_000, 4096), "float32", rng=0,
    ...                                                   region=np.s_[:100]))
    True
    """
    init = as_initializer(init, "init")
    shape = check.shape(shape)
    dt = check.float_dtype(dtype, get_default_dtype())
    init._check_call(shape, dt)
    if isinstance(chunks, str) and chunks == "auto" and shape:
        chunks = {a: -1 for a in whole_axes(init, shape)} or "auto"
        if isinstance(chunks, dict):
            chunks = tuple(chunks.get(a, "auto") for a in range(len(shape)))
    try:
        chunks = _da.core.normalize_chunks(chunks, shape, dtype=dt)  # type: ignore[no-untyped-call]
    except (TypeError, ValueError, ZeroDivisionError) as e:
        raise ValueError(f"chunks={chunks!r} is not a chunking of shape {shape}: {e}") from None
    if any(c <= 0 for axis, size in zip(chunks, shape, strict=True) if size for c in axis):
        raise ValueError(f"chunks={chunks!r}: every chunk of a non-empty axis needs a size >= 1")
    blocks = math.prod(len(axis) for axis in chunks)
    if blocks > MAX_BLOCKS:
        # Dask builds its graph block by block (about 30 us each here): past this the
        # call would spend minutes before returning a lazy array.
        raise ValueError(
            f"chunks: {blocks:,} blocks for shape {shape} (at most {MAX_BLOCKS:,}); "
            "pass larger chunks"
        )
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str, got {name!r}")
    gen, sid = _rng.pinned(rng, stream)
    if name is None:
        name = "weightinit-" + _tokenize(
            type(init).__module__,
            type(init).__qualname__,
            repr(init),
            shape,
            dt.str,
            gen.key,
            sid,
            chunks,
        )
    block = _BlockSampler(init, shape, dt, gen.key, sid)
    lazy: _da.Array = _da.map_blocks(  # type: ignore[no-untyped-call]
        block, chunks=chunks, dtype=dt, name=name, meta=np.empty((0,) * len(shape), dtype=dt)
    )
    return lazy


class _BlockSampler:
    """Picklable task: one block of the logical tensor from (key, stream)."""

    def __init__(
        self, init: Initializer, shape: tuple[int, ...], dtype: np.dtype[Any], key: int, stream: int
    ) -> None:
        self.init, self.shape, self.dtype = init, shape, dtype
        self.key, self.stream = key, stream

    def __call__(self, block_info: dict[Any, Any] | None = None) -> Array:
        assert block_info is not None  # dask passes it to a function that takes it
        location = block_info[None]["array-location"]
        start = [lo for lo, _ in location]
        out = np.empty(tuple(hi - lo for lo, hi in location), dtype=self.dtype)
        # A key-only generator with an explicit stream never advances: a stateless draw.
        gen = _rng.Generator._from_key(self.key)
        return self.init.fill(out, rng=gen, stream=self.stream, shape=self.shape, offset=start)

    def __repr__(self) -> str:
        return f"weightinit.dask block of {self.init!r}"
