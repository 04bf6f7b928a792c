"""Block generation for every registered initializer: any region, and any
``fill(out, shape=, offset=)`` block, equals the same block of the full tensor
bit for bit (issue 5, item 1). Needs no Dask: this is the property the Dask
arrays and ``save_npy`` rest on."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import weightinit as wi
from weightinit.lookup import _classes

# Classes that need constructor arguments, and extra configurations worth covering.
_EXTRA = {
    "Glorot": [lambda: wi.Glorot(wi.Normal), lambda: wi.Glorot(wi.Uniform, gain="relu")],
    "He": [lambda: wi.He(wi.Uniform, mode="fan_out")],
}
_VARIANTS = [
    lambda: wi.Orthogonal(layout="keras"),
    lambda: wi.Orthogonal(gain=2.0, column_axis=1),
    lambda: wi.DeltaOrthogonal(layout="keras"),
    lambda: wi.Sparse(sparsity=0.3, layout="torch"),
    lambda: wi.Sparse(nonzeros=2),
    lambda: wi.TruncatedNormal(std=1.0, lower=-0.5, upper=3.0),
    lambda: wi.VarianceScaling(2.0, "fan_avg", "uniform", layout="keras"),
    lambda: wi.Dirac(groups=2),
]


def _all_initializers():
    out = []
    for name, cls in sorted(_classes().items()):
        if name in _EXTRA:
            out += [(name, f) for f in _EXTRA[name]]
        else:
            out.append((name, cls))
    out += [(f"variant{i}", f) for i, f in enumerate(_VARIANTS)]
    return out


INITIALIZERS = _all_initializers()


def test_every_registered_class_is_covered():
    covered = {n for n, _ in INITIALIZERS}
    assert set(_classes()) <= covered


@st.composite
def _shape_and_region(draw):
    nd = draw(st.integers(0, 5))
    shape = tuple(draw(st.lists(st.integers(0, 9), min_size=nd, max_size=nd)))
    region = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "slice", "int"] if n else ["slice"]))
        if kind == "int":
            region.append(draw(st.integers(-n, n - 1)))
        else:
            lo = draw(st.integers(0, n))
            hi = draw(st.integers(lo, n))
            region.append(slice(lo, hi))
    return shape, tuple(region)


def _full_or_none(init, shape, dtype, seed, stream):
    try:
        return init.sample(shape, dtype=dtype, rng=seed, stream=stream)
    except ValueError:  # ShapeError: shape unfit for this initializer
        return None


@pytest.mark.parametrize("name,factory", INITIALIZERS, ids=[n for n, _ in INITIALIZERS])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    sr=_shape_and_region(),
    dtype=st.sampled_from(["float16", "float32", "float64"]),
    seed=st.integers(0, 2**64),
    stream=st.integers(0, 2**64 - 1),
)
def test_region_and_offset_blocks_equal_the_full_tensor(name, factory, sr, dtype, seed, stream):
    shape, region = sr
    init = factory()
    full = _full_or_none(init, shape, dtype, seed, stream)
    assume(full is not None)
    part = init.sample(shape, dtype=dtype, rng=seed, stream=stream, region=region)
    expected = full[region]
    assert part.shape == expected.shape
    assert part.tobytes() == np.ascontiguousarray(expected).tobytes()
    # fill(out, shape=, offset=) on the same box (ints widened to length-1 ranges).
    box = tuple(
        slice(r % n, r % n + 1) if isinstance(r, int) else r
        for r, n in zip(region, shape, strict=True)
    )
    start = [b.indices(n)[0] for b, n in zip(box, shape, strict=True)]
    out = np.full(full[box].shape, np.nan, dtype=dtype)
    init.fill(out, rng=seed, stream=stream, shape=shape, offset=start)
    assert out.tobytes() == np.ascontiguousarray(full[box]).tobytes()
