"""complex64/complex128 output (docs/design.md, "Complex dtypes").

Statistical tests: every Kolmogorov-Smirnov test rejects at p < 1e-6 and every moment
test at 6 standard errors (two-sided rate 2e-9); the 130 KS and 76 moment assertions
here have a false-failure rate below 1.5e-4 for blindly chosen seeds. The seeds are
fixed, so a failure is a real change of distribution.
"""

import hashlib
import math

import numpy as np
import pytest
from conftest import THREAD_COUNTS
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from strategies import seeds, shape_and_region, strided_view
from test_no_state_change import assert_no_state_change as _no_state_change

import weightinit as wi
from weightinit import _complex, _core

ALPHA = 1e-6  # KS p-value below which a test fails
Z = 6.0  # standard errors a moment may be off
CDTYPES = (np.complex64, np.complex128)
N = 200_000

DISTS = {
    "uniform": lambda **kw: wi.random.uniform(low=-0.5, high=2.0, **kw),
    "normal": lambda **kw: wi.random.normal(mean=0.25, std=3.0, **kw),
    "truncated_normal": lambda **kw: wi.random.truncated_normal(mean=0.0, std=0.5, **kw),
    "truncated_normal_preserve": lambda **kw: wi.random.truncated_normal(
        mean=1.0, std=2.0, lower=-1.5, upper=1.5, preserve_std=True, **kw
    ),
}


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def ks(sample, cdf):
    p = stats.kstest(np.asarray(sample, np.float64).ravel(), cdf).pvalue
    assert p > ALPHA, f"KS p-value {p}"


def ks2(a, b):
    p = stats.ks_2samp(np.ravel(a), np.ravel(b)).pvalue
    assert p > ALPHA, f"two-sample KS p-value {p}"


def phase_uniform(d):
    """The phase is uniform on (-pi, pi], and independent of the modulus (both halves)."""
    phase = np.angle(d.astype(np.complex128)).ravel()
    big = np.abs(d).ravel() > np.median(np.abs(d))
    for part in (phase, phase[big], phase[~big]):
        ks(part, stats.uniform(-math.pi, 2 * math.pi).cdf)


def mean_close(values, expected, sd_one):
    """mean(values) within Z standard errors (sd_one / sqrt(n)) of expected."""
    err = Z * sd_one / math.sqrt(values.size)
    assert abs(np.mean(values, dtype=np.float64) - expected) < err


# --- the distributions: modulus and phase against the closed forms --------------------


@pytest.mark.parametrize("dtype", CDTYPES)
def test_circular_normal(dtype):
    mean, std = 0.25, 3.0
    w = wi.random.normal(N, mean, std, dtype=dtype, rng=1)
    assert w.dtype == dtype
    d = w.astype(np.complex128) - mean
    # |d|**2 / std**2 is Exp(1): E|d|**2 = std**2; the phase is uniform.
    ks(np.abs(d) ** 2 / std**2, stats.expon.cdf)
    phase_uniform(d)
    mean_close(d.real, 0.0, std / math.sqrt(2))
    mean_close(d.imag, 0.0, std / math.sqrt(2))
    mean_close(d.real * d.imag, 0.0, std**2 / 2)  # uncorrelated parts
    mean_close(np.abs(d) ** 2, std**2, std**2)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_disk_uniform(dtype):
    low, high = -0.5, 2.0
    w = wi.random.uniform(N, low, high, dtype=dtype, rng=2)
    d = w.astype(np.complex128) - (low + high) / 2
    radius = (high - low) / math.sqrt(6)
    # Uniform on the disk: |d|**2 / R**2 is U[0, 1), and E|d|**2 = (high - low)**2 / 12.
    assert np.abs(d).max() <= radius * (1 + 1e-6)
    ks(np.abs(d) ** 2 / radius**2, stats.uniform.cdf)
    phase_uniform(d)
    var = (high - low) ** 2 / 12
    mean_close(np.abs(d) ** 2, var, radius**2 / math.sqrt(12))


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("bound,preserve", [(2.0, False), (1.5, True), (0.5, False)])
def test_truncated_radius(dtype, bound, preserve):
    mean, std = 1.0, 2.0
    w = wi.random.truncated_normal(
        N, mean, std, -bound, bound, preserve_std=preserve, dtype=dtype, rng=3
    )
    d = w.astype(np.complex128) - mean
    a = bound**2
    mass = -math.expm1(-a)
    sd = math.sqrt(1 - a * math.exp(-a) / mass)  # of the truncated modulus, std 1
    assert sd == pytest.approx(_complex.truncated_radius_std(bound), rel=1e-14)
    scale = std / sd if preserve else std
    # |d|**2 / scale**2 is Exp(1) truncated to [0, bound**2].
    assert np.abs(d).max() <= bound * scale * (1 + 1e-6)
    ks(np.abs(d) ** 2 / scale**2, lambda x: -np.expm1(-np.clip(x, 0, a)) / mass)
    phase_uniform(d)
    mean_close(np.abs(d) ** 2, (scale * sd) ** 2, scale**2 * a)


def test_truncated_radius_constant():
    assert _complex.truncated_radius_std(2.0) == _complex.TRUNCATED_RADIUS_STD_2


# --- initializers: E|w|**2 is the real variance -------------------------------------


def fan_based():
    shape = (300, 400)
    return shape, [
        (wi.GlorotNormal(), 2 / 700),
        (wi.GlorotUniform(gain="relu"), 2 * 2 / 700),
        (wi.HeNormal(gain="relu"), 2 / 300),
        (wi.HeUniform(), 1 / 300),
        (wi.LeCunNormal(), 1 / 300),
        (wi.LeCunUniform(), 1 / 300),
        (wi.VarianceScaling(2.0, "fan_out", "normal"), 2 / 400),
        (wi.VarianceScaling(0.5, "fan_avg", "truncated_normal"), 0.5 / 350),
        (wi.FanInUniform(), 1 / 900),
        (wi.Normal(0.05), 0.05**2),
        (wi.Uniform(std=0.05), 0.05**2),
        (wi.Uniform(0.1), 0.1**2 / 3),
        (wi.TruncatedNormal(0.05, preserve_std=True), 0.05**2),
        (wi.Glorot(wi.Uniform), 2 / 700),
        (wi.He(wi.Normal, gain=2.0), 4 / 300),
    ]


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize("k", range(len(fan_based()[1])))
def test_initializer_variance(dtype, k):
    shape, cases = fan_based()
    init, var = cases[k]
    w = init.sample(shape, dtype=dtype, rng=k)
    real = init.sample(shape, dtype=np.float64, rng=k)
    assert w.dtype == dtype and w.shape == shape
    sq = np.abs(w.astype(np.complex128)) ** 2
    # The real draw's variance; |w|**2 has standard deviation <= var (Exp(1) is the widest).
    mean_close(sq, var, var)
    mean_close(real**2, var, var * math.sqrt(2))
    phase_uniform(w)


def test_structural_and_constant():
    for dtype in CDTYPES:
        assert same_bits(wi.Identity(2.0)((3, 4), dtype=dtype), 2.0 * np.eye(3, 4, dtype=dtype))
        dirac = wi.Dirac()((4, 4, 3), dtype=dtype)
        assert same_bits(dirac, wi.Dirac()((4, 4, 3), dtype=np.float64).astype(dtype))
        c = wi.Constant(0.5)((2, 3), dtype=dtype)
        assert c.dtype == dtype and (c == 0.5).all()
        assert (wi.Zeros()((2,), dtype=dtype) == 0).all()


def test_uniform_zero_width_is_constant():
    w = wi.Uniform((0.25, 0.25))((3, 3), dtype=np.complex64, rng=0)
    assert (w == 0.25).all()
    assert (wi.HeUniform(gain=0.0)((3, 3), dtype=np.complex128, rng=0) == 0).all()


# --- the element -> counter mapping (docs/design.md) --------------------------------


@pytest.mark.parametrize("dtype", CDTYPES)
def test_normal_is_the_real_normal_of_shape_plus_two(dtype):
    part = np.finfo(dtype).dtype
    shape = (5, 7)
    w = wi.random.normal(shape, 0.0, 2.0, dtype=dtype, rng=4, stream=9)
    ref = wi.random.normal(shape + (2,), 0.0, 2.0 * math.sqrt(0.5), dtype=part, rng=4, stream=9)
    assert same_bits(w.view(part).reshape(shape + (2,)), ref)
    # A non-zero mean is added to the real part only.
    m = wi.random.normal(shape, 1.5, 2.0, dtype=dtype, rng=4, stream=9)
    assert same_bits(m.imag.copy(), ref[..., 1])
    assert same_bits(m.real.copy(), ref[..., 0] + part.type(1.5))


@pytest.mark.parametrize("dtype", CDTYPES)
def test_uniform_and_truncated_follow_the_documented_formulas(dtype):
    part = np.finfo(dtype).dtype
    shape, seed, stream = (6, 9), 5, 12
    pair = wi.random.normal(shape + (2,), 0.0, 1.0, dtype=part, rng=seed, stream=stream)
    x, y = pair[..., 0], pair[..., 1]
    radii = _core.substream(stream, _complex.CDISK, 0)
    u = wi.random.uniform(shape, 0.0, 1.0, dtype=part, rng=seed, stream=radii)

    low, high = -1.0, 3.0
    k = np.sqrt(u) * part.type((high - low) / math.sqrt(6)) / np.sqrt(x * x + y * y)
    disk = wi.random.uniform(shape, low, high, dtype=dtype, rng=seed, stream=stream)
    assert same_bits(disk.real.copy(), x * k + part.type(1.0))
    assert same_bits(disk.imag.copy(), y * k)

    xd, yd = x.astype(np.float64), y.astype(np.float64)
    p = xd * xd + yd * yd
    g = np.sqrt(np.fmod(p * 0.5, 4.0) / p) * 0.5
    trunc = wi.random.truncated_normal(shape, 0.0, 0.5, dtype=dtype, rng=seed, stream=stream)
    assert same_bits(trunc.real.copy(), (0.0 + g * xd).astype(part))
    assert same_bits(trunc.imag.copy(), (g * yd).astype(part))


# --- reproducibility: regions, strides, threads, instruction sets -------------------


@given(
    sr=shape_and_region(min_rank=1, max_rank=3, min_side=1, max_side=20),
    seed=seeds,
    dist=st.sampled_from(sorted(DISTS)),
    dtype=st.sampled_from(CDTYPES),
)
def test_region_equals_slice_of_full(sr, seed, dist, dtype):
    shape, region = sr
    full = DISTS[dist](shape=shape, rng=seed, stream=5, dtype=dtype)
    block = DISTS[dist](shape=shape, rng=seed, stream=5, dtype=dtype, region=region)
    assert same_bits(block, full[region])


@given(
    sv=strided_view(),
    seed=seeds,
    dist=st.sampled_from(sorted(DISTS)),
    dtype=st.sampled_from(CDTYPES),
)
def test_strided_out_equals_contiguous(sv, seed, dist, dtype):
    shape, steps, order = sv
    base = np.zeros([shape[a] * abs(steps[a]) for a in order], dtype)
    view = base[tuple(slice(None, None, steps[a]) for a in order)].transpose(np.argsort(order))
    DISTS[dist](out=view, rng=seed, stream=2)
    ref = DISTS[dist](shape=shape, rng=seed, stream=2, dtype=dtype)
    assert same_bits(np.ascontiguousarray(view), ref)


@pytest.mark.parametrize("dtype", CDTYPES)
def test_initializer_blocks_and_views(dtype):
    shape = (40, 30)
    for init in (wi.HeUniform(), wi.LeCunNormal(), wi.GlorotNormal(), wi.Normal(0.1, 2.0)):
        full = init.sample(shape, dtype=dtype, rng=8, stream="k")
        block = np.zeros((7, 11), dtype)
        init.fill(block, rng=8, stream="k", shape=shape, offset=(30, 19))
        assert same_bits(block, full[30:37, 19:30])
        region = init.sample(shape, dtype=dtype, rng=8, stream="k", region=(slice(3, 9), 4))
        assert same_bits(region, full[3:9, 4])
        out = np.zeros((30, 40), dtype).T[::-1]
        init.fill(out, rng=8, stream="k")
        assert same_bits(np.ascontiguousarray(out), full)
        unaligned = np.ndarray(shape, dtype, buffer=np.zeros(full.nbytes + 1, np.uint8), offset=1)
        init.fill(unaligned, rng=8, stream="k")
        assert same_bits(unaligned.copy(), full)


@pytest.mark.parametrize("dist", sorted(DISTS))
@pytest.mark.parametrize("dtype", CDTYPES)
def test_thread_counts_give_identical_bits(dist, dtype, num_threads):
    # 2 floats per element: the float tensor is split across every thread count.
    thresholds = wi._core.PARALLEL_THRESHOLDS
    shape, region = (413, 531), (slice(3, 400), slice(5, 530))
    assert 2 * 397 * 525 >= max(THREAD_COUNTS) * thresholds["fill_tile"]
    results = []
    for threads in THREAD_COUNTS:
        num_threads(threads)
        results.append(DISTS[dist](shape=shape, rng=11, stream="w", dtype=dtype, region=region))
    assert same_bits(results[0], results[1]) and same_bits(results[0], results[2])


@given(
    shape=st.lists(st.integers(0, 40), min_size=1, max_size=3).map(tuple),
    seed=seeds,
    dist=st.sampled_from(sorted(DISTS)),
    dtype=st.sampled_from(CDTYPES),
)
def test_every_isa_equals_scalar(shape, seed, dist, dtype):
    with wi.simd.force("scalar"):
        ref = DISTS[dist](shape=shape, rng=seed, stream=3, dtype=dtype)
    for isa in wi.simd.available():
        with wi.simd.force(isa):
            assert same_bits(DISTS[dist](shape=shape, rng=seed, stream=3, dtype=dtype), ref)


# Stream stability of the complex draws (as tests/test_reproducibility.py for the real ones).
EXPECTED_DIGESTS = {
    ("normal", "complex64"): "4fa132f49c28f26f",
    ("normal", "complex128"): "bc0a8e6793937f9c",
    ("truncated_normal", "complex64"): "ecc69f06a9a8d373",
    ("truncated_normal", "complex128"): "1f9c46df307220a6",
    ("truncated_normal_preserve", "complex64"): "159c52f6664d86fa",
    ("truncated_normal_preserve", "complex128"): "281509f9f82e476d",
    ("uniform", "complex64"): "612c17ee3baf080d",
    ("uniform", "complex128"): "7fc879c33db0a3eb",
}


def test_stream_stability():
    got = {}
    for dist in sorted(DISTS):
        for dtype in CDTYPES:
            a = DISTS[dist](shape=(1000,), rng=20261125, stream="stability", dtype=dtype)
            got[(dist, np.dtype(dtype).name)] = hashlib.sha256(a.tobytes()).hexdigest()[:16]
    assert got == EXPECTED_DIGESTS


# --- errors: checked before a stream is taken -----------------------------------------


def assert_no_state_change(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call(0)
    _no_state_change(call)


@pytest.mark.parametrize("dtype", CDTYPES)
@pytest.mark.parametrize(
    "init,name",
    [
        (wi.Orthogonal(), "Orthogonal"),
        (wi.DeltaOrthogonal(), "DeltaOrthogonal"),
        (wi.Sparse(), "Sparse"),
        (wi.Glorot(lambda std: wi.Normal(std)), "Glorot with initializer="),
    ],
)
def test_unsupported_initializers_name_the_dtype(init, name, dtype):
    match = f"{name}.*dtype={np.dtype(dtype).name}"
    assert_no_state_change(lambda rng: init.sample((4, 4, 3), dtype=dtype, rng=rng), match)
    assert_no_state_change(lambda rng: init.fill(np.zeros((4, 4, 3), dtype), rng=rng), match)


def test_complex_errors_take_no_stream():
    assert_no_state_change(
        lambda rng: wi.random.truncated_normal(3, lower=-1, upper=2, dtype="c8", rng=rng),
        "symmetric",
    )
    assert_no_state_change(
        lambda rng: wi.TruncatedNormal(lower=-1.0, upper=2.0)(3, dtype="c16", rng=rng),
        "symmetric",
    )


def test_asymmetric_truncation_is_a_value_error():
    match = "symmetric bounds lower == -upper.*lower=-1.0, upper=2.0"
    with pytest.raises(ValueError, match=match):
        wi.random.truncated_normal(3, lower=-1.0, upper=2.0, dtype=np.complex64, rng=0)
    with pytest.raises(ValueError, match=match):
        wi.TruncatedNormal(lower=-1.0, upper=2.0)(3, dtype=np.complex128, rng=0)
    with pytest.raises(ValueError, match="symmetric"):
        out = np.full(3, 7 + 7j)
        wi.random.truncated_normal(out=out, lower=-1.0, upper=2.0, rng=0)
    assert (out == 7 + 7j).all()


def test_bad_complex_out():
    with pytest.raises(ValueError, match="out is read-only"):
        a = np.zeros(3, np.complex64)
        a.flags.writeable = False
        wi.random.normal(out=a, rng=0)
    with pytest.raises(ValueError, match="native byte order"):
        wi.random.normal(out=np.zeros(3, ">c8"), rng=0)
    with pytest.raises(TypeError, match="complex64 or complex128 array"):
        wi.random.normal(out=np.zeros(3, np.clongdouble), rng=0)
    with pytest.raises(ValueError, match="dtype=float32 was requested"):
        wi.random.normal(out=np.zeros(3, np.complex64), dtype=np.float32, rng=0)
