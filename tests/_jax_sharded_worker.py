"""Checks of weightinit.jax's sharded paths on forced JAX host devices.

Run by tests/test_jax_sharded.py in a subprocess, because the device count
(``XLA_FLAGS=--xla_force_host_platform_device_count=N``) must be set before
JAX is imported. Usage::

    python tests/_jax_sharded_worker.py CHECK [CHECK ...]

Each check prints ``ok CHECK`` or raises (non-zero exit, traceback on
stderr); ``digests`` prints one JSON line ``{name: sha256}``. References are
numpy arrays from the initializers themselves (the torch-shaped tensor,
transposed to JAX's ``(*kernel, in, out)``), never from the JAX adapter.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tracemalloc

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import weightinit as wi
import weightinit.jax as wij
from weightinit import _adapters

KEY_SEED = 11
INITS = [
    wi.Normal(0.02),
    wi.HeNormal(gain="relu"),
    wi.Orthogonal(),
    wi.TruncatedNormal(0.5),
    wi.Uniform(0.1),
    wi.Constant(0.25),
]


def reference(init, shape, dtype="float32", seed=KEY_SEED, stream=None):
    """numpy: what ``initializer(init)(key(seed), shape, dtype)`` must return."""
    if len(shape) >= 2:
        torch_init = _adapters.with_layout(init, "torch", force=True)
        full = torch_init.sample(_adapters.torch_shape(shape), np.float32, rng=seed, stream=stream)
        full = full.transpose(_adapters.keras_from_torch(len(shape)))
    else:
        full = _adapters.relayout(init, "jax").sample(shape, np.float32, rng=seed, stream=stream)
    if dtype == "bfloat16":
        bits = np.empty(full.shape, np.uint16)
        return _adapters.float32_to_bfloat16_bits(full, bits)
    return full.astype(dtype)


def bits(a):
    a = np.asarray(a)
    return a.view(np.uint16) if a.dtype.name == "bfloat16" else a


def same(got, want, what):
    got = bits(got)
    assert got.shape == want.shape, (what, got.shape, want.shape)
    assert got.tobytes() == np.ascontiguousarray(want).tobytes(), f"values differ: {what}"


def meshes(devices):
    """A 1-D mesh, and 2-D ones where the count allows (2 x 2; 2 x 4 and 4 x 2)."""
    k = len(devices)
    out = [Mesh(np.array(devices), ("a",))]
    if k >= 4:
        out.append(Mesh(np.array(devices).reshape(2, k // 2), ("a", "b")))
    if k >= 8:
        out.append(Mesh(np.array(devices).reshape(k // 2, 2), ("a", "b")))
    return out


def specs(mesh, ndim):
    """Shard the last two axes every way a mesh allows, replicas included."""
    lead = (None,) * (ndim - 2)
    names = mesh.axis_names
    out = [P(*lead, names[0], None), P(*lead, None, names[0])]
    if len(names) == 2:
        out += [P(*lead, *names), P(*lead, names[1], names[0]), P(*lead, None, names[1])]
        out.append(P(*lead, names, None))  # one array axis over both mesh axes
    out.append(P())  # fully replicated
    return out


class FillLog:
    """Records the shape of every block each initializer class generates."""

    def __init__(self, *classes):
        self.classes, self.shapes = classes, []

    def __enter__(self):
        self.saved = [c._fill_block for c in self.classes]
        for c, original in zip(self.classes, self.saved, strict=True):
            c._fill_block = self._wrap(original)
        return self

    def _wrap(self, original):
        def fill_block(init, shape, out, start, key, stream):
            self.shapes.append(out.shape)
            return original(init, shape, out, start, key, stream)

        return fill_block

    def __exit__(self, *exc):
        for c, original in zip(self.classes, self.saved, strict=True):
            c._fill_block = original


def check_values(devices=None, inits=INITS, dtypes=("float32",)):
    """sharded() on every mesh of 1, 2, 4 and 8 of the devices equals the numpy reference."""
    key = jax.random.key(KEY_SEED)
    all_devices = jax.devices() if devices is None else devices
    counts = sorted({1, 2, 4, len(all_devices)} & set(range(1, len(all_devices) + 1)))
    for init in inits:
        for shape in [(64, 32), (3, 3, 16, 8)]:
            for dtype in dtypes:
                want = reference(init, shape, dtype)
                for k in counts:
                    for mesh in meshes(all_devices[:k]):
                        for spec in specs(mesh, len(shape)):
                            what = f"{init!r} {shape} {dtype} {dict(mesh.shape)} {spec}"
                            s = NamedSharding(mesh, spec)
                            got = wij.sharded(init, shape, dtype, s, rng=key)
                            assert got.sharding == s, what
                            same(got, want, what)
                            for shard in got.addressable_shards:  # each device's block
                                same(shard.data, want[shard.index], what + f" {shard.index}")


def check_seeds_and_streams():
    mesh = Mesh(np.array(jax.devices()), ("a",))
    s = NamedSharding(mesh, P(None, "a"))
    want = reference(wi.GlorotNormal(), (16, 64), seed=5, stream="dec.0.w")
    for rng in (5, jax.random.key(5), jax.random.PRNGKey(5), wi.Generator(5)):
        same(wij.sharded("glorot_normal", (16, 64), "float32", s, rng, "dec.0.w"), want, rng)
    native = wi.HeNormal(layout="jax").sample((3, 3, 4, 8), np.float32, rng=2)
    got = wij.sharded(wi.HeNormal(), (3, 3, 4, 8), "float32", NamedSharding(mesh, P()), 2)
    assert not np.array_equal(np.asarray(got), native)  # torch order by default
    s4 = NamedSharding(mesh, P(None, None, None, "a"))
    same(wij.sharded(wi.HeNormal(), (3, 3, 4, 8), "float32", s4, 2, order="native"), native, "")


def check_one_generation_per_shard():
    """Each distinct shard is generated once (replicas share it), at its own size."""
    mesh = Mesh(np.array(jax.devices()).reshape(2, 4), ("a", "b"))
    for spec, local, distinct in [
        (P("a", "b"), (32, 16), 8),
        (P("a", None), (32, 64), 2),  # 4 replicas of each
        (P(), (64, 64), 1),
    ]:
        with FillLog(type(wi.Normal())) as log:
            wij.sharded(wi.Normal(), (64, 64), "float32", NamedSharding(mesh, spec), rng=1)
        # (Normal on 2-D: the torch-shaped block, transposed)
        assert log.shapes == [_adapters.torch_shape(local)] * distinct, (spec, log.shapes)


def check_memory():
    """Host memory during sharded(): a couple of shards, never the whole array.

    tracemalloc sees numpy's allocations (the host blocks); the device
    buffers belong to XLA's allocator. The whole (2048, 2048) float32 array
    is 16 MiB, a shard over 8 devices 2 MiB.
    """
    mesh = Mesh(np.array(jax.devices()), ("a",))
    shape, full = (2048, 2048), 2048 * 2048 * 4
    for spec in (P("a"), P(None, "a")):
        s = NamedSharding(mesh, spec)
        wij.sharded(wi.Normal(), (8, 8), "float32", s, rng=0)  # JAX's one-time setup
        tracemalloc.start()
        try:
            out = wij.sharded(wi.Normal(), shape, "float32", s, rng=1)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        shard = full // len(jax.devices())
        assert peak <= 2 * shard + (1 << 20), f"peak {peak} bytes for {spec}, shard {shard}"
        same(out[:4, :4], reference(wi.Normal(), shape, seed=1)[:4, :4], "memory")


def check_jit(inits=INITS[1:2]):
    """Under jit: per-device callbacks with out_sharding, one whole callback without."""
    mesh = Mesh(np.array(jax.devices()).reshape(2, 4), ("a", "b"))
    key = jax.random.key(KEY_SEED)
    for init in inits:
        f = wij.initializer(init)
        for shape, spec in [
            ((64, 32), P("a", "b")),
            ((64, 32), P(None, ("b", "a"))),  # one array axis over both mesh axes
            ((32, 32), P("b", "a")),  # square: generated in torch order all the same
            ((3, 3, 16, 8), P(None, None, "b", "a")),
        ]:
            for dtype in ("float32", "bfloat16"):
                want = reference(init, shape, dtype)
                s = NamedSharding(mesh, spec)
                what = f"{init!r} {shape} {spec} {dtype}"
                with FillLog(type(init)) as log:
                    got = jax.jit(lambda k, f=f, s=s, sh=shape, d=dtype: f(k, sh, d, s))(key)
                    jax.block_until_ready(got)
                same(got, want, what + " per device")
                assert got.sharding.is_equivalent_to(s, len(shape)), (what, got.sharding)
                local = s.shard_shape(shape)
                # float32: one block per device (bfloat16 generates in sub-blocks)
                if dtype == "float32":
                    torch_local = _adapters.torch_shape(local)
                    assert log.shapes == [torch_local] * 8, (what, log.shapes)
                with FillLog(type(init)) as log:
                    got = jax.jit(lambda k, f=f, sh=shape, d=dtype: f(k, sh, d), out_shardings=s)(
                        key
                    )
                    jax.block_until_ready(got)
                same(got, want, what + " out_shardings")
                assert got.sharding == s
                if dtype == "float32":
                    assert log.shapes == [_adapters.torch_shape(shape)], (what, log.shapes)
    # Shardings the per-device route does not take still give the same values.
    f = wij.initializer(wi.Normal(0.02))
    for shape, spec in [((64, 30), P(None, "b")), ((64, 32), P(None, P.UNCONSTRAINED))]:
        s = NamedSharding(mesh, spec)
        got = jax.jit(lambda k, sh=shape, s=s: f(k, sh, None, s))(key)
        same(got, reference(wi.Normal(0.02), shape), f"{shape} {spec}")
    # An explicit rng under jit: the key is ignored, values as the eager call.
    g = wij.initializer(wi.GlorotUniform(), rng=4, stream="w")
    s = NamedSharding(mesh, P("b", "a"))
    got = jax.jit(lambda k: g(k, (16, 8), None, s))(key)
    same(got, reference(wi.GlorotUniform(), (16, 8), seed=4, stream="w"), "rng under jit")
    # vmap over keys of a per-device initializer.
    keys = jax.random.split(key, 3)
    got = jax.jit(jax.vmap(lambda k: f(k, (16, 8), None, NamedSharding(mesh, P("b")))))(keys)
    for i in range(3):
        seed = wij.seed_from_key(jax.random.key_data(keys[i]))
        same(got[i], reference(wi.Normal(0.02), (16, 8), seed=seed), f"vmap {i}")


def check_flax():
    """Flax linen with nn.with_partitioning, and NNX sharding metadata, on a 2 x 4 mesh."""
    import flax.linen as nn
    from flax import nnx

    mesh = Mesh(np.array(jax.devices()).reshape(2, 4), ("a", "b"))
    embed, kernel = wi.Normal(0.02), wi.GlorotUniform()

    class Model(nn.Module):
        per_device: bool

        @nn.compact
        def __call__(self, ids):
            def init(i, names):
                s = NamedSharding(mesh, P(*names)) if self.per_device else None
                return nn.with_partitioning(wij.initializer(i, out_sharding=s), names)

            x = nn.Embed(64, 32, embedding_init=init(embed, ("a", "b")))(ids)
            return nn.Dense(48, kernel_init=init(kernel, ("b", None)))(x)

    ids = np.zeros((2, 3), np.int32)
    for per_device in (False, True):
        model = Model(per_device)
        abstract = jax.eval_shape(model.init, jax.random.key(KEY_SEED), ids)
        shardings = nn.get_sharding(abstract, mesh)
        with FillLog(type(kernel), type(embed)) as log:
            params = jax.jit(model.init, out_shardings=shardings)(jax.random.key(KEY_SEED), ids)
            jax.block_until_ready(params)
        params = nn.meta.unbox(params)["params"]
        plain = nn.meta.unbox(model.init(jax.random.key(KEY_SEED), ids))["params"]
        for name, leaf in (("Embed_0", "embedding"), ("Dense_0", "kernel")):
            same(params[name][leaf], bits(plain[name][leaf]), f"linen {name} {per_device}")
        assert params["Embed_0"]["embedding"].sharding.spec == P("a", "b")
        assert params["Dense_0"]["kernel"].sharding.spec == P("b", None)
        # torch order: Embed (64, 32) is generated as (32, 64), Dense (32, 48) as (48, 32)
        want = [(8, 32), (48, 8)] * 8 if per_device else [(32, 64), (48, 32)]
        assert sorted(log.shapes) == sorted(want), (per_device, log.shapes)

    f = wij.initializer(kernel)

    @nnx.jit
    def make():
        return nnx.Linear(
            16, 32, kernel_init=nnx.with_partitioning(f, ("a", "b")), rngs=nnx.Rngs(3)
        )

    with jax.set_mesh(mesh):
        lin = make()
        eager = nnx.Linear(
            16, 32, kernel_init=nnx.with_partitioning(f, ("a", "b")), rngs=nnx.Rngs(3)
        )
    plain = nnx.Linear(16, 32, kernel_init=f, rngs=nnx.Rngs(3))
    for got, what in ((lin, "nnx jit"), (eager, "nnx eager")):
        same(got.kernel[...], np.asarray(plain.kernel[...]), what)
        assert got.kernel[...].sharding.spec == P("a", "b"), what


def check_errors():
    mesh = Mesh(np.array(jax.devices()), ("a",))
    s = NamedSharding(mesh, P("a"))
    wi.set_seed(0)
    before = repr(wi.get_rng())  # shows the next stream
    for bad, error in [
        (dict(sharding=None), TypeError),
        (dict(sharding=P("a")), TypeError),
        (dict(sharding=s, dtype="int32"), TypeError),
        (dict(sharding=s, shape=(64,)), wi.ShapeError),
        (dict(sharding=s, layout="tf"), ValueError),
        (dict(sharding=s, shape=(60, 8)), ValueError),  # JAX: 60 rows do not split 8 ways
    ]:
        args = dict(init=wi.HeNormal(), shape=(64, 8), dtype="float32") | bad
        try:
            wij.sharded(**args)
        except error:
            pass
        else:
            raise AssertionError(f"no {error.__name__} for {bad}")
    assert repr(wi.get_rng()) == before, "an error drew from the global generator"
    # rng=None: one global stream per call, as every weightinit call.
    a = wij.sharded(wi.Normal(), (16, 8), "float32", s)
    b = wij.sharded(wi.Normal(), (16, 8), "float32", s)
    assert not np.array_equal(np.asarray(a), np.asarray(b))


def digests():
    """sha256 of sharded() arrays on every mesh of this process's devices."""
    key = jax.random.key(KEY_SEED)
    out = {}
    for init in (wi.Normal(0.02), wi.Orthogonal()):
        for mesh in meshes(jax.devices()):
            for spec in specs(mesh, 2):
                for dtype in ("float32", "bfloat16"):
                    a = wij.sharded(init, (64, 32), dtype, NamedSharding(mesh, spec), rng=key)
                    name = f"{init!r} {dtype} {dict(mesh.shape)} {spec}"
                    out[name] = (f"{init!r} {dtype}", hashlib.sha256(bits(a).tobytes()).hexdigest())
    print(json.dumps(out))


CHECKS = {
    "values": check_values,
    "values-full": lambda: check_values(dtypes=("float32", "bfloat16", "float16")),
    "seeds": check_seeds_and_streams,
    "once": check_one_generation_per_shard,
    "memory": check_memory,
    "jit": check_jit,
    "jit-full": lambda: check_jit(INITS),
    "flax": check_flax,
    "errors": check_errors,
    "digests": digests,
}

if __name__ == "__main__":
    for name in sys.argv[1:]:
        CHECKS[name]()
        if name != "digests":
            print(f"ok {name} ({len(jax.devices())} devices)", flush=True)
