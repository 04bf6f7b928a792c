"""Every initializer: region equals the slice of the full tensor, strided out= equals
contiguous, and the bits are the same on every instruction set and thread count."""

import hashlib
import math

import numpy as np
import pytest
from conftest import THREAD_COUNTS
from hypothesis import given, settings
from hypothesis import strategies as st

import weightinit as wi

# (initializer, shapes strategy): every class, on shapes it accepts.
dims = st.integers(0, 13)
any_2d = st.tuples(st.integers(1, 40), st.integers(1, 40))
nd = st.lists(st.integers(1, 7), min_size=2, max_size=4).map(tuple)
conv = st.lists(st.integers(1, 5), min_size=3, max_size=5).map(tuple)

CASES = [
    (wi.Constant(0.25), nd),
    (wi.Ones(), nd),
    (wi.Normal(0.5, 1.0), nd),
    (wi.Uniform((-1.0, 2.0)), nd),
    (wi.TruncatedNormal(1.0, lower=-1.0, upper=3.0), nd),
    (wi.GlorotNormal("relu"), nd),
    (wi.GlorotUniform(), nd),
    (wi.HeNormal(layout="torch"), nd),
    (wi.HeUniform(c01b=True), st.lists(st.integers(1, 5), min_size=4, max_size=4).map(tuple)),
    (wi.VarianceScaling(2.0, "fan_avg", "truncated_normal", layout="keras"), nd),
    (wi.LeCunNormal(), nd),
    (wi.LeCunUniform(in_axis=0, out_axis=-1), nd),
    (wi.FanInUniform(), nd),
    (wi.Identity(2.0), any_2d),
    (wi.Dirac(), conv),
    (wi.Sparse(0.3, 1.0), any_2d),
    (
        wi.Sparse(nonzeros=2, std=1.0, layout="torch"),
        st.tuples(st.integers(1, 40), st.integers(2, 40)),
    ),
]
CASES += [(wi.Orthogonal(), st.tuples(st.integers(1, 12), st.integers(1, 12)))]


@st.composite
def shape_and_region(draw, shapes):
    shape = draw(shapes)
    region = []
    for n in shape:
        if draw(st.booleans()) and n > 0:
            region.append(draw(st.integers(0, n - 1)))  # an int drops the axis
        else:
            a = draw(st.integers(0, n))
            b = draw(st.integers(a, n))
            region.append(slice(a, b))
    return shape, tuple(region)


@pytest.mark.parametrize(("init", "shapes"), CASES, ids=[repr(c[0]) for c in CASES])
@given(data=st.data())
@settings(max_examples=25, deadline=None)
def test_region_is_slice_of_full(init, shapes, data):
    shape, region = data.draw(shape_and_region(shapes))
    dtype = data.draw(st.sampled_from([np.float16, np.float32, np.float64]))
    full = init.sample(shape, dtype=dtype, rng=3, stream=9)
    part = init.sample(shape, dtype=dtype, rng=3, stream=9, region=region)
    assert part.tobytes() == np.ascontiguousarray(full[region]).tobytes()
    # The same block through fill(out, shape=, region=) into a strided view.
    big = np.full(tuple(2 * d for d in part.shape), 7, dtype=dtype)
    view = big[tuple(slice(None, None, 2) for _ in part.shape)] if big.ndim else big
    if view.ndim:
        view = view[..., ::-1]  # negative strides too
    init.fill(view, rng=3, stream=9, shape=shape, region=region)
    assert np.ascontiguousarray(view).tobytes() == part.tobytes()


# ---- threads and instruction sets -------------------------------------------------------
# Shapes above every parallel threshold of the core (read from the core, so the tests follow
# it), with enough tiles for every thread of the largest count to get work: fill splits runs
# into tiles of T["fill_tile"] elements from T["fill"] elements on; Sparse splits units into
# tiles of T["sparse_tile"] from T["sparse"] elements written plus draws; orgqr uses a team
# from T["orgqr_flops"] modelled flops, of which filling the identity alone counts 256 per
# element of Q.
T = wi._core.PARALLEL_THRESHOLDS
MOST = max(THREAD_COUNTS)
FILL_ELEMENTS = max(T["fill"], MOST * T["fill_tile"])
BIG_COLS = -(-MOST * T["sparse_tile"] // 16) * 16
BIG_2D = (-(-FILL_ELEMENTS // BIG_COLS), BIG_COLS)
BIG_ND = (BIG_COLS, BIG_COLS, 4, -(-FILL_ELEMENTS // (4 * BIG_COLS**2)))


def test_big_shapes_exceed_the_parallel_thresholds():
    rows, cols = BIG_2D
    assert rows * cols >= FILL_ELEMENTS and math.prod(BIG_ND) >= FILL_ELEMENTS
    assert FILL_ELEMENTS >= MOST * T["fill_tile"]
    # Sparse, units as columns (and as rows for layout="torch"), at least one non-zero each.
    assert min(rows, cols) >= MOST * T["sparse_tile"] and rows * cols >= T["sparse"]
    # Orthogonal: the identity fill alone reaches the orgqr threshold.
    assert 256 * rows * cols >= T["orgqr_flops"]


# Identity, Sparse and Orthogonal take 2-D shapes; everything else (Dirac: conv) the 4-D one.
BIG_CASES = [
    (init, BIG_2D if isinstance(init, (wi.Identity, wi.Sparse, wi.Orthogonal)) else BIG_ND)
    for init, _ in CASES
]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize(("init", "shape"), BIG_CASES, ids=[repr(c[0]) for c in BIG_CASES])
def test_same_bits_on_every_isa_and_thread_count(init, shape, dtype, isa, num_threads):
    # The reference: the scalar path on one thread; then this ISA on 1, 2 and 7 threads.
    num_threads(1)
    with wi.simd.force("scalar"):
        reference = init.sample(shape, dtype=dtype, rng=5, stream="layer").tobytes()
    for threads in THREAD_COUNTS:
        num_threads(threads)
        w = init.sample(shape, dtype=dtype, rng=5, stream="layer")
        assert w.tobytes() == reference, (isa, threads)


def test_large_sparse_threads_and_blocks(isa, num_threads):
    # Every thread count through whole tensors and a block that starts off the unit tiles.
    init = wi.Sparse(0.05, 1.0)
    shape = BIG_2D[::-1]  # units (columns) >> MOST * T["sparse_tile"]
    num_threads(1)
    with wi.simd.force("scalar"):
        ref = init(shape, rng=1, dtype=np.float32)
    region = (slice(3, shape[0] - 5), slice(37, shape[1] - 1))
    assert ref[region].size >= T["sparse"]
    for threads in THREAD_COUNTS:
        num_threads(threads)
        assert init(shape, rng=1, dtype=np.float32).tobytes() == ref.tobytes()
        block = init.sample(shape, rng=1, dtype=np.float32, region=region)
        assert block.tobytes() == np.ascontiguousarray(ref[region]).tobytes()


def test_offset_blocks_tile_the_tensor():
    # Chunked generation: blocks filled with shape=/offset= assemble the full tensor.
    shape = (33, 20)
    for init in (wi.Sparse(0.2, 1.0), wi.GlorotUniform(), wi.Dirac(), wi.Identity()):
        full = init(shape, rng=8)
        tiled = np.empty(shape)
        for r in range(0, 33, 10):
            for c in range(0, 20, 7):
                block = tiled[r : r + 10, c : c + 7]
                init.fill(block, rng=8, shape=shape, offset=(r, c))
        assert tiled.tobytes() == full.tobytes(), init


def test_stream_stability():
    # Pins the mapping (seed, stream, unit) -> Sparse index set and values: a
    # change here is a breaking change for the changelog (docs/design.md contract 1).
    key = wi._rng.key_from_seed(0)
    assert wi._core.sparse_indices(key, 0, 0, 1000, 5).tolist() == [911, 29, 673, 44, 399]
    w = wi.Sparse(0.25, 1.0)((64, 32), rng=2026, stream=1)
    assert hashlib.sha256(w.tobytes()).hexdigest()[:16] == "198c35bffce0a327"
