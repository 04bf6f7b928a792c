"""weightinit.keras.Initializer: a Keras 3 initializer, serializable, Keras layout by default."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

# Keras 3 picks its backend at import: set it before the first import (JAX is a CPU
# install in CI; an already-chosen backend is kept, the adapter works with any).
os.environ.setdefault("KERAS_BACKEND", "jax")
from _env import child_env

import weightinit as wi  # noqa: E402
from weightinit import _adapters  # noqa: E402

keras = pytest.importorskip("keras")
import weightinit.keras as wik  # noqa: E402 - after the framework's importorskip


def torch_ordered(init, kshape, dtype=np.float32, **kw):
    t = _adapters.with_layout(init, "torch", force=True).sample(
        _adapters.torch_shape(kshape), dtype=dtype, **kw
    )
    return t.transpose(_adapters.keras_from_torch(len(kshape)))


def test_is_a_keras_initializer_and_stateless_with_int_seed():
    init = wik.Initializer(wi.HeNormal(gain="relu"), seed=7, stream="k")
    assert isinstance(init, keras.initializers.Initializer)
    a, b = init((48, 32)), init((48, 32))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # Keras: seeded => same values
    np.testing.assert_array_equal(
        np.asarray(a), torch_ordered(wi.HeNormal(gain="relu"), (48, 32), rng=7, stream="k")
    )
    assert keras.backend.standardize_dtype(a.dtype) == "float32"


def test_unseeded_and_generator_seeds():
    keras.utils.set_random_seed(3)
    a = wik.Initializer(wi.Normal())((50,))
    keras.utils.set_random_seed(3)
    b = wik.Initializer(wi.Normal())((50,))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))  # like Keras' default seeds
    assert wik.Initializer(wi.Normal()).get_config()["seed"] is None
    g = wik.Initializer(wi.Normal(), seed=wi.Generator(1))
    assert not np.array_equal(np.asarray(g((50,))), np.asarray(g((50,))))
    with pytest.raises(ValueError, match="seed"):
        wik.Initializer(wi.Normal(), seed=-1)


def test_layers_use_keras_layout_and_torch_order():
    dense = keras.layers.Dense(16, kernel_initializer=wik.Initializer("glorot_uniform", seed=1))
    conv = keras.layers.Conv2D(
        8, 3, kernel_initializer=wik.Initializer(wi.HeUniform(gain="relu"), seed=1)
    )
    dense.build((None, 40))
    conv.build((None, 9, 9, 5))
    np.testing.assert_array_equal(
        np.asarray(dense.kernel), torch_ordered(wi.GlorotUniform(), (40, 16), rng=1)
    )
    np.testing.assert_array_equal(
        np.asarray(conv.kernel), torch_ordered(wi.HeUniform(gain="relu"), (3, 3, 5, 8), rng=1)
    )
    native = wik.Initializer(wi.HeUniform(gain="relu"), seed=1, order="native")((3, 3, 5, 8))
    np.testing.assert_array_equal(
        np.asarray(native),
        wi.HeUniform(gain="relu", layout="keras").sample((3, 3, 5, 8), dtype=np.float32, rng=1),
    )


# float64 is left out: the JAX backend without jax_enable_x64 truncates it (with a warning)
# for every Keras initializer; that is the backend's rule, not the adapter's.
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_dtypes(dtype):
    init = wik.Initializer(wi.GlorotNormal(), seed=4)
    got = init((12, 10), dtype=dtype)
    assert keras.backend.standardize_dtype(got.dtype) == dtype
    ref32 = torch_ordered(wi.GlorotNormal(), (12, 10), rng=4)
    if dtype == "bfloat16":
        bits = np.empty(ref32.shape, np.uint16)
        _adapters.float32_to_bfloat16_bits(ref32, bits)
        np.testing.assert_array_equal(np.asarray(got).view(np.uint16), bits)
    elif dtype == "float16":
        np.testing.assert_array_equal(
            np.asarray(got), torch_ordered(wi.GlorotNormal(), (12, 10), np.float16, rng=4)
        )
    with pytest.raises(TypeError, match="dtype"):
        init((2, 2), dtype="int32")


def test_config_round_trips():
    for inner in [
        wi.HeNormal(gain="relu"),
        wi.Glorot(wi.Normal, gain=2.0),
        wi.VarianceScaling(2.0, "fan_out", "uniform", layout="keras"),
        wi.Orthogonal(),
    ]:
        init = wik.Initializer(inner, seed=5, stream="x")
        cfg = keras.initializers.serialize(init)
        json.dumps(cfg)  # saved models store JSON
        back = keras.initializers.deserialize(json.loads(json.dumps(cfg)))
        assert type(back) is type(init) and back.initializer == inner
        np.testing.assert_array_equal(np.asarray(back((6, 4))), np.asarray(init((6, 4))))
        clone = init.clone()
        np.testing.assert_array_equal(np.asarray(clone((6, 4))), np.asarray(init((6, 4))))
    assert keras.initializers.get(cfg).get_config() == init.get_config()


def test_model_json_round_trip():
    model = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3, kernel_initializer=wik.Initializer("he_uniform", seed=3)),
            keras.layers.Flatten(),
            keras.layers.Dense(5, kernel_initializer=wik.Initializer(wi.Orthogonal(), seed=2)),
        ]
    )
    again = keras.models.model_from_json(model.to_json())
    for a, b in zip(model.weights, again.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_torch_backend_in_a_subprocess():
    """Keras picks its backend once per process: the torch backend gets its own."""
    pytest.importorskip("torch")
    code = """
import os
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, keras, weightinit as wi, weightinit.keras as wik
from weightinit import _adapters
assert keras.backend.backend() == "torch"
init = wi.HeNormal(gain="relu")
want = _adapters.with_layout(init, "torch").sample((16, 40), dtype=np.float32, rng=3, stream="d")
layer = keras.layers.Dense(16, kernel_initializer=wik.Initializer(init, seed=3, stream="d"))
layer.build((None, 40))
# torch tensors straight to numpy: keras.ops.convert_to_numpy warns under numpy 2 here
# (its np.array(tensor) hits torch's __array__ without copy=), a Keras/torch matter.
np.testing.assert_array_equal(layer.kernel.value.detach().numpy(), want.T)
b = wik.Initializer(init, seed=3, stream="d")((40, 16), dtype="bfloat16")
bits = np.empty((16, 40), np.uint16)
_adapters.float32_to_bfloat16_bits(want, bits)
got = keras.ops.cast(b, "float32").detach().numpy().view(np.uint32) >> 16
np.testing.assert_array_equal(got, bits.T)
print("ok")
"""
    env = child_env()
    r = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr
