"""What torch's ``test/nn/test_init.py`` checks (docs/peers.md 2.7), re-expressed for
weightinit with ``layout="torch"`` where fans matter.

KS tests use torch's threshold (p > 1e-4): with fixed seeds they are
deterministic; over random seeds a correct sampler fails each with
probability 1e-4 (about 2e-3 for this file).
"""

import math

import numpy as np
import pytest
import scipy.stats
from numpy.lib.stride_tricks import sliding_window_view

import weightinit as wi

ALPHA = 1e-4


# --- calculate_gain --------------------------------------------------------------


def test_calculate_gain_exact_values():
    for name in (
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
    ):
        assert wi.calculate_gain(name) == 1
    assert wi.calculate_gain("tanh") == 1.6666666666666667
    assert wi.calculate_gain("relu") == 1.4142135623730951
    assert wi.calculate_gain("leaky_relu") == 1.4141428569978354
    assert wi.calculate_gain("leaky_relu", 0.01) == 1.4141428569978354
    assert wi.calculate_gain("leaky_relu", 10) == 0.14071950894605836
    assert wi.calculate_gain("leaky_relu", 0) == math.sqrt(2)
    assert wi.calculate_gain("selu") == 0.75
    for slope in (0.0, 0.2, 1.0, 5):
        assert wi.calculate_gain("leaky_relu", slope) == math.sqrt(2.0 / (1 + slope**2))


@pytest.mark.parametrize("param", [True, [0.1], {"a": 1}, "0.1", float("nan")])
def test_calculate_gain_leaky_relu_bad_param(param):
    with pytest.raises(ValueError, match="negative_slope"):
        wi.calculate_gain("leaky_relu", param)


@pytest.mark.parametrize("name", ["swish", "RELU", "", "softmax"])
def test_calculate_gain_unknown_nonlinearity(name):
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        wi.calculate_gain(name)


def test_gain_strings_everywhere():
    shape = (40, 30)
    for init_cls in (wi.GlorotNormal, wi.HeNormal):
        a = init_cls(gain=("leaky_relu", 0.2))(shape, rng=1)
        b = init_cls(gain=wi.calculate_gain("leaky_relu", 0.2))(shape, rng=1)
        assert a.tobytes() == b.tobytes()
    assert (wi.Identity("tanh")((2, 2)) == np.eye(2) * 5 / 3).all()


# --- distributions (KS) -----------------------------------------------------------

SHAPES = [(50, 40), (20, 10, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
def test_uniform(shape):
    a, b = -0.5, 1.5  # uniform_(t, a, b)
    w = wi.Uniform((a, b))(shape, rng=1)
    assert scipy.stats.kstest(w.ravel(), scipy.stats.uniform(a, b - a).cdf).pvalue > ALPHA


@pytest.mark.parametrize("shape", SHAPES)
def test_normal(shape):
    mean, std = 1.0, 0.5  # normal_(t, mean, std): note weightinit's Normal(std, mean)
    w = wi.Normal(std=std, mean=mean)(shape, rng=2)
    assert scipy.stats.kstest(w.ravel(), scipy.stats.norm(mean, std).cdf).pvalue > ALPHA


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("gain", [1.0, 2.0, "relu"])
def test_xavier(shape, gain):
    fan_in = shape[1] * math.prod(shape[2:])
    fan_out = shape[0] * math.prod(shape[2:])
    g = math.sqrt(2) if gain == "relu" else gain
    std = g * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    w = wi.GlorotUniform(gain, layout="torch")(shape, rng=3)
    assert scipy.stats.kstest(w.ravel(), scipy.stats.uniform(-bound, 2 * bound).cdf).pvalue > ALPHA
    w = wi.GlorotNormal(gain, layout="torch")(shape, rng=3)
    assert scipy.stats.kstest(w.ravel(), scipy.stats.norm(0, std).cdf).pvalue > ALPHA


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("a", [0.0, 0.1, math.sqrt(5)])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(shape, a, mode):
    rf = math.prod(shape[2:])
    fan = shape[1] * rf if mode == "fan_in" else shape[0] * rf
    gain = wi.calculate_gain("leaky_relu", a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    w = wi.HeUniform(("leaky_relu", a), mode=mode, layout="torch")(shape, rng=4)
    assert scipy.stats.kstest(w.ravel(), scipy.stats.uniform(-bound, 2 * bound).cdf).pvalue > ALPHA
    w = wi.HeNormal(("leaky_relu", a), mode=mode, layout="torch")(shape, rng=4)
    assert scipy.stats.kstest(w.ravel(), scipy.stats.norm(0, std).cdf).pvalue > ALPHA


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_trunc_normal(dtype):
    # trunc_normal_(t, mean=0.5, std=2, a=-1, b=3): absolute bounds.
    mean, std, a, b = 0.5, 2.0, -1.0, 3.0
    w = wi.TruncatedNormal(std, mean, a, b, absolute=True)((100, 100), dtype=dtype, rng=5)
    assert w.min() >= a and w.max() <= b
    dist = scipy.stats.truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    if dtype != np.float16:  # float16 rounding makes KS see ties; checked below via moments
        assert scipy.stats.kstest(w.ravel().astype(np.float64), dist.cdf).pvalue > ALPHA
    else:
        # 1e4 samples: the mean's standard error is dist.std() / 100.
        assert abs(w.astype(np.float64).mean() - dist.mean()) < 5 * dist.std() / 100


def test_trunc_normal_low_precision_not_stuck_at_bounds():
    # torch #145498: low-precision draws stuck at the bound; #155588: outliers at +-2.
    w = wi.TruncatedNormal(std=1.0, lower=-2.0, upper=2.0)((200, 200), dtype=np.float16, rng=6)
    assert (np.abs(w) == 2.0).mean() < 1e-3
    assert len(np.unique(w)) >= 1000
    w = wi.TruncatedNormal(std=0.1, mean=0.0, lower=-2.0, upper=2.0, absolute=True)(
        (300, 300), dtype=np.float32, rng=6
    )
    assert not (np.abs(w) == 2.0).any() and np.abs(w).max() < 0.7


def test_trunc_normal_mean_outside_bounds():
    # A narrow interval far from the mean: all values inside, piled at the near end.
    w = wi.TruncatedNormal(std=1.0, mean=0.0, lower=3.0, upper=3.5, absolute=True)(10000, rng=7)
    assert w.min() >= 3.0 and w.max() <= 3.5
    dist = scipy.stats.truncnorm(3.0, 3.5)
    assert scipy.stats.kstest(w, dist.cdf).pvalue > ALPHA


# --- structural --------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (1, 1)])
def test_eye(shape):
    w = wi.Identity()(shape)
    assert (w == np.eye(*shape)).all()


def conv_same(x, w, groups):
    """Cross-correlation of x (C, *S) with w (O, C/groups, *K), 'same' padding (odd K)."""
    k = w.shape[2:]
    pad = [(0, 0)] + [(kk // 2, kk // 2) for kk in k]
    xp = np.pad(x, pad)
    axes = tuple(range(1, x.ndim))
    win = sliding_window_view(xp, k, axis=axes)  # (C, *S, *K)
    c, spatial = x.shape[0], x.shape[1:]
    win = win.reshape(c, math.prod(spatial), math.prod(k))
    o, cg = w.shape[:2]
    og = o // groups
    out = np.empty((o, math.prod(spatial)))
    wf = w.reshape(o, cg, math.prod(k))
    for g in range(groups):
        out[g * og : (g + 1) * og] = np.einsum(
            "ock,csk->os", wf[g * og : (g + 1) * og], win[g * cg : (g + 1) * cg]
        )
    return out.reshape((o,) + spatial)


@pytest.mark.parametrize("spatial", [(9,), (6, 7), (4, 5, 6)])
@pytest.mark.parametrize("groups", [1, 3])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_dirac_is_identity_convolution(spatial, groups, k):
    channels = 6
    w = wi.Dirac(groups)((channels, channels // groups) + (k,) * len(spatial))
    x = wi.Normal(1.0)((channels,) + spatial, rng=1)
    np.testing.assert_array_equal(conv_same(x, w, groups), x)


def test_dirac_more_outputs_than_inputs():
    # out > in: the extra output channels are zero (torch's min(out_per_group, in)).
    w = wi.Dirac()((8, 4, 3, 3))
    x = wi.Normal(1.0)((4, 5, 5), rng=2)
    y = conv_same(x, w, 1)
    np.testing.assert_array_equal(y[:4], x)
    assert (y[4:] == 0).all()
    assert w.sum() == 4


def test_dirac_even_kernel_centre_is_k_over_2():
    w = wi.Dirac()((2, 2, 4, 4))
    assert w[0, 0, 2, 2] == 1 and w.sum() == 2


# --- sparse (torch's semantics through nonzeros=) -------------------------------------


@pytest.mark.parametrize("sparsity", [0.1, 0.2, 0.3])
def test_sparse_torch_semantics(sparsity):
    # torch.nn.init.sparse_(t, sparsity, std): ceil(sparsity * rows) zeros per column.
    rows, cols, std = 100, 60, 0.01
    keep = rows - math.ceil(sparsity * rows)
    w = wi.Sparse(nonzeros=keep, std=std)((rows, cols), rng=8)
    assert ((w == 0).sum(axis=0) >= math.ceil(sparsity * rows)).all()
    nz = w[w != 0]
    assert scipy.stats.kstest(nz, scipy.stats.norm(0, std).cdf).pvalue > ALPHA


# --- orthogonal (the other engineer's class; torch's checks) -------------------------


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (20, 2, 3, 4), (2, 3, 4, 5)])
@pytest.mark.parametrize("gain", [1.0, 2.0, "relu"])
def test_orthogonal(shape, gain):
    g = math.sqrt(2) if gain == "relu" else gain
    w = wi.Orthogonal(gain)(shape, rng=1)
    rows, cols = shape[0], math.prod(shape[1:])
    flat = w.reshape(rows, cols)
    if rows > cols:
        np.testing.assert_allclose(flat.T @ flat, np.eye(cols) * g**2, atol=1e-6)
    else:
        np.testing.assert_allclose(flat @ flat.T, np.eye(rows) * g**2, atol=1e-6)


# --- errors and zero-element tensors ----------------------------------------------


@pytest.mark.parametrize("shape", [(), (5,)])
def test_xavier_kaiming_need_2d(shape):
    for init in (
        wi.GlorotUniform(layout="torch"),
        wi.GlorotNormal(layout="torch"),
        wi.HeUniform(layout="torch"),
        wi.HeNormal(layout="torch"),
    ):
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            init(shape)


@pytest.mark.parametrize("shape", [(5,), (3, 3, 3)])
def test_eye_and_sparse_need_2d(shape):
    with pytest.raises(ValueError):
        wi.Identity()(shape)
    with pytest.raises(ValueError):
        wi.Sparse()(shape)


@pytest.mark.parametrize("shape", [(5,), (1, 1, 1, 1, 1, 1)])
def test_dirac_ranks(shape):
    with pytest.raises(ValueError):
        wi.Dirac()(shape)


def test_dirac_groups_must_divide():
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        wi.Dirac(groups=4)((6, 3, 3))


def test_kaiming_mode_names():
    with pytest.raises(ValueError, match="unknown mode 'fan_avg'"):
        wi.HeNormal(mode="fan_avg")
    assert wi.HeNormal(mode="FAN_OUT").mode == "fan_out"  # torch lower-cases the mode


@pytest.mark.parametrize("shape", [(0, 5), (4, 0), (0, 3, 3, 3)])
def test_zero_element_tensors_are_no_ops(shape):
    inits = [
        wi.Uniform(),
        wi.Normal(),
        wi.TruncatedNormal(),
        wi.Constant(2.0),
        wi.Ones(),
        wi.Zeros(),
        wi.GlorotUniform(layout="torch"),
        wi.GlorotNormal(layout="torch"),
        wi.HeUniform(layout="torch"),
        wi.HeNormal(layout="torch"),
    ]
    if len(shape) == 2:
        inits += [wi.Identity(), wi.Sparse(0.1)]
    if len(shape) in (3, 4, 5):
        inits += [wi.Dirac()]
    inits += [wi.Orthogonal()]
    for init in inits:
        out = np.empty(shape)
        assert init.fill(out, rng=1) is out
