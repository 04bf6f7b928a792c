"""The initializer classes: formulas against plain-numpy references, distributions,
arguments and errors, config/pickle/repr, out= and dtypes.

Exactness: each fan-based initializer must pass to the core *exactly* the
parameter its peer's formula gives, so its output equals, bit for bit, the core
draw with the reference parameter (``weightinit.random.*`` with the same seed and
stream).

Statistical tests: Kolmogorov-Smirnov against scipy.stats at significance
1e-4 each. Seeds are fixed, so the tests are deterministic; the stated
false-failure rate is what a correct sampler would show over random seeds:
at most 1e-4 per KS test, about 3e-3 for the whole file.
"""

import math
import pickle

import numpy as np
import pytest
import scipy.stats
from strategies import INITIALIZERS

import weightinit as wi
from weightinit import _core
from weightinit.lookup import _classes

ALPHA = 1e-4
SQRT3 = np.sqrt(3)


def draw(init, shape, **kw):
    return init.sample(shape, rng=11, stream=3, **kw)


def core_uniform(shape, low, high, dtype=np.float64):
    return wi.random.uniform(shape, low, high, dtype=dtype, rng=11, stream=3)


def core_normal(shape, std, mean=0.0, dtype=np.float64):
    return wi.random.normal(shape, mean, std, dtype=dtype, rng=11, stream=3)


def core_truncated(shape, std, lower=-2.0, upper=2.0, mean=0.0, dtype=np.float64):
    return wi.random.truncated_normal(shape, mean, std, lower, upper, dtype=dtype, rng=11, stream=3)


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# --- references written from the peers' source (docs/peers.md 1.5, 2.3, 3.3, 4.3) ----


def lasagne_glorot_std(shape, gain=1.0, c01b=False):
    if c01b:
        n1, n2 = shape[0], shape[3]
        receptive_field_size = shape[1] * shape[2]
    else:
        n1, n2 = shape[:2]
        receptive_field_size = np.prod(shape[2:])
    return gain * np.sqrt(2.0 / ((n1 + n2) * receptive_field_size))


def lasagne_he_std(shape, gain=1.0, c01b=False):
    if c01b:
        fan_in = np.prod(shape[:3])
    elif len(shape) == 2:
        fan_in = shape[0]
    else:
        fan_in = np.prod(shape[1:])
    return gain * np.sqrt(1.0 / fan_in)


def torch_fans(shape):
    rf = math.prod(shape[2:])
    return shape[1] * rf, shape[0] * rf


def keras_variance_scaling(shape, scale, mode, distribution):
    """Keras 3 VarianceScaling.__call__ on keras' compute_fans; returns (kind, parameter)."""
    if len(shape) == 2:
        fan_in, fan_out = shape
    else:
        rf = math.prod(shape[:-2])
        fan_in, fan_out = shape[-2] * rf, shape[-1] * rf
    if mode == "fan_in":
        scale /= max(1.0, fan_in)
    elif mode == "fan_out":
        scale /= max(1.0, fan_out)
    else:
        scale /= max(1.0, (fan_in + fan_out) / 2.0)
    if distribution == "truncated_normal":
        return "truncated", math.sqrt(scale) / 0.87962566103423978
    if distribution == "untruncated_normal":
        return "normal", math.sqrt(scale)
    return "uniform", math.sqrt(3.0 * scale)


LASAGNE_SHAPES = [
    (100, 100),
    (200, 50),
    (300, 200),
    (50, 50, 2),
    (150, 150, 2),
    (8, 4, 3, 3),
    (4, 6, 2, 3, 2),
]
GAINS = [1.0, 10.0, "relu", 0.5]


# --- Lasagne formulas, exactly ---------------------------------------------------


@pytest.mark.parametrize("shape", LASAGNE_SHAPES)
@pytest.mark.parametrize("gain", GAINS)
def test_glorot_is_lasagne_formula_exactly(shape, gain):
    g = math.sqrt(2) if gain == "relu" else gain
    std = lasagne_glorot_std(shape, g)
    assert wi.GlorotNormal(gain).std(shape) == std
    assert same_bits(draw(wi.GlorotNormal(gain), shape), core_normal(shape, std))
    assert same_bits(
        draw(wi.GlorotUniform(gain), shape), core_uniform(shape, -SQRT3 * std, SQRT3 * std)
    )


@pytest.mark.parametrize("shape", LASAGNE_SHAPES)
@pytest.mark.parametrize("gain", GAINS)
def test_he_is_lasagne_formula_exactly(shape, gain):
    g = math.sqrt(2) if gain == "relu" else gain
    std = lasagne_he_std(shape, g)
    assert wi.HeNormal(gain).std(shape) == std
    assert same_bits(draw(wi.HeNormal(gain), shape), core_normal(shape, std))
    assert same_bits(
        draw(wi.HeUniform(gain), shape), core_uniform(shape, -SQRT3 * std, SQRT3 * std)
    )


@pytest.mark.parametrize("shape", [(25, 2, 2, 25), (75, 2, 2, 75), (3, 5, 7, 4)])
def test_c01b_is_lasagne_formula_exactly(shape):
    assert wi.GlorotNormal(c01b=True).std(shape) == lasagne_glorot_std(shape, c01b=True)
    assert wi.HeNormal(c01b=True).std(shape) == lasagne_he_std(shape, c01b=True)
    std = lasagne_glorot_std(shape, c01b=True)
    assert same_bits(
        draw(wi.GlorotUniform(c01b=True), shape), core_uniform(shape, -SQRT3 * std, SQRT3 * std)
    )


def test_uniform_forms_are_lasagnes():
    assert wi.Uniform().range == (-0.01, 0.01)
    assert wi.Uniform(0.3).range == (-0.3, 0.3)
    assert wi.Uniform(0.3, mean=5.0).range == (-0.3, 0.3)  # mean ignored without std
    assert wi.Uniform((0.0, 1.0)).range == (0.0, 1.0)
    assert wi.Uniform([-2, 3]).range == (-2.0, 3.0)
    assert wi.Uniform(std=2.0, mean=1.0).range == (1.0 - np.sqrt(3) * 2.0, 1.0 + np.sqrt(3) * 2.0)
    assert wi.Uniform(range=7.0, std=1.0).range == (-np.sqrt(3), np.sqrt(3))  # range ignored
    assert same_bits(draw(wi.Uniform((0.0, 1.0)), (40, 30)), core_uniform((40, 30), 0.0, 1.0))


def test_normal_and_truncated_normal_parameters():
    assert same_bits(draw(wi.Normal(0.2, 3.0), (30, 7)), core_normal((30, 7), 0.2, 3.0))
    assert wi.Normal(0.3).std == 0.3 and wi.Normal().std == 0.01  # std is the first argument
    assert same_bits(
        draw(wi.TruncatedNormal(0.5, 1.0, -1.0, 3.0), (9, 9)),
        core_truncated((9, 9), 0.5, -1.0, 3.0, mean=1.0),
    )
    # torch-style absolute bounds: trunc_normal_(t, mean=1, std=0.5, a=0.5, b=2.5)
    t = wi.TruncatedNormal(std=0.5, mean=1.0, lower=0.5, upper=2.5, absolute=True)
    assert (t.lower, t.upper) == (-1.0, 3.0)
    assert same_bits(draw(t, (9, 9)), core_truncated((9, 9), 0.5, -1.0, 3.0, mean=1.0))
    w = draw(wi.TruncatedNormal(std=0.5, mean=1.0, lower=0.5, upper=2.5, absolute=True), 5000)
    assert w.min() >= 0.5 and w.max() <= 2.5


# --- torch formulas (layout="torch") -----------------------------------------------


@pytest.mark.parametrize("shape", [(30, 40), (40, 30), (8, 4, 3, 3), (6, 5, 2, 2, 2)])
def test_torch_xavier_and_kaiming(shape):
    fan_in, fan_out = torch_fans(shape)
    assert wi.fans(shape, layout="torch") == (fan_in, fan_out)
    for gain in (1.0, 2.5):
        std = gain * math.sqrt(2.0 / float(fan_in + fan_out))  # xavier_normal_
        assert wi.GlorotNormal(gain, layout="torch").std(shape) == pytest.approx(std, rel=1e-15)
    for mode, fan in (("fan_in", fan_in), ("fan_out", fan_out)):
        gain = wi.calculate_gain("leaky_relu", 0)  # kaiming default: sqrt(2)
        std = gain / math.sqrt(fan)
        init = wi.HeNormal("relu", mode=mode, layout="torch")
        assert init.std(shape) == pytest.approx(std, rel=1e-15)
        bound = math.sqrt(3.0) * std  # kaiming_uniform_
        w = draw(wi.HeUniform("relu", mode=mode, layout="torch"), shape)
        assert np.abs(w).max() <= bound * (1 + 1e-15)


def test_fan_in_uniform_is_torch_linear_default():
    # nn.Linear(100, 256).weight has shape (256, 100): U(+-1/sqrt(100)) = U(+-0.1).
    init = wi.FanInUniform(layout="torch")
    assert init.bound((256, 100)) == 1 / math.sqrt(100)
    assert same_bits(draw(init, (256, 100)), core_uniform((256, 100), -0.1, 0.1))
    w = wi.FanInUniform()((300, 200), rng=1)  # Lasagne layout: fan_in = 300
    assert np.abs(w).max() <= 1 / math.sqrt(300)
    # Its variance is 1 / (3 fan_in), as documented.
    assert w.var() == pytest.approx(1 / (3 * 300), rel=0.03)


# --- Keras / JAX variance scaling ------------------------------------------------


@pytest.mark.parametrize("shape", [(30, 40), (3, 3, 8, 16), (2, 5, 4, 6, 7)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
@pytest.mark.parametrize("scale", [1.0, 2.0, 0.1])
def test_variance_scaling_is_keras_formula_exactly(shape, mode, distribution, scale):
    kind, p = keras_variance_scaling(shape, scale, mode, distribution)
    w = draw(wi.VarianceScaling(scale, mode, distribution, layout="keras"), shape)
    ref = {
        "truncated": core_truncated(shape, p),
        "normal": core_normal(shape, p),
        "uniform": core_uniform(shape, -p, p),
    }[kind]
    assert same_bits(w, ref)


def test_variance_scaling_jax_names():
    shape = (3, 3, 8, 16)
    # JAX: "normal" is untruncated; fan_geo_avg = sqrt(fan_in fan_out).
    a = draw(wi.VarianceScaling(2.0, "fan_avg", "normal", layout="jax"), shape)
    b = draw(wi.VarianceScaling(2.0, "fan_avg", "untruncated_normal", layout="jax"), shape)
    assert same_bits(a, b)
    fan_in, fan_out = 72, 144
    vs = wi.VarianceScaling(2.0, "fan_geo_avg", "uniform", layout="jax")
    assert vs.variance(shape) == 2.0 / math.sqrt(fan_in * fan_out)
    # Keras' max(1, n) clamp keeps empty fans finite.
    assert wi.VarianceScaling(layout="keras").variance(()) == 1.0


@pytest.mark.parametrize("shape", [(400, 300), (3, 64, 3, 3)])
def test_lecun(shape):
    fan_in = wi.fans(shape)[0]
    assert same_bits(
        draw(wi.LeCunNormal(), shape),
        core_truncated(shape, math.sqrt(1.0 / fan_in) / 0.87962566103423978),
    )
    limit = math.sqrt(3.0 * (1.0 / fan_in))
    assert same_bits(draw(wi.LeCunUniform(), shape), core_uniform(shape, -limit, limit))
    assert same_bits(
        draw(wi.LeCunNormal(), shape),
        draw(wi.VarianceScaling(1.0, "fan_in", "truncated_normal"), shape),
    )


# --- distributions (KS against scipy.stats) ---------------------------------------

KS_CASES = [
    ("Normal", wi.Normal(0.3, 1.0), (200, 100), scipy.stats.norm(1.0, 0.3)),
    ("Uniform", wi.Uniform((-1.0, 3.0)), (200, 100), scipy.stats.uniform(-1.0, 4.0)),
    (
        "GlorotNormal",
        wi.GlorotNormal("relu"),
        (100, 150),
        scipy.stats.norm(0, math.sqrt(2) * math.sqrt(2 / 250)),
    ),
    (
        "GlorotUniform",
        wi.GlorotUniform(),
        (8, 16, 3, 3),
        scipy.stats.uniform(-math.sqrt(6 / 216), 2 * math.sqrt(6 / 216)),
    ),
    (
        "HeNormal",
        wi.HeNormal("relu", layout="torch"),
        (16, 8, 3, 3),
        scipy.stats.norm(0, math.sqrt(2 / 72)),
    ),
    ("HeUniform", wi.HeUniform(), (300, 200), scipy.stats.uniform(-0.1, 0.2)),
    (
        "TruncatedNormal",
        wi.TruncatedNormal(0.5, 0.0, -1.5, 2.5),
        (200, 100),
        scipy.stats.truncnorm(-1.5, 2.5, scale=0.5),
    ),
    (
        "LeCunNormal",
        wi.LeCunNormal(),
        (400, 50),
        scipy.stats.truncnorm(-2, 2, scale=math.sqrt(1 / 400) / 0.87962566103423978),
    ),
    (
        "VarianceScaling",
        wi.VarianceScaling(2.0, "fan_out", "uniform"),
        (50, 400),
        scipy.stats.uniform(-math.sqrt(6 / 400), 2 * math.sqrt(6 / 400)),
    ),
]


@pytest.mark.parametrize(("name", "init", "shape", "dist"), KS_CASES, ids=[c[0] for c in KS_CASES])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ks(name, init, shape, dist, dtype):
    w = init.sample(shape, dtype=dtype, rng=2024)
    assert scipy.stats.kstest(w.ravel().astype(np.float64), dist.cdf).pvalue > ALPHA


def test_truncated_variance_scaling_has_target_std():
    w = wi.VarianceScaling(2.0, "fan_in", "truncated_normal")((1000, 400), rng=5)
    # 4e5 samples: the standard error of the sample std is about std / sqrt(2 n) = 0.11%.
    assert w.std() == pytest.approx(math.sqrt(2 / 1000), rel=0.006)
    assert np.abs(w).max() <= 2 * math.sqrt(2 / 1000) / 0.87962566103423978


# --- Sparse ---------------------------------------------------------------------

SPARSE_INDEX_TAG = 0x5350_4944_5800_0001
SPARSE_VALUE_TAG = 0x5350_5641_4C00_0001


def reference_sparse_indices(key, stream, unit, n, k):
    """Floyd's algorithm with Lemire's 64-bit multiply-shift, from docs/algorithms.md section 7."""
    sub = _core.substream(stream, SPARSE_INDEX_TAG, unit)
    blocks = (k + 1) // 2
    counters = np.zeros((blocks, 4), np.uint32)
    counters[:, 0] = np.arange(blocks)
    counters[:, 2], counters[:, 3] = sub & 0xFFFFFFFF, sub >> 32
    words = wi.philox4x32(counters, np.array([key & 0xFFFFFFFF, key >> 32], np.uint32))
    chosen, out = set(), []
    for t in range(k):
        lo, hi = words[t // 2, 2 * (t % 2)], words[t // 2, 2 * (t % 2) + 1]
        x = int(lo) | (int(hi) << 32)
        j = n - k + t
        pick = (x * (j + 1)) >> 64
        if pick in chosen:
            pick = j
        chosen.add(pick)
        out.append(pick)
    return out


def test_sparse_matches_reference_algorithm():
    key, stream = wi._rng.key_from_seed(11), 3
    shape, std = (37, 12), 0.5
    init = wi.Sparse(sparsity=0.3, std=std)
    k = int(0.3 * 37)
    w = draw(init, shape)
    for j in range(shape[1]):
        rows = reference_sparse_indices(key, stream, j, 37, k)
        assert list(_core.sparse_indices(key, stream, j, 37, k)) == rows
        values = np.empty(k)
        _core.fill(
            _core.Distribution.normal,
            [0.0, std],
            key,
            _core.substream(stream, SPARSE_VALUE_TAG, j),
            [k],
            [0],
            values,
        )
        expected = np.zeros(37)
        expected[rows] = values
        assert same_bits(w[:, j], expected)


@pytest.mark.parametrize("shape", [(10, 20), (100, 7), (7, 3), (1, 5)])
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.25, 0.5, 1.0])
def test_sparse_exact_count_per_column(shape, sparsity):
    w = wi.Sparse(sparsity=sparsity, std=1.0)(shape, rng=3)
    assert ((w != 0).sum(axis=0) == int(sparsity * shape[0])).all()


def test_sparse_layouts_and_nonzeros():
    w = wi.Sparse(nonzeros=4, std=1.0, layout="torch")((30, 50), rng=3)  # (out, in): rows are units
    assert ((w != 0).sum(axis=1) == 4).all()
    a = wi.Sparse(0.2, 1.0, layout="torch")((30, 50), rng=3)
    b = wi.Sparse(0.2, 1.0)((50, 30), rng=3)
    assert same_bits(a, np.ascontiguousarray(b.T))
    # Martens: 15 per unit whatever the fan-in.
    w = wi.Sparse(nonzeros=15, std=1.0)((1000, 20), rng=3)
    assert ((w != 0).sum(axis=0) == 15).all()


def test_sparse_positions_are_uniform_and_values_normal():
    n, units, k = 40, 3000, 4
    w = wi.Sparse(nonzeros=k, std=0.5)((n, units), rng=9)
    counts = (w != 0).sum(axis=1)
    assert scipy.stats.chisquare(counts).pvalue > ALPHA
    # Pairs too: how often rows 0 and 1 are chosen together, 3000 * k(k-1)/(n(n-1)) = 23.
    nz = w != 0
    together = int((nz[0] & nz[1]).sum())
    assert scipy.stats.binomtest(together, units, k * (k - 1) / (n * (n - 1))).pvalue > ALPHA
    assert scipy.stats.kstest(w[nz], scipy.stats.norm(0, 0.5).cdf).pvalue > ALPHA


# --- Identity and Dirac --------------------------------------------------------


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (0, 3)])
def test_identity_is_eye(shape):
    assert same_bits(wi.Identity()(shape), np.eye(*shape))
    assert same_bits(
        wi.Identity(2.5)(shape, dtype=np.float32), 2.5 * np.eye(*shape, dtype=np.float32)
    )
    assert same_bits(wi.Identity("relu")(shape), math.sqrt(2) * np.eye(*shape))


def reference_dirac(shape, groups=1):
    """torch.nn.init.dirac_ in numpy."""
    w = np.zeros(shape)
    out_per_group = shape[0] // groups
    for g in range(groups):
        for d in range(min(out_per_group, shape[1])):
            w[(g * out_per_group + d, d) + tuple(k // 2 for k in shape[2:])] = 1
    return w


@pytest.mark.parametrize(
    ("shape", "groups"),
    [
        ((4, 4, 3), 1),
        ((4, 4, 3), 2),
        ((6, 3, 2, 4), 1),
        ((6, 3, 2, 4), 3),
        ((6, 6, 3, 3, 3), 2),
        ((2, 5, 5), 1),
        ((5, 5), 1),
        ((6, 4), 2),
        ((9, 2, 4, 4), 3),
    ],
)
def test_dirac_matches_torch(shape, groups):
    assert same_bits(wi.Dirac(groups)(shape), reference_dirac(shape, groups))
    assert same_bits(wi.Dirac(groups, gain=3.0)(shape), 3.0 * reference_dirac(shape, groups))


def test_dirac_on_2d_is_identity():
    assert same_bits(wi.Dirac()((12, 23)), np.eye(12, 23))


# --- API: call forms, dtype, out=, config, pickle, repr --------------------------

ALL = INITIALIZERS


def test_registry_covers_every_class():
    assert set(_classes()) <= {type(i).__name__ for i in ALL}


@pytest.mark.parametrize("init", ALL, ids=repr)
def test_call_sample_fill_agree(init):
    shape = (6, 9)
    a = init(shape, rng=4, stream="w")
    assert a.shape == shape and a.dtype == np.float64
    b = init.sample(shape, dtype=None, rng=4, stream="w")
    c = init.fill(np.empty(shape), rng=4, stream="w")
    assert same_bits(a, b) and same_bits(a, c)
    # A strided (transposed, Fortran-order) destination gets the same logical values.
    f = np.empty(shape, order="F")
    assert same_bits(np.ascontiguousarray(init.fill(f, rng=4, stream="w")), a)


@pytest.mark.parametrize("init", ALL, ids=repr)
def test_config_pickle_repr(init):
    clone = type(init).from_config(init.get_config())
    assert clone == init and init.clone() == init
    assert pickle.loads(pickle.dumps(init)) == init
    assert repr(init).startswith(type(init).__name__ + "(")
    assert same_bits(clone((6, 7), rng=1), init((6, 7), rng=1))
    assert wi.deserialize(wi.serialize(init)) == init


def test_repr_is_readable():
    assert repr(wi.GlorotUniform(gain="relu")) == "GlorotUniform(gain='relu', c01b=False)"
    assert repr(wi.Glorot(wi.Normal)) == "Glorot(initializer=Normal, gain=1.0, c01b=False)"
    assert repr(wi.HeNormal(layout="torch")) == "HeNormal(gain=1.0, c01b=False, layout='torch')"
    assert repr(wi.Zeros()) == "Zeros()"


@pytest.mark.parametrize("init", ALL, ids=repr)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes(init, dtype):
    w = init((8, 10), dtype=dtype, rng=1)
    assert w.dtype == dtype and np.isfinite(w).all()


def test_default_dtype_is_float64_and_settable():
    assert wi.get_default_dtype() == np.float64
    try:
        wi.set_default_dtype(np.float32)
        assert wi.GlorotUniform()((3, 4)).dtype == np.float32
        assert wi.Constant(1)((3,)).dtype == np.float32
    finally:
        wi.set_default_dtype(np.float64)
    with pytest.raises(TypeError, match="dtype"):
        wi.set_default_dtype(np.int32)


def test_same_arguments_same_bits_and_global_stream_advances():
    init = wi.HeNormal("relu")
    assert same_bits(init((20, 30), rng=5), init((20, 30), rng=5))
    wi.set_seed(77)
    a, b = init((20, 30)), init((20, 30))
    assert not np.array_equal(a, b)  # Lasagne: repeated calls give new values
    wi.set_seed(77)
    assert same_bits(init((20, 30)), a)


def test_glorot_accepts_foreign_factories():
    class LasagneStyleNormal:
        def __init__(self, std):
            self.std = std

        def sample(self, shape):
            return np.full(shape, self.std)

    w = wi.Glorot(LasagneStyleNormal)((100, 100), region=(slice(2, 5), 3))
    assert w.shape == (3,) and (w == 0.1).all()


def test_zero_size_tensors():
    for init in ALL:
        for shape in [(0, 4), (4, 0)]:
            inputs = shape[1 - init._unit_axis()] if isinstance(init, wi.Sparse) else None
            if inputs is not None and init.nonzeros is not None and init.nonzeros > inputs:
                # Sparse(nonzeros=k) needs k inputs per unit, even for no units.
                with pytest.raises(wi.ShapeError, match=f"more than the {inputs} inputs"):
                    init(shape, rng=1)
                continue
            assert init(shape, rng=1).shape == shape


def test_int_shapes_for_elementwise_inits():
    assert wi.Normal()(5).shape == (5,)
    assert wi.Constant(2)(()).shape == ()


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "exc", "match"),
    [
        (lambda: wi.Normal(std=-1), ValueError, "std must be non-negative"),
        (lambda: wi.Normal(std=float("nan")), ValueError, "std must be finite"),
        (lambda: wi.Normal(mean=float("nan")), ValueError, "mean must be finite"),
        (lambda: wi.Normal(std="big"), TypeError, "std must be a real number"),
        (lambda: wi.Constant(float("nan")), ValueError, "val must be finite"),
        (lambda: wi.Uniform(float("nan")), ValueError, "range must be finite"),
        (lambda: wi.Uniform((1.0, 0.0)), ValueError, "low <= high"),
        (lambda: wi.Uniform((0.0, float("nan"))), ValueError, r"range\[1\] must be finite"),
        (lambda: wi.Uniform(std=-0.1), ValueError, "std must be non-negative"),
        (lambda: wi.TruncatedNormal(lower=2, upper=-2), ValueError, "lower must be less"),
        (lambda: wi.TruncatedNormal(lower=float("nan")), ValueError, "lower must not be NaN"),
        (lambda: wi.TruncatedNormal(lower=40, upper=41), ValueError, "negligible"),
        (lambda: wi.TruncatedNormal(std=0, absolute=True), ValueError, "std must be positive"),
        (lambda: wi.GlorotUniform(gain="swish"), ValueError, "gain='swish'.*Unsupported"),
        (lambda: wi.GlorotUniform(gain=float("nan")), ValueError, "gain must be finite"),
        (lambda: wi.HeNormal(gain=-1), ValueError, "gain must be non-negative"),
        (lambda: wi.GlorotUniform(gain=None), TypeError, "gain must be a real number"),
        (lambda: wi.Glorot(wi.Normal(), 1.0), TypeError, "initializer must be a class"),
        (lambda: wi.HeNormal(mode="fan_avg"), ValueError, "unknown mode 'fan_avg'"),
        (lambda: wi.GlorotNormal(layout="caffe"), ValueError, "unknown layout 'caffe'"),
        (lambda: wi.VarianceScaling(mode="fan"), ValueError, "unknown mode 'fan'"),
        (
            lambda: wi.VarianceScaling(distribution="cauchy"),
            ValueError,
            "unknown distribution 'cauchy'",
        ),
        (lambda: wi.VarianceScaling(scale=0), ValueError, "scale must be positive"),
        (lambda: wi.VarianceScaling(scale=float("nan")), ValueError, "scale must be finite"),
        (lambda: wi.Sparse(sparsity=1.5), ValueError, r"sparsity must be in \[0, 1\]"),
        (lambda: wi.Sparse(sparsity=-0.1), ValueError, r"sparsity must be in \[0, 1\]"),
        (lambda: wi.Sparse(sparsity=float("nan")), ValueError, "sparsity must be finite"),
        (lambda: wi.Sparse(std=-1), ValueError, "std must be non-negative"),
        (lambda: wi.Sparse(nonzeros=-1), ValueError, "nonzeros must be a non-negative"),
        (lambda: wi.Sparse(layout="c01b"), ValueError, "unknown layout"),
        (lambda: wi.Dirac(groups=0), ValueError, "groups must be a positive int"),
        (lambda: wi.Dirac(groups=1.5), TypeError, "groups must be a positive int"),
        (lambda: wi.Identity(gain="sigmoidal"), ValueError, "gain="),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize(
    ("init", "shape", "match"),
    [
        (wi.GlorotUniform(), (100,), "shapes of length >= 2"),
        (wi.HeNormal(c01b=True), (100, 100), "only shapes of length 4"),
        (wi.GlorotNormal(layout="torch"), (5,), "fewer than 2 dimensions"),
        (wi.LeCunNormal(), (5,), "shapes of length >= 2"),
        (wi.FanInUniform(), (), "shapes of length >= 2"),
        (wi.Sparse(), (100,), "sparse initializer only works with shapes of length 2"),
        (wi.Sparse(), (4, 5, 6), "sparse initializer only works with shapes of length 2"),
        (wi.Sparse(nonzeros=11), (10, 3), "nonzeros=11 is more than the 10 inputs"),
        (wi.Identity(), (3, 3, 3), "Identity only works with shapes of length 2"),
        (wi.Dirac(), (3,), "length 2, 3, 4 or 5"),
        (wi.Dirac(), (2,) * 6, "length 2, 3, 4 or 5"),
        (wi.Dirac(groups=4), (6, 2, 3), "dim 0 must be divisible by groups"),
        (wi.Normal(), (3, -2), "negative dimension"),
        (wi.GlorotUniform(), (3, -2), "negative dimension"),
    ],
)
def test_shape_errors(init, shape, match):
    with pytest.raises(wi.ShapeError, match=match) as info:
        init(shape)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)


def test_shape_errors_before_any_work():
    out = np.full((4,), 7.0)
    with pytest.raises(wi.ShapeError):
        wi.GlorotUniform().fill(out)
    assert (out == 7.0).all()


def test_out_errors():
    with pytest.raises(TypeError, match="numpy.ndarray"):
        wi.Normal().fill([1.0, 2.0])
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        wi.Normal().fill(np.zeros(3, dtype=np.int64))
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        wi.Normal().fill(ro)
    with pytest.raises(ValueError, match="region needs"):
        wi.Normal().fill(np.zeros(3), region=(slice(0, 3),))
    with pytest.raises(ValueError, match="region needs"):
        wi.Normal().fill(np.zeros(2), shape=(5,), region=(slice(0, 3),))


def test_base_initializer_is_abstract():
    with pytest.raises(NotImplementedError):
        wi.Initializer().sample((100, 100))
