"""JAX / Flax adapter: weightinit initializers as ``init(key, shape, dtype)`` functions.

JAX is not a dependency of weightinit: it is imported on first use, and a
clear ImportError says how to install it if it is missing.

Key -> (seed, stream)
---------------------
The JAX key's data words ``w_0 .. w_{n-1}`` (``jax.random.key_data(key)``,
uint32) are read as one big-endian integer, ``seed = w_0 * 2**(32 (n-1)) +
... + w_{n-1}``, and the stream is 0 (or ``stream=``). For the default
Threefry keys ``jax.random.key(s)`` has data ``[s >> 32, s & 0xFFFFFFFF]``,
so ``seed == s`` (for ``s < 2**32``; larger seeds need ``jax_enable_x64``,
else JAX keeps their low 32 bits): ``initializer(init)(jax.random.key(7),
shape)`` equals weightinit's ``rng=7``. Split and folded keys (Flax gives every parameter
its own) are just other seeds.

Sharded arrays
--------------
Every block of a weight is generated alone through ``region=``, bit-identical
to the same block of the whole array, so values never depend on how an array
is split (docs/distributed.md):

* :func:`sharded` builds a global ``jax.Array`` with
  ``jax.make_array_from_callback``; each distinct addressable shard is
  generated once on the host, moved to its device(s) and dropped, so host
  memory is bounded by the largest shard.
* :func:`initializer` called with ``out_sharding=`` (a ``NamedSharding``)
  does the same eagerly, and under ``jit`` runs one host callback per device
  inside ``jax.shard_map``, each generating its device's block. Under ``jit``
  without ``out_sharding`` (``jax.jit(model.init, out_shardings=...)``, Flax's
  ``nn.with_partitioning`` and NNX sharding metadata) the sharding is chosen
  after tracing, so one host callback generates the whole array and XLA
  splits it: the same values, but whole-array host memory per parameter.
  (``custom_partitioning`` would see the final sharding, but a host callback
  inside its partitioned function crashes JAX 0.10.2 on CPU.)

Examples
--------
>>> import jax, flax.linen as nn, weightinit as wi, weightinit.jax as wij
>>> dense = nn.Dense(256, kernel_init=wij.initializer(wi.HeNormal(gain="relu")))
>>> params = dense.init(jax.random.key(0), jax.numpy.ones((1, 784)))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt

from . import _adapters
from ._adapters import as_initializer, check_framework_layout, check_order
from ._base import Array, Initializer, Stream
from ._rng import RngLike
from ._shapes import parse_region
from .lookup import InitializerLike

if TYPE_CHECKING:
    from jax import Array as JaxArray
    from jax.sharding import Sharding

__all__ = ["initializer", "seed_from_key", "sharded"]

# The start and extent of a block, per dimension (a hashable region).
_BlockKey: TypeAlias = "tuple[tuple[int, ...], tuple[int, ...]]"

_jax: ModuleType | None = None


def _framework() -> ModuleType:
    global _jax
    if _jax is None:
        _jax = _adapters.import_framework("jax", "jax", "pip install jax jaxlib")
    return _jax


def seed_from_key(key_data: npt.ArrayLike) -> int:
    """weightinit seed of a JAX key's data words (big-endian uint32 words).

    >>> seed_from_key([0, 7])
    7
    """
    words = np.asarray(key_data)
    if words.dtype.kind not in "ui" or words.ndim != 1:
        raise ValueError(
            f"expected the data of one JAX key (a 1-D array of uint32 words), got {words!r}"
        )
    seed = 0
    for w in words.astype(np.uint32).tolist():
        seed = (seed << 32) | w
    return seed


def initializer(
    init: InitializerLike,
    *,
    rng: RngLike = None,
    stream: Stream = None,
    layout: str | None = "jax",
    order: str = "torch",
    dtype: npt.DTypeLike | None = None,
    out_sharding: Sharding | None = None,
) -> Callable[..., JaxArray]:
    """A function ``f(key, shape, dtype=None, out_sharding=None)``, as Flax and
    ``jax.nn.initializers`` expect, that draws ``init``'s values.

    Parameters
    ----------
    init : weightinit.Initializer, name or config dict
    rng : int seed or Generator, optional
        Use this instead of the key (the key is then ignored); with ``stream``
        this gives exactly the weights the torch and Keras adapters give.
    stream : int or str, optional
        Stream id (default 0).
    layout : str or None
        Layout used when ``init`` chose none: ``"jax"`` (default,
        ``(*kernel, in, out)``), any layout name, or None (as it is).
    order : {"torch", "native"}
        ``"torch"`` (default): ``(*kernel, in, out)`` kernels get the values
        of the torch tensor ``(out, in, *kernel)``, transposed, so all
        frameworks agree (see :mod:`weightinit._adapters`). ``"native"``:
        values follow this array's own row-major order, i.e.
        ``init.sample(shape)`` with ``layout``.
    dtype : optional
        Default dtype when the call passes none (else JAX's default float).
    out_sharding : jax.sharding.Sharding, optional
        Default ``out_sharding`` when the call passes none: lets wrappers
        that call ``f(key, shape, dtype)`` (Flax's ``nn.with_partitioning``)
        generate per shard.

    Notes
    -----
    Generation runs on the host (the C++ core). Values never depend on
    ``out_sharding``; only where they are generated does:

    * eager, no ``out_sharding``: the whole array, moved to the device once;
    * eager, ``out_sharding`` a ``jax.sharding.Sharding``: as :func:`sharded`,
      each distinct shard alone (host memory: the largest shard);
    * traced (``jit``, ``vmap``), ``out_sharding`` a ``NamedSharding`` that
      divides the shape: one ``jax.pure_callback`` per device inside
      ``jax.shard_map``, each generating that device's block (devices
      holding replicas each generate their copy);
    * traced otherwise (including ``jax.jit(..., out_shardings=...)`` around a
      call without ``out_sharding``): one ``jax.pure_callback`` generates the
      whole array when the computation runs and XLA moves the parts where the
      sharding says. Under ``vmap`` the callback runs once per key.

    A ``Generator`` passed as ``rng`` without ``stream`` takes one stream per
    call (per trace under ``jit`` with a per-device ``out_sharding``).
    float16 and bfloat16 are supported (bfloat16: float32 rounded to nearest
    even, as everywhere).

    Examples
    --------
    >>> import jax, weightinit as wi, weightinit.jax as wij
    >>> f = wij.initializer(wi.GlorotUniform())
    >>> f(jax.random.key(0), (784, 256)).shape
    (784, 256)
    """
    init = as_initializer(init)
    layout = check_framework_layout(layout)
    order = check_order(order)
    default_dtype = dtype
    default_sharding = out_sharding

    def init_fn(
        key: JaxArray,
        shape: int | Sequence[int],
        dtype: npt.DTypeLike | None = None,
        out_sharding: Sharding | None = None,
    ) -> JaxArray:
        jax = _framework()
        jnp = jax.numpy
        shape = _shape(shape)
        dt = _dtype(jax, dtype if dtype is not None else default_dtype)
        sharding = out_sharding if out_sharding is not None else default_sharding
        traced = isinstance(key, jax.core.Tracer)
        if isinstance(sharding, jax.sharding.Sharding) and not traced:
            blocks = _Blocks(init, shape, dt, layout, order)
            r = rng if rng is not None else seed_from_key(np.asarray(_key_data(jax, key)))
            return _assemble(jax, blocks, sharding, *_adapters.pinned(r, stream))
        if traced and _per_device(jax, sharding, shape):
            blocks = _Blocks(init, shape, dt, layout, order)
            return _per_device_callbacks(jax, blocks, sharding, _key_data(jax, key), rng, stream)

        def host(r: RngLike) -> tuple[Array, tuple[int, ...] | None]:
            arr, perm = _adapters.sample_numpy(
                init, shape, dt.name, r, stream, layout, order, bfloat16_array=True
            )
            return arr.astype(dt, copy=False), perm

        out: JaxArray
        if not traced:
            r = rng if rng is not None else seed_from_key(np.asarray(_key_data(jax, key)))
            arr, perm = host(r)
            out = jnp.asarray(arr)
        else:
            # Traced (jit, vmap): generate when the computation runs, not at trace
            # time, so no weight becomes a constant baked into the program.
            key_data = _key_data(jax, key)
            gen_shape, perm = _generated_shape(init, shape, layout, order)
            out = jax.pure_callback(
                lambda kd: host(rng if rng is not None else seed_from_key(np.asarray(kd)))[0],
                jax.ShapeDtypeStruct(gen_shape, dt),
                key_data,
                vmap_method="sequential",
            )
        if perm is not None:
            out = jnp.transpose(out, perm)
        if sharding is not None:
            out = (
                jax.device_put(out, sharding)
                if not traced
                else jax.lax.with_sharding_constraint(out, sharding)
            )
        return out

    init_fn.__qualname__ = init_fn.__name__ = f"weightinit_{type(init).__name__}"
    init_fn.__doc__ = f"JAX initializer drawing {init!r} (weightinit)."
    return init_fn


def sharded(
    init: InitializerLike,
    shape: int | Sequence[int],
    dtype: npt.DTypeLike | None = None,
    sharding: Sharding | None = None,
    rng: JaxArray | RngLike = None,
    stream: Stream = None,
    *,
    layout: str | None = "jax",
    order: str = "torch",
) -> JaxArray:
    """A global ``jax.Array`` of ``shape`` laid out by ``sharding``, each shard generated alone.

    The values are those of ``initializer(init, layout=layout,
    order=order)(key, shape, dtype)`` (``rng`` a JAX key) or of ``rng=``/
    ``stream=`` (``rng`` a seed or Generator), whatever the sharding: the
    array is built with ``jax.make_array_from_callback``, and each distinct
    addressable shard is generated once through ``region=``, placed on the
    devices that hold it and dropped, so host memory is bounded by the
    largest shard (plus the initializer's workspace: Orthogonal shards that
    cut Q's rows generate the Q columns they touch, see
    :mod:`weightinit.orthogonal`). Only the shards of this process's
    devices are generated; every process computes the same values, with no
    communication.

    Parameters
    ----------
    init : weightinit.Initializer, name or config dict
    shape : tuple of ints
        The global shape.
    dtype : optional
        float16, bfloat16, float32 or float64 (default JAX's default float).
    sharding : jax.sharding.Sharding
        E.g. ``NamedSharding(mesh, PartitionSpec("data", "model"))``.
    rng : JAX key, int seed or Generator, optional
        Default: the global generator (one stream per call). Processes of a
        multi-process run must pass the same key or seed.
    stream : int or str, optional
        Stream id (default 0 with a key or seed).
    layout, order
        As in :func:`initializer`.

    Examples
    --------
    >>> import jax, numpy as np, weightinit as wi, weightinit.jax as wij
    >>> mesh = jax.sharding.Mesh(np.array(jax.devices()), ("model",))
    >>> s = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec(None, "model"))
    >>> w = wij.sharded(wi.HeNormal(), (1024, 4096), "float32", s, rng=jax.random.key(0))
    >>> bool((w == wij.initializer(wi.HeNormal())(jax.random.key(0), (1024, 4096))).all())
    True
    """
    jax = _framework()
    init = as_initializer(init)
    layout = check_framework_layout(layout)
    order = check_order(order)
    shape = _shape(shape)
    dt = _dtype(jax, dtype)
    if not isinstance(sharding, jax.sharding.Sharding):
        raise TypeError(
            "sharding must be a jax.sharding.Sharding (e.g. NamedSharding(mesh, "
            f"PartitionSpec(...))), got {sharding!r}"
        )
    blocks = _Blocks(init, shape, dt, layout, order)  # shape errors before any draw
    sharding.shard_shape(shape)  # JAX's error if the sharding does not divide the shape
    if _is_key(jax, rng):
        rng = seed_from_key(np.asarray(_key_data(jax, rng)))
    # Not a key (checked just above): one of what pinned() resolves.
    return _assemble(jax, blocks, sharding, *_adapters.pinned(cast(RngLike, rng), stream))


class _Blocks:
    """Any block ``full[index]`` of the array that ``initializer(init)`` gives for ``shape``.

    With the torch order a ``(*kernel, in, out)`` block is the block of the
    torch tensor ``(out, in, *kernel)`` at the permuted region, transposed:
    JAX axis ``j`` is torch axis ``perm[j]``.
    """

    init: Initializer
    gen_shape: tuple[int, ...]
    perm: tuple[int, ...] | None  # JAX axis j is generated axis perm[j]
    shape: tuple[int, ...]
    dt: np.dtype[Any]

    def __init__(
        self,
        init: Initializer,
        shape: tuple[int, ...],
        dt: np.dtype[Any],
        layout: str | None,
        order: str,
    ) -> None:
        plan = _adapters.torch_order_plan(init, shape, layout) if order == "torch" else None
        if plan is None:
            self.init, self.gen_shape, self.perm = _adapters.relayout(init, layout), shape, None
        else:
            (self.init, self.gen_shape), self.perm = plan, _adapters.keras_from_torch(len(shape))
        self.init._check_call(self.gen_shape, dt)
        self.shape, self.dt = shape, dt

    def __call__(self, gen: RngLike, sid: Stream, index: Sequence[slice]) -> Array:
        start, extent, _ = parse_region(tuple(index), self.shape)
        if self.perm is not None:
            start = [start[self.perm.index(a)] for a in range(len(start))]
            extent = [extent[self.perm.index(a)] for a in range(len(extent))]
        if self.dt.name == "bfloat16":
            out = np.empty(extent, dtype=np.uint16)
            _adapters.fill_bfloat16_bits(self.init, out, gen, sid, self.gen_shape, start)
            out = out.view(self.dt)
        else:
            out = np.empty(extent, dtype=self.dt)
            region = tuple(slice(s, s + e) for s, e in zip(start, extent, strict=True))
            self.init.fill(out, rng=gen, stream=sid, shape=self.gen_shape, region=region)
        return out if self.perm is None else out.transpose(self.perm)


def _assemble(
    jax: ModuleType, blocks: _Blocks, sharding: Sharding, gen: RngLike, sid: Stream
) -> JaxArray:
    """``jax.make_array_from_callback`` generating each distinct shard once.

    JAX collects every value the callback returns before placing them, so
    the callback places each block itself (``device_put`` to the device JAX
    asks for next with that index) and keeps the host copy only until its
    last replica is placed: host memory stays at one shard.
    """
    # index -> devices still to receive that block, in JAX's order
    waiting: dict[_BlockKey, list[Any]] = {}
    for device, index in sharding.addressable_devices_indices_map(blocks.shape).items():
        waiting.setdefault(_index_key(index, blocks.shape), []).append(device)
    held: dict[_BlockKey, Array] = {}

    def shard(index: Sequence[slice]) -> Any:  # the numpy block, or JAX's copy on a device
        k = _index_key(index, blocks.shape)
        block = held.get(k)
        if block is None:
            block = held[k] = blocks(gen, sid, index)
        devices = waiting.get(k)
        if not devices:  # not an index JAX announced: let JAX place it
            return block
        device = devices.pop(0)
        if not devices:
            del held[k]
        return jax.device_put(block, device)

    out: JaxArray = jax.make_array_from_callback(blocks.shape, sharding, shard)
    return out


def _index_key(index: Any, shape: tuple[int, ...]) -> _BlockKey:
    start, extent, _ = parse_region(tuple(index), shape)
    return tuple(start), tuple(extent)


def _per_device(jax: ModuleType, sharding: object, shape: tuple[int, ...]) -> bool:
    """Whether a traced call can generate per device: a NamedSharding dividing ``shape``."""
    if not isinstance(sharding, jax.sharding.NamedSharding) or not shape:
        return False
    spec = tuple(sharding.spec)
    if len(spec) > len(shape) or any(
        p is not None and not isinstance(p, (str, tuple)) for p in spec
    ):
        return False  # e.g. PartitionSpec.UNCONSTRAINED: the layout is XLA's choice
    try:
        sharding.shard_shape(shape)
    except ValueError:  # uneven: no jax.Array can hold it (IndivisibleError); XLA decides
        return False
    return max(shape) < 2**31  # offsets are int32 in the traced program


def _per_device_callbacks(
    jax: ModuleType,
    blocks: _Blocks,
    sharding: Any,  # a NamedSharding dividing the shape (_per_device)
    key_data: Any,
    rng: RngLike,
    stream: Stream,
) -> JaxArray:
    """Under ``jit``: inside ``shard_map``, each device's callback generates its block."""
    jnp = jax.numpy
    mesh, local = sharding.mesh, tuple(sharding.shard_shape(blocks.shape))
    spec = tuple(sharding.spec) + (None,) * (len(blocks.shape) - len(sharding.spec))
    pinned = None if rng is None else _adapters.pinned(rng, stream)

    def host(kd: Array, *offsets: Array) -> Array:
        gen, sid = pinned if pinned is not None else (seed_from_key(np.asarray(kd)), stream)
        index = tuple(slice(int(o), int(o) + n) for o, n in zip(offsets, local, strict=True))
        return np.ascontiguousarray(blocks(gen, sid, index))

    def body(kd: Any) -> Any:  # traced values inside shard_map
        offsets = []
        for names, n in zip(spec, local, strict=True):
            i = jnp.int32(0)
            for name in () if names is None else (names,) if isinstance(names, str) else names:
                i = i * mesh.shape[name] + jax.lax.axis_index(name)
            offsets.append(i * n)
        return jax.pure_callback(
            host, jax.ShapeDtypeStruct(local, blocks.dt), kd, *offsets, vmap_method="sequential"
        )

    P = jax.sharding.PartitionSpec
    out: JaxArray = jax.shard_map(
        body, mesh=mesh, in_specs=P(), out_specs=P(*spec), check_vma=False
    )(key_data)
    return out


def _is_key(jax: ModuleType, rng: object) -> bool:
    if isinstance(rng, jax.Array):
        return True
    return isinstance(rng, np.ndarray) and rng.dtype == np.uint32


def _shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    return tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))


def _generated_shape(
    init: Initializer, shape: tuple[int, ...], layout: str | None, order: str
) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """(shape generated, permutation to JAX's order or None), as ``sample_numpy`` does.

    Decided by the plan, not by comparing shapes: a square kernel's torch shape
    equals its own, yet it is still generated in torch order and transposed.
    """
    plan = _adapters.torch_order_plan(init, shape, layout) if order == "torch" else None
    return (shape, None) if plan is None else (plan[1], _adapters.keras_from_torch(len(shape)))


def _key_data(jax: ModuleType, key: Any) -> Any:  # a uint32 jax.Array or a tracer of one
    if isinstance(key, jax.Array) and jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key):
        if key.shape != ():
            raise ValueError(f"expected one PRNG key, got a key array of shape {key.shape}")
        return jax.random.key_data(key)
    data = jax.numpy.asarray(key) if not isinstance(key, jax.core.Tracer) else key
    if data.ndim != 1 or data.dtype != jax.numpy.uint32:
        raise ValueError(
            f"expected a JAX PRNG key (jax.random.key or a raw uint32 key), got {key!r}"
        )
    return data


def _dtype(jax: ModuleType, dtype: npt.DTypeLike | None) -> np.dtype[Any]:
    import ml_dtypes  # a dependency of jax

    if dtype is None:
        dtype = jax.numpy.zeros(()).dtype  # JAX's default float (float64 under x64)
    dt: np.dtype[Any] = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    real = (np.float16, np.float32, np.float64, np.dtype(ml_dtypes.bfloat16))
    if dt not in real + (np.complex64, np.complex128):
        raise TypeError(
            f"dtype must be float16, bfloat16, float32, float64, complex64 or complex128, got {dt}"
        )
    return dt
