"""Issue 7.4: for one initializer, seed and stream, numpy, torch, JAX/Flax and Keras give the
same numbers after the layout transpose (torch (out, in, *k) <-> Keras/JAX (*k, in, out)).

Also issue 7.5: importing weightinit (and its adapters) never imports a framework, and a
missing framework gives a clear ImportError.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")  # before any Keras import (see test_keras_adapter)
from _env import child_env

import weightinit as wi  # noqa: E402
from weightinit import _adapters  # noqa: E402

INITS = [
    wi.HeNormal(gain="relu"),
    wi.GlorotUniform(),
    wi.VarianceScaling(2.0, "fan_in", "truncated_normal"),
    wi.LeCunNormal(),
    wi.Orthogonal(),
    wi.Normal(std=0.02),
]
SEED, STREAM = 2026, "block.dense.weight"


def numpy_torch_shaped(init, torch_shape, dtype=np.float32):
    """The numpy path: the initializer in torch's layout on the torch-shaped tensor."""
    return _adapters.with_layout(init, "torch", force=True).sample(
        torch_shape, dtype=dtype, rng=SEED, stream=STREAM
    )


def bf16_bits(a32):
    bits = np.empty(a32.shape, np.uint16)
    return _adapters.float32_to_bfloat16_bits(a32, bits)


@pytest.fixture(scope="module")
def frameworks():
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    keras = pytest.importorskip("keras")
    import weightinit.jax as wij
    import weightinit.keras as wik
    import weightinit.torch as wit

    return torch, jax, keras, wit, wij, wik


@pytest.mark.parametrize("init", INITS, ids=repr)
@pytest.mark.parametrize("kind", ["dense", "conv2d", "conv1d"])
def test_same_weights_in_every_framework(frameworks, init, kind):
    torch, jax, keras, wit, wij, wik = frameworks
    nn = torch.nn
    if kind == "dense":
        tlayer, klayer, kin = nn.Linear(48, 32), keras.layers.Dense(32), (None, 48)
    elif kind == "conv2d":
        tlayer, klayer, kin = nn.Conv2d(6, 16, 3), keras.layers.Conv2D(16, 3), (None, 9, 9, 6)
    else:
        tlayer, klayer, kin = nn.Conv1d(4, 8, 5), keras.layers.Conv1D(8, 5), (None, 20, 4)
    tshape = tuple(tlayer.weight.shape)
    perm = _adapters.keras_from_torch(len(tshape))
    reference = numpy_torch_shaped(init, tshape)

    wit.init_(tlayer.weight, init, rng=SEED, stream=STREAM)
    torch_w = tlayer.weight.detach().numpy()

    klayer.kernel_initializer = wik.Initializer(init, seed=SEED, stream=STREAM)
    klayer.build(kin)
    keras_w = np.asarray(klayer.kernel)

    kshape = tuple(keras_w.shape)
    jax_w = np.asarray(wij.initializer(init, rng=SEED, stream=STREAM)(jax.random.key(0), kshape))

    np.testing.assert_array_equal(torch_w, reference)
    np.testing.assert_array_equal(keras_w, reference.transpose(perm))
    np.testing.assert_array_equal(jax_w, reference.transpose(perm))


@pytest.mark.parametrize(
    "init, tshape",
    [
        (wi.Identity(), (32, 48)),
        (wi.Sparse(0.25, std=1.0), (32, 48)),
        (wi.Dirac(), (16, 6, 3, 3)),
        (wi.DeltaOrthogonal(), (16, 6, 3, 3)),
        (wi.Zeros(), (16, 6, 3, 3)),
    ],
    ids=repr,
)
def test_structural_initializers_agree_too(frameworks, init, tshape):
    torch, jax, keras, wit, wij, wik = frameworks
    perm = _adapters.keras_from_torch(len(tshape))
    kshape = tuple(tshape[i] for i in perm)
    t = wit.init_(torch.empty(tshape), init, rng=SEED, stream=STREAM).numpy()
    k = np.asarray(wik.Initializer(init, seed=SEED, stream=STREAM)(kshape))
    j = np.asarray(wij.initializer(init, rng=SEED, stream=STREAM)(None, kshape))
    np.testing.assert_array_equal(t, numpy_torch_shaped(init, tshape))
    np.testing.assert_array_equal(k, t.transpose(perm))
    np.testing.assert_array_equal(j, t.transpose(perm))


def test_same_bfloat16_bits_in_every_framework(frameworks):
    torch, jax, keras, wit, wij, wik = frameworks
    init = wi.HeUniform(gain="relu")
    reference = bf16_bits(numpy_torch_shaped(init, (16, 6, 3, 3)))
    t = torch.empty(16, 6, 3, 3, dtype=torch.bfloat16)
    wit.init_(t, init, rng=SEED, stream=STREAM)
    k = wik.Initializer(init, seed=SEED, stream=STREAM)((3, 3, 6, 16), dtype="bfloat16")
    j = wij.initializer(init, rng=SEED, stream=STREAM)(
        jax.random.key(0), (3, 3, 6, 16), jax.numpy.bfloat16
    )
    perm = (2, 3, 1, 0)
    np.testing.assert_array_equal(t.view(torch.int16).numpy().view(np.uint16), reference)
    np.testing.assert_array_equal(np.asarray(k).view(np.uint16), reference.transpose(perm))
    np.testing.assert_array_equal(np.asarray(j).view(np.uint16), reference.transpose(perm))


def test_embeddings_share_a_layout_so_native_order(frameworks):
    """Embedding tables are (num, dim) in torch, Keras and Flax alike: no transpose, so the
    JAX/Keras adapters take order="native" for them."""
    torch, jax, keras, wit, wij, wik = frameworks
    init = wi.Normal(std=0.02)
    emb = torch.nn.Embedding(50, 12)
    wit.init_(emb.weight, init, rng=SEED, stream="emb")
    kemb = keras.layers.Embedding(
        50,
        12,
        embeddings_initializer=wik.Initializer(init, seed=SEED, stream="emb", order="native"),
    )
    kemb.build((None,))
    jemb = wij.initializer(init, rng=SEED, stream="emb", order="native")(None, (50, 12))
    want = emb.weight.detach().numpy()
    np.testing.assert_array_equal(np.asarray(kemb.embeddings), want)
    np.testing.assert_array_equal(np.asarray(jemb), want)


def test_same_model_weights_torch_flax_keras(frameworks):
    """A whole MLP: torch's initialize() by parameter name, Flax and Keras with those names."""
    torch, jax, keras, wit, wij, wik = frameworks
    nn = pytest.importorskip("flax.linen")
    init = wi.GlorotUniform()
    tmodel = torch.nn.Sequential(torch.nn.Linear(20, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    wit.initialize(tmodel, {"*.weight": init, "*.bias": wi.Zeros()}, rng=SEED)

    def kinit(name):
        return wij.initializer(init, rng=SEED, stream=name)

    flax_model = nn.Sequential(
        [
            nn.Dense(16, kernel_init=kinit("0.weight")),
            nn.relu,
            nn.Dense(4, kernel_init=kinit("2.weight")),
        ]
    )
    params = flax_model.init(jax.random.key(0), jax.numpy.ones((1, 20)))["params"]
    kmodel = keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(
                16, kernel_initializer=wik.Initializer(init, seed=SEED, stream="0.weight")
            ),
            keras.layers.Dense(
                4, kernel_initializer=wik.Initializer(init, seed=SEED, stream="2.weight")
            ),
        ]
    )
    for i, (t_idx, f_name) in enumerate([(0, "layers_0"), (2, "layers_2")]):
        want = tmodel[t_idx].weight.detach().numpy().T
        np.testing.assert_array_equal(np.asarray(params[f_name]["kernel"]), want)
        np.testing.assert_array_equal(np.asarray(kmodel.layers[i].kernel), want)


def _run(code):
    env = child_env()
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )


def test_frameworks_are_optional():
    code = """
import sys
for name in ("torch", "jax", "keras", "flax"):
    sys.modules[name] = None  # as if not installed: importing it raises ImportError
import weightinit as wi, weightinit.torch as wit, weightinit.jax as wij, weightinit.keras as wik
for call in (lambda: wit.init_(None, wi.Zeros()),
             lambda: wij.initializer(wi.Zeros())(None, (2,)),
             lambda: wik.Initializer):
    try:
        call()
    except ImportError as e:
        print(e)
    else:
        raise SystemExit("no ImportError")
"""
    r = _run(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3
    for line, (module, hint) in zip(
        lines,
        [
            ("torch", "pip install torch"),
            ("jax", "pip install jax jaxlib"),
            ("keras", "pip install keras"),
        ],
        strict=True,
    ):
        assert f"weightinit.{module} needs {module}" in line and hint in line
        assert "not a dependency of weightinit" in line


def test_importing_weightinit_imports_no_framework():
    r = _run(
        "import sys, weightinit, weightinit.torch, weightinit.jax, weightinit.keras\n"
        "print(sorted(m for m in ('torch', 'jax', 'keras', 'flax') if m in sys.modules))"
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
