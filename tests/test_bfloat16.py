"""bfloat16 from the core: the same bits as the float32 result rounded by the reference.

The reference is ``_bfloat16.float32_to_bfloat16_bits`` (numpy integer code,
itself checked against torch in test_torch_adapter.py), applied to the core's
float32 output. The core's bfloat16 kernels round in registers; they must
agree bit for bit on every instruction set, thread count, region and stride,
with shapes above the parallel thresholds, and with NaN and infinity.
"""

import gc
import math
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from conftest import THREAD_COUNTS
from hypothesis import given, reject
from hypothesis import strategies as st
from strategies import INITIALIZERS, seeds, shape_and_region, streams

import weightinit as wi
from weightinit import _adapters, _base, _bfloat16, _core, _rng, _sampling

try:
    import ml_dtypes
except ImportError:  # the numpy-array tests skip; the bits paths need no ml_dtypes
    ml_dtypes = None

U, N, T = _sampling.UNIFORM, _sampling.NORMAL, _sampling.TRUNCATED_NORMAL
# Several parameter sets per kind; the last two overflow float32 (mean and std
# become +-inf there), which gives infinities and NaNs (inf - inf) to round.
DISTRIBUTIONS = [
    (U, [-1.5, 2.5]),
    (U, [0.0, 1.0]),
    (N, [0.25, 3.0]),
    (N, [0.0, 0.02]),
    (T, [0.5, 2.0, -11.0, 13.0, 0.0]),  # wide: the quantile's tail branch is taken
    (T, [0.0, 1.0, -2.0, 2.0, 1.0]),
    (N, [1e39, 1e39]),
    (T, [-1e39, 1e39, -3.0, 3.0, 0.0]),
]
IDS = [f"{int(k)}-{p}" for k, p in DISTRIBUTIONS]
KEY, STREAM = 0x0123456789ABCDEF, 77
# Above the fill threshold with a ragged last tile.
ROWS, COLS = 257, _core.PARALLEL_THRESHOLDS["fill_tile"] // 128 + 3


def reference(kind, params, shape, start=None, extent=None):
    """float32 from the core (scalar path), rounded by the numpy reference, of the block."""
    with wi.simd.force("scalar"):
        f = np.empty(extent or shape, dtype=np.float32)
        _core.fill(kind, params, KEY, STREAM, shape, start or [], f)
    return _bfloat16.float32_to_bfloat16_bits(f, np.empty(f.shape, dtype=np.uint16))


def core_bits(kind, params, out, shape, start=()):
    _core.fill(kind, params, KEY, STREAM, list(shape), list(start), out, True)
    return out


@pytest.mark.parametrize(("kind", "params"), DISTRIBUTIONS, ids=IDS)
@pytest.mark.parametrize("threads", THREAD_COUNTS)
def test_core_bits_equal_reference_on_every_isa_and_thread_count(isa, kind, params, threads):
    wi.set_num_threads(threads)
    shape = (ROWS, COLS)
    assert math.prod(shape) > _core.PARALLEL_THRESHOLDS["fill"]
    want = reference(kind, params, shape)
    got = core_bits(kind, params, np.empty(shape, dtype=np.uint16), shape)
    np.testing.assert_array_equal(got, want)
    # int16 destinations (torch's view of a bfloat16 tensor) receive the same bits.
    got16 = core_bits(kind, params, np.empty(shape, dtype=np.int16), shape)
    np.testing.assert_array_equal(got16.view(np.uint16), want)
    # This ISA's float32, rounded by the reference, is the same too.
    f = np.empty(shape, dtype=np.float32)
    _core.fill(kind, params, KEY, STREAM, shape, [], f)
    np.testing.assert_array_equal(
        _bfloat16.float32_to_bfloat16_bits(f, np.empty(shape, np.uint16)), want
    )


def test_overflowing_parameters_give_nan_and_infinity():
    # The rounding's special cases are exercised, not just finite values.
    f = np.empty((64, 64), dtype=np.float32)
    _core.fill(N, [1e39, 1e39], KEY, STREAM, f.shape, [], f)
    assert np.isnan(f).any() and np.isinf(f).any()


@pytest.mark.parametrize(("kind", "params"), DISTRIBUTIONS[::2], ids=IDS[::2])
def test_core_bits_of_regions_strides_and_unaligned_destinations(isa, kind, params):
    shape = (ROWS, COLS)
    full = reference(kind, params, shape)
    # A block of the logical tensor, written through a negative-stride, strided view.
    base = np.zeros((300, 2 * COLS + 40), dtype=np.uint16)
    view = base[::-1][5 : 5 + 200, 7 : 7 + 2 * (COLS - 9) : 2]
    core_bits(kind, params, view, shape, (50, 9))
    np.testing.assert_array_equal(view, full[50:250, 9:])
    untouched = np.ones(base.shape, dtype=bool)
    untouched[::-1][5 : 5 + 200, 7 : 7 + 2 * (COLS - 9) : 2] = False
    assert not base[untouched].any()
    # Transposed (the inner logical axis has the large stride).
    t = np.empty((COLS, ROWS), dtype=np.uint16).T
    np.testing.assert_array_equal(core_bits(kind, params, t, shape), full)
    # Contiguous but at an odd address (2-byte elements not 2-byte aligned).
    raw = np.zeros(2 * ROWS * COLS + 1, dtype=np.uint8)
    odd = np.ndarray(shape, dtype=np.uint16, buffer=raw, offset=1)
    assert not odd.flags.aligned
    np.testing.assert_array_equal(core_bits(kind, params, odd, shape), full)
    # Runs starting at every offset inside a group of the widest path.
    for first in range(0, 70, 3):
        out = np.empty((1, 101), dtype=np.uint16)
        core_bits(kind, params, out, shape, (3, first))
        np.testing.assert_array_equal(out[0], full[3, first : first + 101])


def test_core_rejects_other_dtypes_for_bfloat16():
    with pytest.raises(TypeError, match="uint16 or int16 array of bfloat16 bits"):
        _core.fill(N, [0.0, 1.0], 1, 2, [4], [], np.empty(4, np.float32), True)
    with pytest.raises(ValueError, match="read-only"):
        ro = np.empty(4, np.uint16)
        ro.flags.writeable = False
        _core.fill(N, [0.0, 1.0], 1, 2, [4], [], ro, True)


@pytest.mark.parametrize("threads", THREAD_COUNTS)
def test_sparse_bits(isa, threads):
    wi.set_num_threads(threads)
    shape = (300, 400)  # units * rows above the sparse threshold
    assert shape[0] * shape[1] > _core.PARALLEL_THRESHOLDS["sparse"]
    f = np.empty(shape, dtype=np.float32)
    _core.sparse_fill(KEY, STREAM, list(shape), [0, 0], f, 30, 1.5, 1)
    want = _bfloat16.float32_to_bfloat16_bits(f, np.empty(shape, np.uint16))
    got = np.empty(shape, dtype=np.uint16)
    _core.sparse_fill(KEY, STREAM, list(shape), [0, 0], got, 30, 1.5, 1, True)
    np.testing.assert_array_equal(got, want)
    block = np.empty((100, 70), dtype=np.uint16)[::-1]
    _core.sparse_fill(KEY, STREAM, list(shape), [20, 300], block, 30, 1.5, 1, True)
    np.testing.assert_array_equal(block, want[20:120, 300:370])


# --- every initializer: the internal bits path (no ml_dtypes needed) --------------

INITS = [
    wi.Constant(0.1),
    wi.Normal(std=0.02),
    wi.Uniform(range=(-0.3, 0.7)),
    wi.Uniform(range=0),
    wi.TruncatedNormal(std=0.5),
    wi.GlorotUniform(),
    wi.GlorotNormal(),
    wi.HeNormal(gain="relu"),
    wi.HeUniform(),
    wi.LeCunNormal(),
    wi.VarianceScaling(2.0, "fan_out", "truncated_normal"),
    wi.FanInUniform(),
    wi.Sparse(0.2),
    wi.Orthogonal(),
    wi.Identity(),
    wi.Dirac(),
]


def float32_rounded(init, shape, **kw):
    f = init.sample(shape, dtype=np.float32, **kw)
    return _bfloat16.float32_to_bfloat16_bits(f, np.empty(f.shape, np.uint16))


@pytest.mark.parametrize("init", INITS, ids=repr)
def test_every_initializer_bits_equal_float32_rounded(init):
    shape = (300, 260)  # above the fill threshold
    want = float32_rounded(init, shape, rng=5, stream="w")
    got = np.empty(shape, dtype=np.int16)
    _adapters.fill_bfloat16_bits(init, got, 5, "w")
    np.testing.assert_array_equal(got.view(np.uint16), want)
    # A block of it, into a strided view.
    view = np.zeros((200, 393), dtype=np.uint16)[::-2, 3::3]
    _adapters.fill_bfloat16_bits(init, view, 5, "w", shape, (17, 130))
    np.testing.assert_array_equal(view, want[17:117, 130:260])


def test_subclass_that_writes_with_numpy_gets_float32_blocks():
    # A user subclass of a class with a bfloat16 kernel, overriding _fill_block
    # with numpy arithmetic: it must never see bits.
    class Tripled(wi.Normal):
        def _fill_block(self, shape, out, start, key, stream):
            super()._fill_block(shape, out, start, key, stream)
            out *= 3.0

    init = Tripled()
    want = float32_rounded(init, (300, 260), rng=5, stream="w")
    got = np.empty((300, 260), dtype=np.uint16)
    _adapters.fill_bfloat16_bits(init, got, 5, "w")
    np.testing.assert_array_equal(got, want)
    del init, Tripled
    gc.collect()  # out of Initializer.__subclasses__() (Lasagne's walk in test_lasagne_suite)


@pytest.mark.parametrize("init", [wi.Constant(0.3), wi.Normal(), wi.Uniform()], ids=repr)
@pytest.mark.parametrize("shape", [(), (0,), (1,), (3, 0, 2)])
def test_scalars_and_empty_shapes(init, shape):
    got = np.full(shape, 7, dtype=np.uint16)
    _adapters.fill_bfloat16_bits(init, got, 5, 1)
    np.testing.assert_array_equal(got, float32_rounded(init, shape, rng=5, stream=1))


@pytest.mark.parametrize("init", [wi.HeNormal(), wi.Orthogonal(), wi.Sparse(0.3), wi.Dirac()])
@pytest.mark.parametrize("block_bytes", [64, 1000, 1 << 20])
def test_rounded_float32_blocks_do_not_depend_on_block_size(init, block_bytes):
    # The path of initializers without a bfloat16 kernel, forced for ones that have
    # it: the same bits as the kernels' for every cut.
    shape = (40, 30)
    key, sid = _rng.resolve(1, 2)
    blocks = np.empty(shape, dtype=np.uint16)
    _base.fill_rounded(init, shape, blocks, [0, 0], key, sid, block_bytes=block_bytes)
    whole = np.empty(shape, dtype=np.uint16)
    _adapters.fill_bfloat16_bits(init, whole, 1, 2)
    np.testing.assert_array_equal(blocks, whole)


def test_global_generator_takes_one_stream():
    wi.set_seed(11)
    a = np.empty((8, 8), np.uint16)
    _adapters.fill_bfloat16_bits(wi.Orthogonal(), a, None, None)
    b = np.empty((8, 8), np.uint16)
    _adapters.fill_bfloat16_bits(wi.Normal(), b, None, None)
    wi.set_seed(11)
    wi.Orthogonal()((8, 8))
    np.testing.assert_array_equal(b, float32_rounded(wi.Normal(), (8, 8)))


def test_kernel_path_needs_no_float32_scratch():
    # The core writes the bits: a 4 M-value fill allocates next to nothing, where a
    # float32-then-round path would need scratch (the fallback's is 1 MiB + 1 MiB).
    bits = np.empty((2048, 2048), dtype=np.uint16)
    for init in (wi.Normal(0.02), wi.GlorotUniform(), wi.TruncatedNormal(), wi.Sparse(0.01)):
        tracemalloc.start()
        _adapters.fill_bfloat16_bits(init, bits, 0, 1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 256 << 10, (init, peak)
    np.testing.assert_array_equal(
        bits, float32_rounded(wi.Sparse(0.01), bits.shape, rng=0, stream=1)
    )


@pytest.mark.skipif(ml_dtypes is None, reason="numpy bfloat16 arrays need ml_dtypes")
@given(
    init=st.sampled_from(INITIALIZERS),
    case=shape_and_region(max_rank=4, max_side=9),
    seed=seeds,
    stream=streams,
)
def test_property_every_initializer_and_region(init, case, seed, stream):
    shape, region = case
    try:
        f = init.sample(shape, dtype=np.float32, rng=seed, stream=stream)
    except wi.ShapeError:
        reject()
    want = _bfloat16.float32_to_bfloat16_bits(f, np.empty(f.shape, np.uint16))[region]
    got = init.sample(shape, dtype="bfloat16", rng=seed, stream=stream, region=region)
    assert got.view(np.uint16).tobytes() == np.ascontiguousarray(want).tobytes()
    # The same block into a strided, reversed view of a larger bfloat16 array.
    big = np.zeros(tuple(2 * d for d in got.shape), dtype=got.dtype)
    view = big[(*(slice(None, None, -2) for _ in got.shape), ...)]  # 0-d: still an array
    init.fill(view, rng=seed, stream=stream, shape=shape, region=region)
    assert np.ascontiguousarray(view).view(np.uint16).tobytes() == want.tobytes()


# --- numpy bfloat16 arrays (ml_dtypes) ----------------------------------------------


@pytest.fixture
def bf16():
    return np.dtype(pytest.importorskip("ml_dtypes").bfloat16)


@pytest.mark.parametrize("init", INITS, ids=repr)
def test_sample_and_fill_bfloat16(bf16, init):
    shape = (64, 48)
    want = float32_rounded(init, shape, rng=2, stream=3)
    for dtype in ("bfloat16", "BFloat16", bf16, bf16.type):
        a = init.sample(shape, dtype=dtype, rng=2, stream=3)
        assert a.dtype == bf16
        np.testing.assert_array_equal(a.view(np.uint16), want)
    region = np.s_[5:40, 7]
    r = init.sample(shape, "bfloat16", rng=2, stream=3, region=region)
    np.testing.assert_array_equal(r.view(np.uint16), want[region])
    out = np.zeros((100, 100), dtype=bf16)[1:65, 2:98:2]
    assert init.fill(out, rng=2, stream=3) is out
    np.testing.assert_array_equal(out.view(np.uint16), want)


@pytest.mark.parametrize(
    ("fn", "kw", "kind", "params"),
    [
        (wi.random.uniform, {"low": -2.0, "high": 3.0}, U, [-2.0, 3.0]),
        (wi.random.normal, {"mean": 1.0, "std": 0.5}, N, [1.0, 0.5]),
        (wi.random.truncated_normal, {"std": 2.0}, T, [0.0, 2.0, -2.0, 2.0, 0.0]),
    ],
)
def test_random_functions_bfloat16(bf16, fn, kw, kind, params):
    shape = (ROWS, COLS)
    key, sid = _rng.resolve(9, "x")
    f = np.empty(shape, dtype=np.float32)
    _core.fill(kind, params, key, sid, shape, [], f)
    want = _bfloat16.float32_to_bfloat16_bits(f, np.empty(shape, np.uint16))
    a = fn(shape, **kw, dtype="bfloat16", rng=9, stream="x")
    assert a.dtype == bf16
    np.testing.assert_array_equal(a.view(np.uint16), want)
    out = np.empty((COLS, ROWS), dtype=bf16).T
    assert fn(**kw, dtype=bf16, rng=9, stream="x", out=out) is out
    np.testing.assert_array_equal(out.view(np.uint16), want)
    part = fn(shape, **kw, dtype=bf16.type, rng=9, stream="x", region=np.s_[7, 100:])
    np.testing.assert_array_equal(part.view(np.uint16), want[7, 100:])
    with pytest.raises(ValueError, match="out has dtype"):
        fn(**kw, dtype="float32", rng=9, out=np.empty(3, bf16))


def test_orthogonal_bfloat16_is_float32_rounded_once(bf16):
    q = wi.linalg.orthogonal(40, 24, dtype="bfloat16", rng=4)
    f = wi.linalg.orthogonal(40, 24, dtype="float32", rng=4)
    want = _bfloat16.float32_to_bfloat16_bits(f, np.empty(f.shape, np.uint16))
    assert q.dtype == bf16
    np.testing.assert_array_equal(q.view(np.uint16), want)


def test_dask_bfloat16(bf16):
    wid = pytest.importorskip("weightinit.dask")
    lazy = wid.sample("he_normal", (300, 40), chunks=(70, 40), dtype="bfloat16", rng=1)
    assert lazy.dtype == bf16
    got = lazy.compute()
    np.testing.assert_array_equal(
        got.view(np.uint16), float32_rounded(wi.HeNormal(), (300, 40), rng=1)
    )


def test_default_dtype_bfloat16(bf16):
    wi.set_default_dtype("bfloat16")
    try:
        assert wi.Normal()((3, 3), rng=0).dtype == bf16
    finally:
        wi.set_default_dtype(np.float64)


def test_save_npy_refuses_bfloat16(bf16, tmp_path):
    with pytest.raises(TypeError, match="cannot be stored in a .npy file"):
        wi.save_npy(tmp_path / "w.npy", "normal", (4, 4), dtype="bfloat16", rng=0)
    assert list(tmp_path.iterdir()) == []


def test_without_ml_dtypes_the_error_says_how_to_install():
    code = (
        "import sys; sys.modules['ml_dtypes'] = None\n"
        "import numpy as np, weightinit as wi\n"
        "from weightinit import _adapters\n"
        "wi.set_seed(0)\n"
        "for call in (lambda: wi.random.normal(3, dtype='bfloat16'),\n"
        "             lambda: wi.Normal().sample(3, dtype='bfloat16')):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as e:\n"
        "        assert \"dtype='bfloat16'\" in str(e) and 'pip install ml_dtypes' in str(e), e\n"
        "    else:\n"
        "        raise AssertionError('no error')\n"
        "# no stream was taken, and the bits path needs no ml_dtypes\n"
        "a = np.empty(5, np.uint16); _adapters.fill_bfloat16_bits(wi.Normal(), a, None, None)\n"
        "wi.set_seed(0); b = np.empty(5, np.uint16)\n"
        "_adapters.fill_bfloat16_bits(wi.Normal(), b, None, None)\n"
        "assert (a == b).all()\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


@pytest.mark.parametrize("lower, upper", [(8.0, 9.0), (5.0, 6.0), (-11.0, -5.0)])
def test_truncated_normal_deep_tail_bits_equal_float32_rounded(isa, lower, upper):
    """Past Giles' range the float32 values are recomputed in double (docs/algorithms.md
    4.2) before the bfloat16 rounding: the bits still equal float32 rounded."""
    n = 3 * 4096 + 5  # ragged last group
    f32 = wi.random.truncated_normal(n, lower=lower, upper=upper, dtype="float32", rng=3)
    bf = np.empty(n, np.uint16)
    _adapters.fill_bfloat16_bits(wi.TruncatedNormal(std=1.0, lower=lower, upper=upper), bf, 3, None)
    want = _bfloat16.float32_to_bfloat16_bits(f32, np.empty(n, np.uint16))
    assert len(np.unique(f32)) > n // 2  # the deep tail is resolved, not on the bound
    np.testing.assert_array_equal(bf, want)
