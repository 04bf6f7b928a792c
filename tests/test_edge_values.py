"""Edge-of-range values and arguments (issue 15 points 7, 8, 9, 11, 12, 13).

Each bad input raises the stated exception type with a message that names the
argument, before any state changes (``assert_no_state_change``: no stream taken
from the global generator, a Generator or a numpy generator; no file left).
Values never leave the documented range (docs/initializers.md, "Values and dtypes").
"""

import errno
import subprocess
import sys

import numpy as np
import pytest
from _env import child_env
from test_no_state_change import assert_no_state_change

import weightinit as wi
from weightinit import npy


def raises_naming(exc, call, *names):
    with pytest.raises(exc) as info:
        call()
    for name in names:
        assert name in str(info.value), f"{name!r} not in {str(info.value)!r}"
    return info.value


# --- point 7: values that the dtype cannot hold ---------------------------------------

OUT_OF_RANGE = [
    # (call(rng), argument named)
    (lambda rng: wi.random.uniform(3, -2e38, 2e38, dtype="float32", rng=rng), "high - low"),
    (lambda rng: wi.random.uniform(3, -1e5, 1, dtype="float16", rng=rng), "low="),
    (lambda rng: wi.random.uniform(3, 0, 7e4, dtype="float16", rng=rng), "high="),
    (lambda rng: wi.random.uniform(3, -1e-300, 0.0, dtype="float16", rng=rng), "[low, high)"),
    (lambda rng: wi.random.uniform(3, -1e-300, 0.0, dtype="float32", rng=rng), "[low, high)"),
    (lambda rng: wi.random.uniform(3, 1 + 1e-9, 1 + 2e-9, dtype="float16", rng=rng), "[low, high)"),
    (lambda rng: wi.random.normal(3, std=1e308, rng=rng), "std=1e+308"),
    (lambda rng: wi.random.normal(3, std=1e38, dtype="float32", rng=rng), "std="),
    (lambda rng: wi.random.normal(3, mean=1e5, dtype="float16", rng=rng), "mean="),
    (lambda rng: wi.random.truncated_normal(3, std=1e40, dtype="float32", rng=rng), "std="),
    (lambda rng: wi.Orthogonal(gain=1e308).sample((3, 3), "float32", rng=rng), "gain="),
    (lambda rng: wi.DeltaOrthogonal(gain=1e5).sample((3, 3, 3), "float16", rng=rng), "gain="),
    (lambda rng: wi.linalg.orthogonal(3, gain=1e39, dtype="float32", rng=rng), "gain="),
    (lambda rng: wi.Constant(1e300).sample(3, "float16", rng=rng), "val="),
    (lambda rng: wi.Identity(gain=1e39).sample((2, 2), "float32", rng=rng), "gain="),
    (lambda rng: wi.Dirac(gain=1e39).sample((2, 2, 3), "float32", rng=rng), "gain="),
    (lambda rng: wi.Normal(std=1e5).sample(3, "float16", rng=rng), "std="),
    (lambda rng: wi.Uniform((-1e5, 0.0)).sample(3, "float16", rng=rng), "range[0]"),
    (lambda rng: wi.Uniform(std=1e38).sample(3, "float32", rng=rng), "sqrt(3) std"),
    (lambda rng: wi.TruncatedNormal(std=1e39).sample(3, "float32", rng=rng), "std="),
    (lambda rng: wi.Sparse(std=1e38).sample((4, 4), "float32", rng=rng), "std="),
    (lambda rng: wi.GlorotNormal(gain=1e300).sample((4, 4), "float32", rng=rng), "gain="),
    (lambda rng: wi.HeUniform(gain=1e300).sample((4, 4), "float16", rng=rng), "gain="),
    (lambda rng: wi.VarianceScaling(1e300).sample((4, 4), "float32", rng=rng), "scale="),
    (
        lambda rng: wi.VarianceScaling(1e300, distribution="uniform").sample(
            (4, 4), "float32", rng=rng
        ),
        "scale=",
    ),
    (
        lambda rng: wi.VarianceScaling(1e300, distribution="normal").sample(
            (4, 4), "float32", rng=rng
        ),
        "std=",
    ),
    (lambda rng: wi.Constant(1e300).fill(np.zeros(3, np.float16), rng=rng), "val="),
    (lambda rng: wi.random.normal(std=1e308, out=np.zeros(3), rng=rng), "std="),
]


@pytest.mark.parametrize("case", range(len(OUT_OF_RANGE)))
def test_values_the_dtype_cannot_hold_are_errors(case):
    call, name = OUT_OF_RANGE[case]
    assert_no_state_change(call, ValueError)
    raises_naming(ValueError, lambda: call(0), name)


def test_save_npy_checks_values_before_the_file(tmp_path):
    path = tmp_path / "w.npy"
    call = lambda rng: wi.save_npy(path, wi.Constant(1e300), 4, "float16", rng=rng)  # noqa: E731
    assert_no_state_change(call, ValueError)
    assert list(tmp_path.iterdir()) == []


def _nearest_up(x, dtype):
    v = dtype(x)
    return v if float(v) >= x else np.nextafter(v, dtype(np.inf))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize(
    "low,high",
    [(-3.3, -3.2), (-0.0723, 0.0723), (1 / 3, 2 / 3), (-0.1, 0.1), (-65504.0, 65504.0), (-1e-6, 0)],
)
def test_uniform_never_leaves_low_high(dtype, low, high):
    # float16 rounds the float32 value to nearest: -3.3 came out as -3.30078 (0.2% of
    # the values of [-3.3, -3.2)); they are raised to the smallest float16 >= low.
    x = wi.random.uniform(1 << 20, low, high, dtype=dtype, rng=3)
    assert (x.astype(np.float64) >= low).all()
    assert (x.astype(np.float64) < high).all()
    # The ends are reached: the clamp is to the nearest values inside, not further in.
    if dtype is np.float16:
        assert x.min() == _nearest_up(low, np.float16)


def test_uniform_at_the_edges_of_float32_is_finite():
    big = float(np.finfo(np.float32).max)
    x = wi.random.uniform(1000, -big / 2, big / 2, dtype="float32", rng=0)
    assert np.isfinite(x).all() and len(np.unique(x)) > 900


def test_normal_just_inside_float16():
    # |z| <= 5.77 in float32 arithmetic: std = 65504 / 5.77 fits, all finite.
    x = wi.random.normal(1 << 16, std=11000.0, dtype="float16", rng=0)
    assert np.isfinite(x).all()


# --- point 8: boolean region entries ---------------------------------------------------


@pytest.mark.parametrize(
    "region", [True, False, np.True_, (slice(None), True), (0, False), (Ellipsis, np.False_)]
)
def test_boolean_region_entries_are_rejected(region):
    for call in (
        lambda rng: wi.random.normal((4, 4), rng=rng, region=region),
        lambda rng: wi.Normal().sample((4, 4), rng=rng, region=region),
        lambda rng: wi.Orthogonal().sample((4, 4), rng=rng, region=region),
    ):
        assert_no_state_change(call, TypeError)
        raises_naming(TypeError, lambda c=call: c(0), "region", "bool")


# --- point 9: shapes numpy cannot hold -------------------------------------------------


@pytest.mark.parametrize(
    "shape,dtype", [((0, 2**62), "float64"), ((2**62, 0), "float16"), ((0, 2**61), "float32")]
)
def test_shapes_numpy_cannot_hold_are_refused_everywhere(tmp_path, shape, dtype):
    path = tmp_path / "w.npy"
    calls = [
        lambda rng: wi.save_npy(path, "zeros", shape, dtype, rng=rng),
        lambda rng: wi.Zeros().sample(shape, dtype, rng=rng),
        lambda rng: wi.random.uniform(shape, dtype=dtype, rng=rng),
    ]
    for call in calls:
        assert_no_state_change(call, ValueError)
        raises_naming(wi.ShapeError, lambda c=call: c(0), "shape", "2**63 - 1 bytes")
    assert list(tmp_path.iterdir()) == []


def test_zero_size_shape_that_numpy_holds_is_written_and_read(tmp_path):
    shape = (0, 2**59)  # 2**62 bytes counting the non-zero size: numpy's limit allows it
    p = wi.save_npy(tmp_path / "w.npy", "zeros", shape, "float32", rng=0)
    assert np.load(p).shape == shape
    assert wi.Zeros().sample(shape, "float32").shape == shape


def test_more_than_2_62_elements_even_with_a_zero_size():
    raises_naming(wi.ShapeError, lambda: wi.Zeros().sample((0, 2**63)), "shape", "2**62")


# --- point 11: chunk_bytes -------------------------------------------------------------


def test_chunk_bytes_below_the_minimum_counts_as_the_minimum(tmp_path, monkeypatch):
    blocks = []
    real = npy._fill_block_in_file

    def counting(*args, **kwargs):
        blocks.append(args[6])  # the block's extent
        return real(*args, **kwargs)

    monkeypatch.setattr(npy, "_fill_block_in_file", counting)
    shape = (1024, 512)  # 2 MiB of float32: two blocks of 1 MiB
    p = wi.save_npy(tmp_path / "w.npy", "normal", shape, "float32", rng=0, chunk_bytes=1)
    assert blocks == [[512, 512], [512, 512]]
    assert np.array_equal(np.load(p), wi.Normal().sample(shape, "float32", rng=0))


# --- point 12: every I/O error names the file ------------------------------------------

_FSIZE = r"""
import errno, os, resource, signal, sys
import weightinit as wi
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of death by SIGXFSZ
resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
target = sys.argv[1]
try:
    if sys.argv[2] == "npy":
        wi.save_npy(target, "normal", (1024, 1024), "float32", rng=0, progress=False)
    else:
        params = {"w": ((1024, 1024), "float32", "normal")}
        wi.save_safetensors(os.path.dirname(target), params, rng=0, progress=False)
except OSError as e:
    print(e.errno, repr(e.filename), str(e), sep="\n")
    sys.exit(0)
sys.exit("no OSError")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE and SIGXFSZ")
@pytest.mark.parametrize("writer", ["npy", "safetensors"])
def test_file_size_limit_error_names_the_file(tmp_path, writer):
    target = tmp_path / ("w.npy" if writer == "npy" else "model.safetensors")
    env = child_env()
    p = subprocess.run(
        [sys.executable, "-c", _FSIZE, str(target), writer],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    code, filename, message = p.stdout.splitlines()
    assert int(code) == errno.EFBIG
    assert filename == repr(str(target))
    assert str(target) in message
    assert list(tmp_path.iterdir()) == []  # no .part left


# --- point 13: the unclear errors ------------------------------------------------------


class _NoStd:
    def __init__(self, scale=1.0):
        self.scale = scale


UNCLEAR = [
    # (call(rng), exception, words the message must contain)
    (lambda rng: wi.linalg.orthogonal(4, columns=3, rng=rng), TypeError, ["columns"]),
    (lambda rng: wi.get({"class_name": None}).sample(3, rng=rng), TypeError, ["class_name"]),
    (lambda rng: wi.get({"class_name": 3}).sample(3, rng=rng), TypeError, ["class_name"]),
    (lambda rng: wi.random.uniform(3, low=-(2**1024), rng=rng), ValueError, ["low"]),
    (lambda rng: wi.random.normal(3, std=2**1024, rng=rng), ValueError, ["std"]),
    (lambda rng: wi.Glorot(_NoStd).sample((4, 4), rng=rng), TypeError, ["initializer", "std"]),
    (lambda rng: wi.He(lambda: None).sample((4, 4), rng=rng), TypeError, ["initializer"]),
    (lambda rng: wi.Uniform(range=()).sample(3, rng=rng), ValueError, ["range"]),
    (lambda rng: wi.Uniform(range=(1, 2, 3)).sample(3, rng=rng), ValueError, ["range"]),
    (lambda rng: wi.random.normal(3, rng=rng, stream="\ud800"), ValueError, ["stream"]),
    (lambda rng: wi.Normal().sample(3, rng=rng, stream="a\udfffb"), ValueError, ["stream"]),
    (
        lambda rng: wi.random.normal((4, 4), rng=rng, region=(slice(0, 4, 0),)),
        ValueError,
        ["region", "step cannot be zero"],
    ),
    (
        lambda rng: wi.Normal().sample((4, 4), rng=rng, region=(slice(None), slice(0, 4, 0))),
        ValueError,
        ["region", "axis 1"],
    ),
    (
        lambda rng: wi.random.normal((4, 4), rng=rng, region=(slice("a", 2),)),
        TypeError,
        ["region"],
    ),
    (
        lambda rng: wi.Orthogonal().sample((4, 4), rng=rng, region=(1.5,)),
        TypeError,
        ["region"],
    ),
    (
        lambda rng: wi.random.normal((4, 4), rng=rng, region=(Ellipsis, Ellipsis)),
        TypeError,
        ["region"],
    ),
]


@pytest.mark.parametrize("case", range(len(UNCLEAR)))
def test_unclear_errors_name_the_argument(case):
    call, exc, words = UNCLEAR[case]
    assert_no_state_change(call, exc)
    raises_naming(exc, lambda: call(0), *words)


def test_save_npy_huge_shape_names_it(tmp_path):
    call = lambda rng: wi.save_npy(tmp_path / "w.npy", "zeros", 2**62, rng=rng)  # noqa: E731
    assert_no_state_change(call, ValueError)
    raises_naming(wi.ShapeError, lambda: call(0), "shape")
    assert list(tmp_path.iterdir()) == []


def test_huge_leaky_relu_slope_gives_its_gain():
    # sqrt(2 / (1 + slope**2)) overflows in slope**2; the gain is sqrt(2) / |slope|.
    assert wi.calculate_gain("leaky_relu", 1e200) == pytest.approx(2**0.5 * 1e-200, rel=1e-15)
    assert wi.calculate_gain("leaky_relu", -1e200) == wi.calculate_gain("leaky_relu", 1e200)
    raises_naming(ValueError, lambda: wi.calculate_gain("leaky_relu", 2**1100), "negative_slope")
    # torch's formula, bit for bit, where it does not overflow.
    assert wi.calculate_gain("leaky_relu", 0.01) == (2.0 / (1 + 0.01**2)) ** 0.5


@pytest.mark.parametrize(
    "a,mode",
    [
        (np.zeros((0, 0)), None),
        (np.zeros((0, 3)), None),
        (np.zeros((3, 0)), None),
        (np.zeros((2, 0, 3)), None),
        (np.zeros((0, 0, 4)), -1),
    ],
)
def test_orthogonalize_empty_gives_empty(a, mode):
    q = wi.linalg.orthogonalize(a, column_axis=mode)
    assert q.shape == a.shape and q.dtype == a.dtype


@pytest.mark.parametrize("shape", [(0, 3, 3), (2, 0, 3), (2, 3, 0), (0, 0, 0), (2, 0, 0)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_of_an_empty_batch_has_numpys_shapes(shape, mode):
    a = np.zeros(shape)
    ours, theirs = wi.linalg.qr(a, mode=mode), np.linalg.qr(a, mode=mode)
    if mode == "r":
        assert ours.shape == theirs.shape
    else:
        # (old numpy returns a plain tuple, not a named one)
        assert ours.Q.shape == theirs[0].shape and ours.R.shape == theirs[1].shape


def test_the_other_entry_points_check_values_before_the_stream(tmp_path):
    import weightinit.dask

    too_big = wi.Constant(1e39)
    assert_no_state_change(
        lambda rng: weightinit.dask.sample(too_big, (4, 4), dtype="float32", rng=rng), ValueError
    )
    params = {"w": ((4, 4), "bfloat16", too_big)}
    assert_no_state_change(lambda rng: wi.save_safetensors(tmp_path, params, rng=rng), ValueError)
    assert list(tmp_path.iterdir()) == []
    torch = pytest.importorskip("torch")
    import weightinit.torch as wit

    t = torch.zeros(4, 4, dtype=torch.float16)
    assert_no_state_change(lambda rng: wit.init_(t, wi.Constant(1e5), rng=rng), ValueError)
    assert (t == 0).all()
