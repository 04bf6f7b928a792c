"""Regression tests for what tests/fuzz found after issue 15's listed points were fixed:
each was an unclear error (not naming its argument), a hang or a silent wrong value."""

from __future__ import annotations

import numpy as np
import pytest

import weightinit as wi


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: wi.save_npy(3, "normal", (4, 4), rng=0), TypeError, "path must be"),
        (lambda: wi.save_npy(b"w.npy", "normal", (4, 4), rng=0), TypeError, "path must be"),
        (lambda: wi.save_npy("w\x00.npy", "normal", (4, 4), rng=0), ValueError, "path must not"),
        (lambda: wi.random.normal(3, dtype="float32\ud800"), TypeError, "dtype must be"),
        (lambda: wi.linalg.orthogonal(7, 5, columns=slice(None, "a")), TypeError, "columns"),
        (lambda: wi.linalg.orthogonal(7, 2**62), wi.ShapeError, "rows/cols"),
        (lambda: wi.linalg.orthogonal(2**70, 5), wi.ShapeError, "rows/cols"),
        (lambda: wi.linalg.qr(np.ones((3, 2), np.complex128)), TypeError, "a must hold real"),
        (lambda: wi.ConvolutionOrthogonal2D(gain=-3e116).sample((6, 5, 3, 3), "float32"),
         ValueError, "gain="),
        (lambda: wi.Hadamard(gain=1e300).sample((4, 4), "float32"), ValueError, "gain="),
        (lambda: wi.UniformScaling(1e300).sample((4, 4), "float32"), ValueError, "scale"),
    ],
)  # fmt: skip
def test_clear_errors_name_the_argument(tmp_path, monkeypatch, call, error, message):
    monkeypatch.chdir(tmp_path)
    wi.set_seed(0)
    reference = wi.random.normal(2)
    wi.set_seed(0)
    with pytest.raises(error, match=message):
        call()
    np.testing.assert_array_equal(wi.random.normal(2), reference)  # no stream was taken
    assert list(tmp_path.iterdir()) == []


def test_simd_force_of_a_path_the_cpu_lacks_is_a_value_error():
    missing = [n for n in ("scalar", "avx2", "avx512") if n not in wi.simd.available()]
    with pytest.raises(ValueError, match="name='nosuchpath'"):
        wi.simd.force("nosuchpath")
    if missing:
        with pytest.raises(ValueError, match=f"name='{missing[0]}'.*available here"):
            wi.simd.force(missing[0])


def test_dask_chunks_are_checked_and_the_block_count_bounded():
    pytest.importorskip("dask")
    import weightinit.dask as wd

    for chunks in (0, -2, "bad", (0, 5)):
        with pytest.raises(ValueError, match="chunks"):
            wd.sample("normal", (10, 5), chunks=chunks, rng=6)
    with pytest.raises(ValueError, match="blocks for shape"):
        wd.sample("normal", (2**22, 2**22), rng=6, dtype="float32")  # 525,625 blocks
    assert wd.sample("normal", (2**20, 2**20), rng=6, dtype="float32").npartitions <= wd.MAX_BLOCKS


@pytest.mark.parametrize("fn", [wi.random.normal, wi.random.uniform, wi.random.truncated_normal])
def test_complex_zero_dimensional_out(fn):
    out = np.zeros((), np.complex64)
    fn(None, out=out, rng=7)
    assert out == fn(1, dtype="complex64", rng=7)[0]
