"""Block generation for every registered initializer: any region, and any
``fill(out, shape=, offset=)`` block, equals the same block of the full tensor
bit for bit (issue 5, item 1). Needs no Dask: this is the property the Dask
arrays and ``save_npy`` rest on."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import INITIALIZERS, dtype_names, ids, shape_and_region

from weightinit.lookup import _classes


def test_every_registered_class_is_covered():
    assert set(_classes()) <= {type(i).__name__ for i in INITIALIZERS}


def _full_or_none(init, shape, dtype, seed, stream):
    try:
        return init.sample(shape, dtype=dtype, rng=seed, stream=stream)
    except ValueError:  # ShapeError: shape unfit for this initializer
        return None


@pytest.mark.parametrize("init", INITIALIZERS, ids=ids(INITIALIZERS))
@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(
    sr=shape_and_region(),
    dtype=dtype_names,
    seed=st.integers(0, 2**64),
    stream=st.integers(0, 2**64 - 1),
)
def test_region_and_offset_blocks_equal_the_full_tensor(init, sr, dtype, seed, stream):
    shape, region = sr
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
