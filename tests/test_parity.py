"""Issue 14: the peers' own assertions that weightinit failed, point by point.

Each test re-expresses what a peer's test suite (or a user moving from that
peer) asserts. Statistical tests state their false-failure rate (the chance
that a correct implementation fails for the seed chosen); deterministic
initializers are checked exactly.
"""

from __future__ import annotations

import json
import math
import os
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

# Keras 3 picks its backend at import (see test_keras_adapter.py).
os.environ.setdefault("KERAS_BACKEND", "jax")

import weightinit as wi  # noqa: E402

ALPHA = 1e-4  # KS tests: false-failure rate 1e-4 each, as torch's _is_normal/_is_uniform


# --- 2. array-valued parameters and 0-d arrays ------------------------------------------


def test_constant_array_broadcasts_like_keras():
    # keras constant_initializers_test: Constant(np.ones((3, 3))) works; numpy broadcasting.
    np.testing.assert_array_equal(wi.Constant(np.ones((3, 3)))((3, 3)), np.ones((3, 3)))
    val = np.arange(6.0).reshape(2, 3)
    w = wi.Constant(val)((4, 2, 3), dtype=np.float32)
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, np.broadcast_to(val, (4, 2, 3)))
    part = wi.Constant(val)((4, 2, 3), region=(slice(1, 3), 1, slice(0, 2)))
    np.testing.assert_array_equal(part, np.broadcast_to(val, (4, 2, 3))[1:3, 1, 0:2])
    # The initializer keeps its own copy, and its config is plain JSON.
    val[0, 0] = 99.0
    init = wi.Constant(np.arange(6.0).reshape(2, 3))
    assert json.loads(json.dumps(init.get_config())) == {"val": [[0, 1, 2], [3, 4, 5]]}
    assert init.clone() == init and wi.deserialize(wi.serialize(init)) == init


def test_constant_array_matches_keras():
    keras = pytest.importorskip("keras")
    val = np.arange(1.0, 10.0).reshape(3, 3).astype(np.float32)
    theirs = np.asarray(keras.initializers.Constant(val)((2, 3, 3), dtype="float32"))
    np.testing.assert_array_equal(wi.Constant(val)((2, 3, 3), dtype=np.float32), theirs)


def test_constant_array_that_does_not_broadcast_names_val():
    with pytest.raises(wi.ShapeError, match=r"val of shape \(3, 3\) does not broadcast to shape"):
        wi.Constant(np.ones((3, 3)))((3, 2))
    with pytest.raises(ValueError, match="val must be finite"):
        wi.Constant(np.array([1.0, np.inf]))
    with pytest.raises(TypeError, match="val must be a real number"):
        wi.Constant(np.array(["a"]))


def test_get_array_is_a_constant_of_it():
    # keras random_initializers_test.test_get_method_with_tensor.
    tensor = np.random.default_rng(0).uniform(size=(5, 5)).astype(np.float32)
    init = wi.get(tensor)
    assert isinstance(init, wi.Constant)
    np.testing.assert_array_equal(init((5, 5), dtype=np.float32), tensor)
    with pytest.raises(ValueError, match=r"\(5, 5\)"):
        init((10, 10))
    assert wi.get(np.float32(0.5)) == wi.Constant(0.5)


def _zero_d_cases(x):
    """Constructors taking a number, each called with ``x`` (a 0-d array equal to 1)."""
    return [
        lambda: wi.Constant(x),
        lambda: wi.Normal(x, x),
        lambda: wi.Uniform(x),
        lambda: wi.Uniform((-x, x)),
        lambda: wi.Uniform(std=x, mean=x),
        lambda: wi.TruncatedNormal(x, x, -x, x),
        lambda: wi.GlorotUniform(gain=x),
        lambda: wi.HeNormal(gain=("leaky_relu", x)),
        lambda: wi.VarianceScaling(x),
        lambda: wi.UniformScaling(x),
        lambda: wi.Orthogonal(x),
        lambda: wi.Identity(x),
        lambda: wi.Hadamard(x),
        lambda: wi.TorchSparse(x * 0.5, x),
    ]


@pytest.mark.parametrize("make", ["numpy", "jax"])
def test_zero_d_arrays_are_numbers(make):
    # jax nn_test.testAccidentalUpcasting passes jnp.array(1.0, jnp.float32) as a parameter.
    if make == "jax":
        jnp = pytest.importorskip("jax.numpy")
        x = jnp.array(1.0, jnp.float32)
    else:
        x = np.array(1.0)
    for with_array, with_float in zip(_zero_d_cases(x), _zero_d_cases(1.0), strict=True):
        a, b = with_array(), with_float()
        assert a == b, (a, b)
        assert a((4, 4), rng=3).tobytes() == b((4, 4), rng=3).tobytes()
        json.dumps(a.get_config())  # plain numbers: Keras can save it


def test_zero_d_parameters_keep_the_requested_dtype_through_jax():
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    import weightinit.jax as wij

    scalar = jnp.array(1.0, dtype=jnp.float32)
    for init in (wi.Uniform((0, scalar)), wi.Normal(scalar), wi.TruncatedNormal(scalar)):
        val = wij.initializer(init)(jax.random.key(0), (4, 4), jnp.bfloat16)
        assert val.dtype == jnp.bfloat16


# --- 3. Keras' fan axes -----------------------------------------------------------------


def keras_compute_fans(shape, input_axes, output_axes):
    # keras.src.initializers.random_initializers.compute_fans with both axis lists.
    return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)


@pytest.mark.parametrize(
    ("shape", "inputs", "outputs"),
    [
        ((3, 3, 16, 32), [2], [3]),
        ((256, 8, 32), [0], [1, 2]),
        ((8, 32, 256), [0, 1], [2]),
        ((5, 7), [1], [0]),
        ((2, 3, 4, 5, 6), [-2], [0, 4]),
    ],
)
def test_keras_input_output_axes(shape, inputs, outputs):
    want = keras_compute_fans(shape, inputs, outputs)
    assert wi.fans(shape, input_axes=inputs, output_axes=outputs) == want
    vs = wi.VarianceScaling(2.0, "fan_avg", input_axes=inputs, output_axes=outputs)
    assert vs.variance(shape) == 2.0 / max(1.0, (want[0] + want[1]) / 2)
    pytest.importorskip("keras")
    from keras.src.initializers.random_initializers import compute_fans

    assert compute_fans(shape, inputs, outputs) == want


def test_keras_axes_differ_from_jax_axes_on_partial_axes():
    # The issue's example: the JAX axes count the receptive field, Keras' do not.
    assert wi.fans((3, 3, 16, 32), in_axis=2, out_axis=3) == (144, 288)
    assert wi.fans((3, 3, 16, 32), input_axes=[2], output_axes=[3]) == (16, 32)


def test_keras_axes_errors_name_the_arguments():
    with pytest.raises(ValueError, match=r"input_axes=\[2\], output_axes=None"):
        wi.VarianceScaling(input_axes=[2])
    with pytest.raises(ValueError, match="not both"):
        wi.LeCunNormal(input_axes=[0], output_axes=[1], layout="keras")
    with pytest.raises(wi.ShapeError, match=r"input_axes=\(4,\) is out of range"):
        wi.LeCunNormal(input_axes=[4], output_axes=[1])((3, 3))


def _mha_kernel_stds(kernel_initializer):
    keras = pytest.importorskip("keras")
    mha = keras.layers.MultiHeadAttention(
        num_heads=8, key_dim=32, kernel_initializer=kernel_initializer
    )
    x = np.zeros((1, 4, 256), np.float32)
    mha(x, x)
    return {
        w.path.split("/")[-2]: (tuple(w.shape), float(np.std(np.asarray(w, dtype=np.float64))))
        for w in mha.weights
        if w.path.endswith("kernel")
    }


def test_multi_head_attention_gets_keras_variance():
    # MultiHeadAttention(num_heads=8, key_dim=32) on 256 features: EinsumDense passes the
    # einsum's axes to a VarianceScaling; every kernel has fan_in 256 -> std 1/16.
    # Each std is estimated from 65536 draws of a truncated normal (kurtosis 2.36):
    # relative standard error sqrt(1.36 / (4 * 65536)) = 0.0023; the 5-SE band (1.2%)
    # fails a correct implementation with probability 6e-7 per kernel.
    pytest.importorskip("keras")
    import keras

    import weightinit.keras as wik

    ours = _mha_kernel_stds(wik.Initializer(wi.LeCunNormal(), seed=5))
    theirs = _mha_kernel_stds(keras.initializers.LecunNormal(seed=5))
    assert set(ours) == {"query", "key", "value", "attention_output"} == set(theirs)
    for name, (shape, std) in ours.items():
        assert shape == theirs[name][0]
        assert abs(std / (1 / 16) - 1) < 0.0115, (name, std)
        assert abs(theirs[name][1] / (1 / 16) - 1) < 0.0115, (name, theirs[name][1])


def test_keras_adapter_with_axes_round_trips_and_uses_them():
    pytest.importorskip("keras")
    import weightinit.keras as wik

    init = wik.Initializer(wi.HeUniform("relu"), seed=1, input_axes=[0], output_axes=[1, 2])
    again = type(init).from_config(init.get_config())
    a, b = np.asarray(init((64, 4, 8))), np.asarray(again((64, 4, 8)))
    np.testing.assert_array_equal(a, b)
    assert np.abs(a).max() <= math.sqrt(6 / 64) and np.abs(a).max() > math.sqrt(6 / 256)
    # An initializer that chose its own layout keeps it.
    mine = wik.Initializer(wi.HeUniform("relu", layout="torch"), input_axes=[0], output_axes=[1])
    assert mine._with_axes == wi.HeUniform("relu", layout="torch")


# --- 4. torch's sparse_ -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "sparsity"), [((32, 33), 0.15), ((40, 30), 0.1), ((30, 35), 0.2)]
)
def test_torch_sparse_through_the_adapter(shape, sparsity):
    torch = pytest.importorskip("torch")
    import weightinit.torch as wit

    std = 0.05
    t = wit.init_(torch.empty(shape), wi.TorchSparse(sparsity, std=std), rng=2)
    rows = shape[0]
    zeros = (t == 0).sum(dim=0)
    # torch's test_sparse_default_std: at least ceil(sparsity * rows) zeros per column...
    assert (zeros >= math.ceil(sparsity * rows)).all()
    # ...and exactly that many, as torch.nn.init.sparse_ itself gives.
    theirs = torch.nn.init.sparse_(torch.empty(shape), sparsity, std=std)
    assert zeros.tolist() == (theirs == 0).sum(dim=0).tolist()
    nz = t[t != 0].numpy().astype(np.float64)
    assert scipy.stats.kstest(nz, scipy.stats.norm(0, std).cdf).pvalue > ALPHA


def test_torch_sparse_needs_2d():
    with pytest.raises(ValueError, match=r"got shape \(3, 3, 3\)"):
        wi.TorchSparse()((3, 3, 3))


# --- 5. the zero-element warning ----------------------------------------------------------


def test_kaiming_warns_on_zero_element_tensors_like_torch():
    torch = pytest.importorskip("torch")
    import weightinit.torch as wit

    assert issubclass(wi.ZeroElementWarning, UserWarning)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        torch.nn.init.kaiming_normal_(torch.zeros(0, 0))
    for init in (wi.HeNormal(gain="relu"), wi.HeUniform(), wi.FanInUniform()):
        with pytest.warns(wi.ZeroElementWarning, match="Initializing zero-element tensors"):
            wit.init_(torch.zeros(0, 3), init)
    wit.init_(torch.zeros(0, 3), wi.GlorotUniform())  # torch's xavier does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wi.ZeroElementWarning)  # users can filter it
        wit.init_(torch.zeros(4, 0), wi.HeNormal())


# --- 6. the new initializers ---------------------------------------------------------------


def test_batched_identity_is_haikus():
    w = wi.Identity(3.0, batched=True)((2, 3, 4, 5))
    np.testing.assert_array_equal(w, np.broadcast_to(3.0 * np.eye(4, 5), (2, 3, 4, 5)))
    assert wi.Identity(batched=True)((4, 5)).tobytes() == wi.Identity()((4, 5)).tobytes()
    with pytest.raises(wi.ShapeError, match="batched=True"):
        wi.Identity()((2, 4, 4))  # torch's eye_ and Keras' Identity stay 2-D
    with pytest.raises(TypeError, match="batched must be True or False"):
        wi.Identity(batched=1)


def _circular_conv_norm_ratio(kernel_oi, x):
    """||y|| / ||x|| for y = circular convolution of x (in, *N) with kernel (out, in, *k)."""
    spatial = x.shape[1:]
    axes = tuple(range(1, x.ndim))
    kf = np.fft.fftn(kernel_oi, s=spatial, axes=tuple(range(2, kernel_oi.ndim)))
    xf = np.fft.fftn(x, axes=axes)
    y = np.fft.ifftn(np.einsum("oi...,i...->o...", kf, xf), axes=axes)
    assert np.abs(y.imag).max() < 1e-9 * np.abs(y.real).max()
    return np.linalg.norm(y.real) / np.linalg.norm(x)


@pytest.mark.parametrize("rank", [1, 2, 3])
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("layout", [None, "keras"])
def test_convolution_orthogonal_preserves_norms(rank, k, layout):
    # Xiao et al. (2018): with circular padding the convolution is an isometry
    # (times gain), for any input: checked on random inputs through an FFT.
    cls = getattr(wi, f"ConvolutionOrthogonal{rank}D")
    cin, cout, gain = 3, 5, 1.5
    size = (k,) * rank
    shape = (*size, cin, cout) if layout else (cout, cin, *size)
    kernel = cls(gain, layout=layout).sample(shape, rng=k)
    if layout:  # (*k, in, out) -> (out, in, *k)
        kernel = np.moveaxis(kernel, (-1, -2), (0, 1))
    rs = np.random.default_rng(k)
    for _ in range(3):
        x = rs.standard_normal((cin, *(7,) * rank))
        assert _circular_conv_norm_ratio(kernel, x) == pytest.approx(gain, rel=1e-5)
    # float32 output to the same relative accuracy.
    k32 = cls(gain).sample((cout, cin, *size), dtype=np.float32, rng=k).astype(np.float64)
    x = rs.standard_normal((cin, *(6,) * rank))
    assert _circular_conv_norm_ratio(k32, x) == pytest.approx(gain, rel=1e-5)


def test_convolution_orthogonal_shape_rules():
    # TensorFlow's: square kernels, in <= out, the kernel's rank.
    with pytest.raises(wi.ShapeError, match="kernel sizes must be equal"):
        wi.ConvolutionOrthogonal2D()((4, 2, 3, 5))
    with pytest.raises(wi.ShapeError, match="in=4, out=2"):
        wi.ConvolutionOrthogonal1D()((2, 4, 3))
    with pytest.raises(wi.ShapeError, match="needs a 5-D kernel"):
        wi.ConvolutionOrthogonal3D()((4, 2, 3, 3))
    # A 1 x 1 kernel, and a 2-D matrix, are orthogonal.
    w = wi.ConvolutionOrthogonal2D()((8, 4, 1, 1), rng=0)[:, :, 0, 0]
    np.testing.assert_allclose(w.T @ w, np.eye(4), atol=1e-12)


@pytest.mark.parametrize("n", [1, 2, 4, 8, 64, 256])
def test_hadamard_is_exactly_orthogonal(n):
    # Zhao et al. (2021): Sylvester's construction, H H^T = n I with no rounding.
    h = wi.Hadamard()((n, n), dtype=np.float32)
    assert (h @ h.T == n * np.eye(n)).all()
    np.testing.assert_array_equal(h, scipy.linalg.hadamard(n))
    assert (wi.Hadamard(0.5)((5, 3)) == 0.5 * scipy.linalg.hadamard(8)[:5, :3]).all()


def zero_reference(m, n):
    """Zhao et al. (2021) algorithm 1 on an (out = m, in = n) matrix, from the paper."""
    if m <= n:
        return np.eye(m, n)
    p = 2 ** math.ceil(math.log2(m))
    return np.eye(m, p) @ scipy.linalg.hadamard(p) @ np.eye(p, n) / math.sqrt(p)


@pytest.mark.parametrize(("m", "n"), [(4, 4), (3, 7), (7, 3), (5, 2), (16, 9), (1, 1)])
def test_zero_matches_the_paper(m, n):
    np.testing.assert_array_equal(wi.ZerO(layout="torch")((m, n)), zero_reference(m, n))
    np.testing.assert_array_equal(wi.ZerO()((n, m)), zero_reference(m, n).T)  # Lasagne (in, out)
    np.testing.assert_array_equal(wi.ZerO(layout="keras")((n, m)), zero_reference(m, n).T)
    # Convolutions (algorithm 2): the matrix at the kernel's centre, zeros elsewhere.
    conv = wi.ZerO(layout="torch")((m, n, 3, 4))
    np.testing.assert_array_equal(conv[:, :, 1, 2], zero_reference(m, n))
    conv[:, :, 1, 2] = 0
    assert not conv.any()


@pytest.mark.parametrize(("shape", "fan_in"), [((300, 200), 300), ((3, 3, 16, 64), 144)])
def test_uniform_scaling_is_haikus(shape, fan_in):
    # haiku.initializers.UniformScaling(scale): U(+-scale sqrt(3 / prod(shape[:-1]))).
    scale = 1.7
    bound = scale * math.sqrt(3 / fan_in)
    w = wi.UniformScaling(scale, layout="jax")(shape, rng=4).ravel()
    assert np.abs(w).max() <= bound
    assert scipy.stats.kstest(w, scipy.stats.uniform(-bound, 2 * bound).cdf).pvalue > ALPHA


def test_stft_computes_the_dft():
    # With no window, frame x -> sum_t x[t] (real + i imag)[t, f] is numpy's rfft of x.
    frames, freqs = 16, 9
    x = np.random.default_rng(0).standard_normal(frames)
    real = wi.STFT("real", window=None)((frames, 1, freqs))[:, 0, :]
    imag = wi.STFT("imag", window=None)((frames, 1, freqs))[:, 0, :]
    np.testing.assert_allclose(x @ real + 1j * (x @ imag), np.fft.rfft(x), atol=1e-12)


@pytest.mark.parametrize("side", ["real", "imag"])
@pytest.mark.parametrize("window", ["hann", "hamming", None, "array"])
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
@pytest.mark.parametrize("periodic", [False, True])
def test_stft_matches_keras(side, window, scaling, periodic):
    keras = pytest.importorskip("keras")
    if window == "array":
        window = np.linspace(0.1, 1.0, 32)
    ours = wi.STFT(side, window, scaling, periodic)((32, 1, 17), dtype=np.float32)
    theirs = keras.initializers.STFT(side, window, scaling, periodic)((32, 1, 17), "float32")
    # Keras computes the angles in float32 (|angle| < 100): a few ulps of 100.
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=0, atol=1e-5)


def test_stft_argument_errors_like_keras():
    # keras constant_initializers_test: bad side, scaling and window raise ValueError.
    with pytest.raises(ValueError, match="side"):
        wi.STFT("imaginary")
    with pytest.raises(ValueError, match="scaling"):
        wi.STFT("real", scaling="l2")
    with pytest.raises(ValueError, match="unknown"):
        wi.STFT("real", window="unknown")
    with pytest.raises(wi.ShapeError, match="window has 3 values"):
        wi.STFT(window=[1.0, 2.0, 3.0])((4, 1, 3))


def test_new_names_resolve():
    for name, cls in [
        ("ZerO", wi.ZerO),
        ("zero_init", wi.ZerO),
        ("hadamard", wi.Hadamard),
        ("uniform_scaling", wi.UniformScaling),
        ("stft", wi.STFT),
        ("convolutional_orthogonal_2d", wi.ConvolutionOrthogonal2D),
        ("torch_sparse", wi.TorchSparse),
    ]:
        assert type(wi.get(name)) is cls
    assert type(wi.get("zero")) is wi.Zeros  # Keras' alias keeps its meaning


# --- 7. lasagne.random ------------------------------------------------------------------


def test_get_rng_returns_what_set_rng_got_like_lasagne():
    state = np.random.RandomState(1)
    try:
        wi.set_rng(state)
        assert wi.get_rng() is state
        # What Lasagne's layers do with it (DropoutLayer/GaussianNoiseLayer seed Theano's
        # RandomStreams this way) and what user code does.
        seed = wi.get_rng().randint(1, 2147462579)
        assert 1 <= seed < 2147462579
        idx = np.arange(10)
        wi.get_rng().shuffle(idx)
        assert sorted(idx) == list(range(10))
        # Initializers use the key taken from the state once, at set_rng: numpy draws
        # in between do not change the weights, and setting the same state repeats them.
        a = wi.GlorotUniform()((5, 4))
        wi.set_rng(np.random.RandomState(1))
        np.random.RandomState(7).randint(5)
        assert wi.GlorotUniform()((5, 4)).tobytes() == a.tobytes()
    finally:
        wi.set_seed(None)
    assert isinstance(wi.get_rng(), wi.Generator)


# --- 8. error messages for the peers' wrong-input conditions -----------------------------


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: wi.VarianceScaling(scale=-1.0), ["scale", "-1.0"]),  # keras
        (lambda: wi.VarianceScaling(mode="invalid_mode"), ["mode", "'invalid_mode'"]),  # keras
        (lambda: wi.VarianceScaling(distribution="invalid_dist"), ["distribution", "invalid_dist"]),
        (lambda: wi.HeNormal(mode="fan_avg"), ["mode", "'fan_avg'"]),  # torch
        (lambda: wi.VarianceScaling(layout="jax")((5,)), ["1-dimensional", "(5,)"]),  # jax
        (lambda: wi.VarianceScaling()((5,)), ["shape", "(5,)"]),
        (lambda: wi.VarianceScaling(in_axis=5)((4, 4)), ["in_axis=5", "(4, 4)"]),
        (lambda: wi.VarianceScaling(input_axes=[0]), ["input_axes=[0]", "output_axes=None"]),
        (lambda: wi.Sparse()((3, 3, 3)), ["shape", "(3, 3, 3)"]),  # torch, lasagne
        (lambda: wi.calculate_gain("leaky_relu", True), ["negative_slope", "True"]),  # torch
        (lambda: wi.calculate_gain("relu6"), ["nonlinearity", "'relu6'"]),  # torch
        (lambda: wi.get(np.ones((5, 5)))((10, 10)), ["val", "(5, 5)", "(10, 10)"]),  # keras
    ],
)
def test_wrong_input_messages_name_argument_and_value(call, names):
    with pytest.raises(ValueError) as info:
        call()
    for name in names:
        assert name in str(info.value), (name, str(info.value))


# --- the registry covers them ----------------------------------------------------------------


def test_new_initializers_are_in_the_shared_registry():
    from strategies import INITIALIZERS

    kinds = {type(i) for i in INITIALIZERS}
    new = {wi.TorchSparse, wi.UniformScaling, wi.Hadamard, wi.ZerO, wi.STFT}
    new |= {wi.ConvolutionOrthogonal1D, wi.ConvolutionOrthogonal2D, wi.ConvolutionOrthogonal3D}
    assert new <= kinds
    assert any(isinstance(i, wi.Identity) and i.batched for i in INITIALIZERS)
