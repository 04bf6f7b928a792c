"""weightinit.jax.sharded and sharded initializers on forced JAX host devices.

JAX reads the device count (``XLA_FLAGS=--xla_force_host_platform_device_count``)
once, at import, and this pytest process may already have imported JAX: the
multi-device checks run in subprocesses (tests/_jax_sharded_worker.py, where
each check is described). What runs here needs one device.
"""

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _env import child_env

import weightinit as wi
from weightinit import _adapters

jax = pytest.importorskip("jax")
import weightinit.jax as wij  # noqa: E402 - after the framework check

WORKER = Path(__file__).with_name("_jax_sharded_worker.py")


def run_worker(*checks, devices=8, timeout=240):
    env = child_env(
        XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}", JAX_PLATFORMS="cpu"
    )
    proc = subprocess.run(
        [sys.executable, str(WORKER), *checks],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    errors = "\n".join(line for line in proc.stderr.splitlines() if "rematerialization" not in line)
    assert proc.returncode == 0, f"worker {checks} failed on {devices} devices:\n{errors}"
    return proc.stdout


def test_sharded_jit_and_flax_on_8_host_devices():
    checks = ["values", "seeds", "once", "memory", "errors", "jit"]
    if importlib.util.find_spec("flax") is not None:
        checks.append("flax")
    out = run_worker(*checks)
    for check in checks:
        assert f"ok {check} (8 devices)" in out


@pytest.mark.slow
def test_every_initializer_and_dtype_under_jit_on_8_host_devices():
    out = run_worker("values-full", "jit-full", timeout=600)
    assert "ok values-full (8 devices)" in out and "ok jit-full (8 devices)" in out


def reference_digest(init, dtype):
    full = _adapters.with_layout(init, "torch", force=True).sample((32, 64), np.float32, rng=11)
    full = np.ascontiguousarray(full.T)
    if dtype == "bfloat16":
        full = _adapters.float32_to_bfloat16_bits(full, np.empty(full.shape, np.uint16))
    return hashlib.sha256(full.tobytes()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("devices", [1, 2, 4, 8])
def test_same_values_for_every_host_device_count(devices):
    """Separate processes with 1, 2, 4 and 8 devices: every mesh gives the numpy values."""
    digests = json.loads(run_worker("digests", devices=devices).splitlines()[-1])
    assert len(digests) == 2 * 2 * {1: 3, 2: 3, 4: 3 + 7, 8: 3 + 2 * 7}[devices]
    for name, (what, digest) in digests.items():
        init = wi.Normal(0.02) if what.startswith("Normal") else wi.Orthogonal()
        assert digest == reference_digest(init, what.split()[-1]), name


# --- in this process (one device, or however many it has) -----------------------


def single_device():
    return jax.sharding.SingleDeviceSharding(jax.devices()[0])


def test_sharded_on_one_device_equals_initializer():
    key = jax.random.key(3)
    for init, shape in [(wi.HeNormal(), (3, 3, 4, 8)), (wi.Orthogonal(), (20, 12))]:
        got = wij.sharded(init, shape, "float32", single_device(), rng=key)
        want = wij.initializer(init)(key, shape)
        assert got.sharding == single_device()
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    mesh = jax.sharding.Mesh(np.array(jax.devices()[:1]), ("a",))
    s = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("a"))
    f = wij.initializer(wi.GlorotUniform(), out_sharding=s)
    eager = f(key, (16, 8))
    assert eager.sharding == s
    jitted = jax.jit(lambda k: f(k, (16, 8)))(key)
    np.testing.assert_array_equal(np.asarray(jitted), np.asarray(eager))
    np.testing.assert_array_equal(
        np.asarray(eager), np.asarray(wij.initializer(wi.GlorotUniform())(key, (16, 8)))
    )


@pytest.mark.parametrize("shape", [(32, 32), (3, 3, 3, 3), (3, 3, 8, 8)])
def test_square_kernels_under_jit_equal_eager(shape):
    """A kernel whose torch shape equals its own is still generated in torch order.

    (The traced path used to compare shapes to decide on the transpose, so
    square Dense kernels under jit were the transpose of the eager ones.)
    """
    f = wij.initializer(wi.HeNormal())
    key = jax.random.key(5)
    want = _adapters.with_layout(wi.HeNormal(), "torch", force=True).sample(
        _adapters.torch_shape(shape), np.float32, rng=5
    )
    want = want.transpose(_adapters.keras_from_torch(len(shape)))
    np.testing.assert_array_equal(np.asarray(f(key, shape)), want)
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda k: f(k, shape))(key)), want)
    batched = jax.vmap(lambda k: f(k, shape))(jax.random.split(key, 2))
    seed = wij.seed_from_key(jax.random.key_data(jax.random.split(key, 2)[1]))
    other = wij.initializer(wi.HeNormal(), rng=seed)(key, shape)
    np.testing.assert_array_equal(np.asarray(batched[1]), np.asarray(other))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(sharding=None), TypeError, "sharding must be a jax.sharding.Sharding"),
        (dict(sharding="x"), TypeError, "got 'x'"),
        (dict(dtype="int32"), TypeError, "dtype"),
        (dict(shape=(5,)), wi.ShapeError, "1-dimensional"),
        (dict(order="jax"), ValueError, "order"),
        (dict(init="no_such_initializer"), ValueError, "no_such_initializer"),
    ],
)
def test_bad_arguments_draw_nothing(kwargs, error, match):
    wi.set_seed(0)
    before = repr(wi.get_rng())
    args = dict(init=wi.HeNormal(), shape=(8, 4), dtype="float32", sharding=single_device())
    with pytest.raises(error, match=match):
        wij.sharded(**(args | kwargs))
    assert repr(wi.get_rng()) == before
