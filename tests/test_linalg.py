"""weightinit.linalg: qr against numpy's conventions, orthogonalize, the GEMM."""

import pickle

import numpy as np
import pytest
from conftest import THREAD_COUNTS
from hypothesis import given
from hypothesis import strategies as st

import weightinit as wi
from weightinit import _core

EPS = {np.float32: np.finfo(np.float32).eps, np.float64: np.finfo(np.float64).eps}


def check_qr(a, dtype):
    m, n = a.shape
    k = min(m, n)
    q, r = wi.linalg.qr(a.astype(dtype))
    assert q.shape == (m, k) and r.shape == (k, n) and q.dtype == dtype and r.dtype == dtype
    assert (np.tril(r, -1) == 0).all()
    a64, q64, r64 = a.astype(np.float64), q.astype(np.float64), r.astype(np.float64)
    scale = max(np.linalg.norm(a64), 1e-300)
    tol = 10 * max(m, n, 8) * EPS[dtype]
    assert np.linalg.norm(a64 - q64 @ r64) <= tol * scale
    assert np.abs(q64.T @ q64 - np.eye(k)).max() <= tol
    return q, r


@given(
    m=st.integers(1, 90),
    n=st.integers(1, 90),
    rank=st.integers(0, 90),
    f32=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_qr_properties(m, n, rank, f32, seed):
    rng = np.random.default_rng(seed)
    rank = min(rank, m, n)
    a = (
        rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n))
        if rank < min(m, n)
        else rng.standard_normal((m, n))
    )
    check_qr(a, np.float32 if f32 else np.float64)


@pytest.mark.parametrize("shape", [(1, 1), (300, 200), (200, 300), (257, 257), (500, 70)])
def test_qr_matches_numpy_up_to_column_signs(shape):
    a = np.random.default_rng(1).standard_normal(shape)
    q, r = check_qr(a, np.float64)
    qn, rn = np.linalg.qr(a)
    s = np.sign(np.diagonal(r)) * np.sign(np.diagonal(rn))
    assert np.allclose(q * s, qn, atol=1e-10)
    assert np.allclose(r * s[:, None], rn, atol=1e-10)


def test_qr_modes():
    a = np.random.default_rng(2).standard_normal((7, 4))
    q, r = wi.linalg.qr(a, mode="complete")
    assert q.shape == (7, 7) and r.shape == (7, 4)
    assert np.allclose(q @ r, a) and np.allclose(q.T @ q, np.eye(7))
    assert (wi.linalg.qr(a, mode="r") == wi.linalg.qr(a)[1]).all()
    qs, rs = wi.linalg.qr(np.stack([a, 2 * a]))
    assert qs.shape == (2, 7, 4) and np.allclose(qs[1] @ rs[1], 2 * a)
    assert wi.linalg.qr(np.arange(6).reshape(2, 3)).Q.dtype == np.float64


def test_qr_errors():
    with pytest.raises(ValueError, match="NaN or infinity"):
        wi.linalg.qr(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="NaN or infinity"):
        wi.linalg.qr(np.array([[1.0, np.inf]]))
    with pytest.raises(ValueError, match="mode"):
        wi.linalg.qr(np.eye(2), mode="full")
    with pytest.raises(ValueError, match="2 dimensions"):
        wi.linalg.qr(np.ones(3))
    with pytest.raises(TypeError):
        wi.linalg.qr(np.eye(2, dtype=complex))


def test_qr_extreme_scale_and_zero():
    a = np.random.default_rng(3).standard_normal((20, 10))
    for s in (1e-300, 1e300):
        q, r = wi.linalg.qr(a * s)
        assert np.isfinite(q).all() and np.allclose(q.T @ q, np.eye(10))
    q, r = wi.linalg.qr(np.zeros((4, 3)))
    assert np.allclose(q.T @ q, np.eye(3)) and (r == 0).all()


def test_qr_bit_identical_threads_and_isas(isa, num_threads):
    # Sized so that every threaded step runs on a team (the core's threshold in flops):
    # geqrf's first trailing update (larfb, 4 m nb (n - nb) flops, nb = 64 here) and orgqr
    # (256 modelled flops per element of Q for the identity fill alone).
    threshold = wi._core.PARALLEL_THRESHOLDS["orgqr_flops"]
    m, n = 400, 300
    nb = _core.linalg_block_size(m, n)
    assert 4 * m * nb * (n - nb) >= threshold and 256 * m * n >= threshold
    a = np.random.default_rng(4).standard_normal((m, n))
    num_threads(1)
    with wi.simd.force("scalar"):
        ref = wi.linalg.qr(a)
    for t in THREAD_COUNTS:
        num_threads(t)
        q, r = wi.linalg.qr(a)
        assert (q == ref.Q).all() and (r == ref.R).all(), (isa, t)


def test_orthogonalize():
    rng = np.random.default_rng(5)
    w = rng.standard_normal((30, 4, 5))
    q = wi.linalg.orthogonalize(w)
    m = q.reshape(30, 20)
    assert q.shape == w.shape and np.allclose(m.T @ m, np.eye(20))
    # Sign-fixed: Q^T W has a positive diagonal (W = Q R with diag(R) > 0).
    assert (np.diagonal(m.T @ w.reshape(30, 20)) > 0).all()
    wide = rng.standard_normal((3, 9)).astype(np.float32)
    qw = wi.linalg.orthogonalize(wide)
    assert qw.dtype == np.float32 and np.allclose(qw @ qw.T, np.eye(3), atol=1e-6)
    assert (np.diagonal(wide @ qw.T) > 0).all()
    qk = wi.linalg.orthogonalize(w, column_axis=-1)
    mk = qk.reshape(120, 5)
    assert np.allclose(mk.T @ mk, np.eye(5))
    # Orthogonalizing an orthogonal matrix with positive R is the identity map.
    assert np.allclose(wi.linalg.orthogonalize(q), q)
    with pytest.raises(ValueError):
        wi.linalg.orthogonalize(np.array([[np.nan, 1.0], [1.0, 1.0]]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("mnk", [(1, 1, 1), (17, 29, 3), (33, 15, 700), (130, 90, 64)])
def test_gemm_accuracy_and_isa_identity(mnk, order, dtype):
    m, n, k = mnk
    rng = np.random.default_rng(6)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)[:, ::-1]
    c0 = np.asarray(rng.standard_normal((m, n)).astype(dtype), order=order)
    results = []
    for isa in wi.simd.available():
        with wi.simd.force(isa):
            c = c0.copy(order=order)
            _core.gemm_update(a, b, c, True)
            results.append(c)
    exact = c0.astype(np.float64) - a.astype(np.float64) @ b.astype(np.float64)
    bound = 2 * k * EPS[dtype] * (np.abs(a).astype(np.float64) @ np.abs(b) + np.abs(c0))
    assert (np.abs(results[0] - exact) <= bound).all()
    for r in results[1:]:
        assert (r == results[0]).all()


def test_orthogonal_sampler_api():
    q = wi.linalg.orthogonal(6, 4, rng=1, gain=3.0)
    assert q.shape == (6, 4) and np.allclose(q.T @ q, 9 * np.eye(4))
    q = wi.linalg.orthogonal(4, 6, dtype=np.float32, rng=1)
    assert (
        q.shape == (4, 6) and q.dtype == np.float32 and np.allclose(q @ q.T, np.eye(4), atol=1e-6)
    )
    with pytest.raises(TypeError):
        wi.linalg.orthogonal(3, dtype=np.int32)
    with pytest.raises(ValueError):
        wi.linalg.orthogonal(-1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_core_compares_dtypes_by_equality(dtype):
    # A dtype that went through pickle (as on Dask workers) is equal to np.float64 but a
    # distinct object: the core must take it wherever it asks for "a's dtype".
    unpickled = pickle.loads(pickle.dumps(np.dtype(dtype)))
    assert unpickled == dtype and unpickled is not np.dtype(dtype)
    a0 = np.asfortranarray(np.random.default_rng(2).standard_normal((6, 4)).astype(dtype))
    ref_a, ref_tau, ref_q = a0.copy(order="F"), np.empty(4, dtype), np.empty((6, 4), dtype)
    _core.geqrf(ref_a, ref_tau)
    _core.orgqr(ref_a, ref_tau, ref_q)

    a, tau, q = a0.copy(order="F"), np.empty(4, unpickled), np.empty((6, 4), unpickled)
    _core.geqrf(a, tau)
    _core.orgqr(a, tau, q)
    assert a.tobytes() == ref_a.tobytes() and tau.tobytes() == ref_tau.tobytes()
    assert q.tobytes() == ref_q.tobytes()

    c, ref_c = np.zeros((6, 6), unpickled), np.zeros((6, 6), dtype)
    _core.gemm_update(a0, a0.T, c)
    _core.gemm_update(a0, a0.T, ref_c)
    assert c.tobytes() == ref_c.tobytes()
    a64 = a0.astype(np.float64)
    with pytest.raises(TypeError, match="same dtype"):
        _core.gemm_update(a64, a64.T, np.zeros((6, 6), np.float32))
