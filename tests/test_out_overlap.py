"""``out=`` arrays whose elements overlap are rejected by every path (issue 15, point 5).

One check (the core's ``check_no_self_overlap``, strided.hpp ``self_overlap``)
sits behind ``_validation.out_array`` and the C++ argument checks. It is
compared here with a reference that lists every element's bytes.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.lib.stride_tricks import as_strided

import weightinit as wi
from weightinit import _core
from weightinit import _validation as check


def overlaps_by_listing(shape, strides, itemsize):
    """Whether two elements share a byte: every element's offset, sorted."""
    if 0 in shape:
        return False
    offsets = np.zeros(1, dtype=np.int64)
    for n, s in zip(shape, strides):
        offsets = (offsets[:, None] + s * np.arange(n, dtype=np.int64)[None, :]).ravel()
    offsets.sort()
    return bool((np.diff(offsets) < itemsize).any())


def _typed_view(base, offset, shape, strides, dtype):
    """Element (0, ..., 0) at byte ``offset`` of ``base`` (numpy allows unaligned strides)."""
    return np.ndarray(shape, dtype=dtype, buffer=base, offset=offset, strides=strides)


layouts = st.integers(1, 3).flatmap(
    lambda nd: st.tuples(
        st.lists(st.integers(0, 5), min_size=nd, max_size=nd),
        st.lists(st.integers(-40, 40), min_size=nd, max_size=nd),
        st.sampled_from([np.float16, np.float32, np.float64]),
    )
)


@given(layouts)
def test_check_agrees_with_listing_every_element(layout):
    shape, strides, dtype = layout
    a = _typed_view(*_buffer_for(shape, strides, dtype), tuple(shape), tuple(strides), dtype)
    want = overlaps_by_listing(shape, strides, a.itemsize)
    if want:
        with pytest.raises(ValueError, match=r"^out has (a zero stride|overlapping elements)"):
            check.out_array(a)
    else:
        assert check.out_array(a) is a


def _buffer_for(shape, strides, dtype):
    itemsize = np.dtype(dtype).itemsize
    if 0 in shape:
        return np.zeros(itemsize, dtype=np.uint8), 0
    low = sum(min(0, (n - 1) * s) for n, s in zip(shape, strides))
    high = sum(max(0, (n - 1) * s) for n, s in zip(shape, strides))
    return np.zeros(high - low + itemsize, dtype=np.uint8), -low


def overlapping_rows(shape):
    """Rows overlapping through as_strided: row i starts one element after row i - 1."""
    base = np.zeros(4096)
    strides = [8] * len(shape)
    for axis in range(len(shape) - 2, -1, -1):
        strides[axis] = strides[axis + 1] * (2 if axis == len(shape) - 2 else shape[axis + 1])
    return as_strided(base, shape, tuple(strides), writeable=True)


def zero_stride(shape):
    return as_strided(np.zeros(4096), shape, (0,) + (8,) * (len(shape) - 1), writeable=True)


INITIALIZERS = [
    (wi.Constant(0.5), (4, 6)),
    (wi.Zeros(), (4, 6)),
    (wi.Ones(), (4, 6)),
    (wi.Normal(), (4, 6)),
    (wi.Uniform(), (4, 6)),
    (wi.TruncatedNormal(), (4, 6)),
    (wi.GlorotUniform(), (4, 6)),
    (wi.HeNormal(), (4, 6)),
    (wi.Identity(), (6, 6)),
    (wi.Dirac(), (4, 4, 3, 3)),
    (wi.Sparse(), (6, 4)),
    (wi.Orthogonal(), (6, 4)),
    (wi.DeltaOrthogonal(), (4, 4, 3, 3)),
]


@pytest.mark.parametrize("make", [overlapping_rows, zero_stride], ids=["rows", "zero stride"])
@pytest.mark.parametrize("init, shape", INITIALIZERS, ids=lambda x: type(x).__name__)
def test_every_initializer_rejects_overlapping_out(init, shape, make):
    out = make(shape)
    assert overlaps_by_listing(out.shape, out.strides, out.itemsize)
    before = out.copy()
    with pytest.raises(ValueError, match="^out has"):
        init.fill(out, rng=0)
    with pytest.raises(ValueError, match="^out has"):
        init.fill(out, rng=0, shape=shape, region=tuple(slice(None) for _ in shape))
    np.testing.assert_array_equal(out, before)  # nothing written


@pytest.mark.parametrize("make", [overlapping_rows, zero_stride], ids=["rows", "zero stride"])
def test_every_function_rejects_overlapping_out(make):
    out = make((5, 7))
    calls = [
        lambda: wi.random.normal(out=out, rng=0),
        lambda: wi.random.uniform(out=out, rng=0),
        lambda: wi.random.truncated_normal(out=out, rng=0),
        lambda: wi.random.normal(shape=(5, 14), region=(slice(None), slice(0, 7)), out=out, rng=0),
        lambda: wi.Generator(0).normal(out=out),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="^out has"):
            call()
    # The core's own checks (the C++ paths) use the same test.
    with pytest.raises(ValueError, match="^out has"):
        _core.fill(_core.Distribution.normal, [0.0, 1.0], 0, 0, [5, 7], [], out)
    with pytest.raises(ValueError, match="^out has"):
        _core.orthogonal_columns(0, 0, 5, 5, 0, 5, 1.0, make((5, 5)))
    a = np.random.default_rng(0).standard_normal((5, 5))
    with pytest.raises(ValueError, match="^c has"):
        _core.gemm_update(a, a, make((5, 5)))
    tau = np.zeros(5)
    with pytest.raises(ValueError, match="^q has"):
        _core.orgqr(a, tau, make((5, 5)))


def test_disjoint_strided_views_are_accepted():
    a = np.zeros((64, 48))
    for v in (a[::2, ::3], a.T, a[::-1, 5:], a[:, ::-2].T, a.reshape(8, 8, 48)[:, 1::3]):
        w = wi.Normal().fill(v, rng=1)
        np.testing.assert_array_equal(w, wi.Normal().sample(v.shape, rng=1))
    # Interleaved but disjoint (element offsets 0, 16, 24, 32, 40, 56): decided by listing.
    inter = as_strided(np.zeros(8), (2, 3), (24, 16), writeable=True)
    assert not overlaps_by_listing(inter.shape, inter.strides, 8)
    np.testing.assert_array_equal(wi.Ones().fill(inter), np.ones((2, 3)))


def test_undecided_large_interleaved_layout_is_rejected_with_its_reason():
    # Interleaved strides over more elements than the check lists: refused, and said so.
    out = as_strided(np.zeros(40000), (3000, 3000), (16, 24), writeable=True)
    with pytest.raises(ValueError, match="^out may have overlapping elements.*pass a copy"):
        wi.Normal().fill(out, rng=0)
