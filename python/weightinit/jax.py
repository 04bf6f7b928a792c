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

Examples
--------
>>> import jax, flax.linen as nn, weightinit as wi, weightinit.jax as wij
>>> dense = nn.Dense(256, kernel_init=wij.initializer(wi.HeNormal(gain="relu")))
>>> params = dense.init(jax.random.key(0), jax.numpy.ones((1, 784)))
"""

from __future__ import annotations

import numpy as np

from . import _adapters
from ._adapters import as_initializer, check_framework_layout, check_order

__all__ = ["initializer", "seed_from_key"]

_jax = None


def _framework():
    global _jax
    if _jax is None:
        _jax = _adapters.import_framework("jax", "jax", "pip install jax jaxlib")
    return _jax


def seed_from_key(key_data) -> int:
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


def initializer(init, *, rng=None, stream=None, layout="jax", order="torch", dtype=None):
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

    Notes
    -----
    Generation runs on the host (the C++ core) and the result is moved to
    the device once. Inside ``jax.jit`` (as in ``jax.jit(model.init)``) it
    runs through ``jax.pure_callback``, so it works traced too; under
    ``vmap`` the callback runs once per key. float16 and bfloat16 are
    supported (bfloat16: float32 rounded to nearest even, as everywhere).

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

    def init_fn(key, shape, dtype=None, out_sharding=None):
        jax = _framework()
        jnp = jax.numpy
        shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        dt = _dtype(jax, dtype if dtype is not None else default_dtype)

        def host(key_data):
            r = rng if rng is not None else seed_from_key(key_data)
            arr, perm = _adapters.sample_numpy(init, shape, dt.name, r, stream, layout, order)
            return arr.astype(dt, copy=False), perm

        if not isinstance(key, jax.core.Tracer):
            arr, perm = host(None if rng is not None else np.asarray(_key_data(jax, key)))
            out = jnp.asarray(arr)
        else:
            # Traced (jit, vmap): generate when the computation runs, not at trace
            # time, so no weight becomes a constant baked into the program.
            key_data = _key_data(jax, key)
            gen_shape = _generated_shape(init, shape, layout, order)
            out = jax.pure_callback(
                lambda kd: host(np.asarray(kd))[0],
                jax.ShapeDtypeStruct(gen_shape, dt),
                key_data,
                vmap_method="sequential",
            )
            perm = None if gen_shape == shape else _adapters.keras_from_torch(len(shape))
        if perm is not None:
            out = jnp.transpose(out, perm)
        if out_sharding is not None:
            out = (
                jax.device_put(out, out_sharding)
                if not isinstance(out, jax.core.Tracer)
                else jax.lax.with_sharding_constraint(out, out_sharding)
            )
        return out

    init_fn.__qualname__ = init_fn.__name__ = f"weightinit_{type(init).__name__}"
    init_fn.__doc__ = f"JAX initializer drawing {init!r} (weightinit)."
    return init_fn


def _generated_shape(init, shape, layout, order):
    if order != "torch":
        return shape
    plan = _adapters.torch_order_plan(init, shape, layout)
    return shape if plan is None else plan[1]


def _key_data(jax, key):
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


def _dtype(jax, dtype):
    import ml_dtypes  # a dependency of jax

    if dtype is None:
        dtype = jax.numpy.zeros(()).dtype  # JAX's default float (float64 under x64)
    dt = np.dtype(jax.dtypes.canonicalize_dtype(dtype))
    if dt not in (np.float16, np.float32, np.float64, np.dtype(ml_dtypes.bfloat16)):
        raise TypeError(f"dtype must be float16, bfloat16, float32 or float64, got {dt}")
    return dt
