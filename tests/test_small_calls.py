"""The small-call path (docs/design.md, "Small calls") weakens no check.

A call that repeats one that passed skips its checks (``_sampling._PLANS``), and
the core's ``fill`` reads its arguments through the CPython API. Each test first
makes a valid call, so the remembered plan exists, then shows that a call equal
to it as a dict key but invalid (``3.0 == 3``, ``True == 1``, a read-only or
overlapping ``out`` of the same shape) still raises, changes no state, and that
the remembered path writes exactly what the checked path writes.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib.stride_tricks import as_strided
from strategies import shape_and_region, strided_view

import weightinit as wi
from weightinit import _core, _sampling

FUNCTIONS = [wi.random.uniform, wi.random.normal, wi.random.truncated_normal]


@pytest.fixture(autouse=True)
def _fresh_plans():
    _sampling._PLANS.clear()
    yield
    _sampling._PLANS.clear()


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "bfloat16"])
def test_remembered_call_writes_what_the_checked_call_writes(fn, dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    shape = (5, 7)
    first = fn(shape, dtype=dtype, rng=11, stream=3)  # checked, then remembered
    assert len(_sampling._PLANS) == 1
    second = fn(shape, dtype=dtype, rng=11, stream=3)  # remembered
    region = fn(shape, dtype=dtype, rng=11, stream=3, region=(slice(None), slice(None)))
    assert second.dtype == first.dtype == region.dtype and second.shape == shape
    assert second.tobytes() == first.tobytes() == region.tobytes()
    out = np.empty(shape, first.dtype)
    for _ in range(2):  # checked, then remembered
        out[...] = 0
        assert fn(out=out, rng=11, stream=3) is out
        assert out.tobytes() == first.tobytes()
    strided = np.zeros((5, 14), first.dtype)[:, ::2]
    for _ in range(2):
        fn(out=strided, rng=11, stream=3)
        assert strided.tobytes() == first.tobytes()


@given(
    fn=st.sampled_from(FUNCTIONS),
    dtype=st.sampled_from(["float16", "float32", "float64"]),
    case=shape_and_region(max_rank=3),
    seed=st.integers(0, 2**64 - 1),
)
def test_remembered_calls_equal_the_slice_of_the_checked_tensor(fn, dtype, case, seed):
    """Property: any shape, called twice (checked, then remembered), gives the region
    path's values for the whole tensor, and so does the region itself."""
    shape, region = case
    whole = fn(shape, dtype=dtype, rng=seed)
    again = fn(shape, dtype=dtype, rng=seed)
    assert again.shape == shape and again.tobytes() == whole.tobytes()
    part = fn(shape, dtype=dtype, rng=seed, region=region)
    assert part.tobytes() == np.ascontiguousarray(whole[region]).tobytes()


@given(fn=st.sampled_from(FUNCTIONS), view=strided_view(), seed=st.integers(0, 2**32))
def test_remembered_out_layouts_write_what_a_new_array_holds(fn, view, seed):
    shape, steps, order = view
    full = np.zeros([abs(s) * n for s, n in zip(steps, shape)], np.float32)
    out = full[tuple(slice(None, None, s) for s in steps)].transpose(order)
    expected = fn(out.shape, dtype="float32", rng=seed)
    for _ in range(2):  # checked, then remembered by out's dtype, shape and strides
        out[...] = 0
        fn(out=out, rng=seed)
        assert np.ascontiguousarray(out).tobytes() == expected.tobytes()


@pytest.mark.parametrize(
    "valid, invalid, exc",
    [
        ((3,), (3.0,), TypeError),
        ((1,), (True,), TypeError),
        ((2, 3), (2, 3.0), TypeError),
        (1, True, TypeError),
        ((3,), (np.float64(3),), TypeError),
    ],
)
def test_a_shape_equal_to_a_remembered_one_is_still_checked(valid, invalid, exc):
    assert invalid == valid or invalid == (valid,) or (invalid,) == valid
    wi.random.uniform(valid, dtype="float32", rng=1)
    with pytest.raises(exc, match="shape"):
        wi.random.uniform(invalid, dtype="float32", rng=1)
    g = wi.Generator(0)
    with pytest.raises(exc, match="shape"):
        wi.random.uniform(invalid, dtype="float32", rng=g)
    assert g.next_stream() == 0  # the failed call took no stream


def test_a_read_only_out_is_refused_after_it_was_filled():
    out = np.empty(64, np.float32)
    wi.random.normal(out=out, rng=1)
    out.flags.writeable = False
    g = wi.Generator(0)
    with pytest.raises(ValueError, match="out is read-only"):
        wi.random.normal(out=out, rng=g)
    assert g.next_stream() == 0


def test_an_overlapping_out_of_a_remembered_shape_is_refused():
    out = np.empty(8, np.float64)
    wi.random.uniform(out=out, rng=1)
    base = np.zeros(8)
    overlapping = as_strided(base, shape=(8,), strides=(0,))
    with pytest.raises(ValueError, match="zero stride"):
        wi.random.uniform(out=overlapping, rng=1)
    assert not base.any()


class _Subclass(np.ndarray):
    pass


def test_a_subclass_out_takes_the_checked_path():
    out = np.empty((4, 4), np.float32)
    wi.random.uniform(out=out, rng=1)
    sub = np.zeros((4, 4), np.float32).view(_Subclass)
    assert wi.random.uniform(out=sub, rng=1) is sub
    assert sub.tobytes() == out.tobytes()
    assert len(_sampling._PLANS) == 1  # the subclass is not remembered


def test_values_out_of_range_raise_every_time():
    # U[1e-46, 1.2e-45) holds no float32 value (the least above 0 is 1.4e-45): refused
    # on every call, never remembered.
    for _ in range(3):
        with pytest.raises(ValueError, match="no float32 value"):
            wi.random.uniform(4, 1e-46, 1.2e-45, dtype="float32", rng=1)
    assert not _sampling._PLANS
    wi.random.uniform(4, 1e-46, 1.2e-45, dtype="float64", rng=1)  # float64 has such values


def test_plans_are_bounded_and_stay_correct():
    expected = {n: wi.random.normal(n, rng=5).tobytes() for n in (1, 2, 3)}
    for n in range(_sampling._MAX_PLANS + 10):
        wi.random.normal(n, rng=5)
    assert len(_sampling._PLANS) <= _sampling._MAX_PLANS
    for n, values in expected.items():
        assert wi.random.normal(n, rng=5).tobytes() == values


def test_dtype_spellings_share_values():
    a = wi.random.uniform(9, dtype="float32", rng=2)
    b = wi.random.uniform(9, dtype=np.float32, rng=2)
    c = wi.random.uniform(9, dtype=np.dtype("<f4"), rng=2)
    assert a.tobytes() == b.tobytes() == c.tobytes()
    with pytest.raises(ValueError, match="native byte order"):
        wi.random.uniform(out=np.empty(9, ">f4"), rng=2)


def test_the_global_generator_advances_once_per_remembered_call():
    wi.set_seed(7)
    first = [wi.random.normal(6, dtype="float32") for _ in range(3)]
    wi.set_seed(7)
    g = wi.Generator(7)
    again = [wi.random.normal(6, dtype="float32", rng=g) for _ in range(3)]
    assert len({a.tobytes() for a in first}) == 3  # a new stream each call
    assert [a.tobytes() for a in first] == [a.tobytes() for a in again]


class TestCoreFillArguments:
    """The core's own checks, now that it parses its arguments itself."""

    out = np.empty(4, np.float32)

    def test_kind(self):
        for kind in (3, -1, "uniform", 1.0, None):
            with pytest.raises(TypeError, match="kind must be a Distribution"):
                _core.fill(kind, [0.0, 1.0], 1, 0, (4,), (), self.out)

    def test_params(self):
        with pytest.raises(TypeError, match="params must be a sequence"):
            _core.fill(_sampling.UNIFORM, 0.5, 1, 0, (4,), (), self.out)
        with pytest.raises(TypeError, match="params must contain real numbers"):
            _core.fill(_sampling.UNIFORM, [0.0, "1"], 1, 0, (4,), (), self.out)
        with pytest.raises(ValueError, match="uniform takes"):
            _core.fill(_sampling.UNIFORM, [0.0], 1, 0, (4,), (), self.out)

    def test_shape_and_start(self):
        with pytest.raises(TypeError, match="shape must contain ints"):
            _core.fill(_sampling.UNIFORM, [0.0, 1.0], 1, 0, (4.0,), (), self.out)
        with pytest.raises(TypeError, match="shape must contain ints"):
            _core.fill(_sampling.UNIFORM, [0.0, 1.0], 1, 0, (2**70,), (), self.out)
        with pytest.raises(TypeError, match="start must be a sequence"):
            _core.fill(_sampling.UNIFORM, [0.0, 1.0], 1, 0, (4,), None, self.out)
        with pytest.raises(ValueError, match="block outside the tensor"):
            _core.fill(_sampling.UNIFORM, [0.0, 1.0], 1, 0, (4,), (1,), self.out)

    def test_accepts_what_python_passes(self):
        a, b = self.out.copy(), self.out.copy()
        _core.fill(_sampling.UNIFORM, [0.0, 1.0], 1, 0, [4], [], a)
        _core.fill(1 - 1, (np.float64(0), 1), np.uint64(1), 0, (np.int64(4),), (0,), b)
        assert a.tobytes() == b.tobytes()
