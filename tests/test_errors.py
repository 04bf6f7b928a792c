"""Bad input gets a clear exception naming the argument; nothing crashes."""

import numpy as np
import pytest

import weightinit as wi


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        (dict(shape=(-1, 3)), ValueError, "negative dimension"),
        (dict(shape=(2.5, 3)), TypeError, "shape"),
        (dict(shape="abc"), TypeError, "shape"),
        (dict(shape=(2**40, 2**40)), ValueError, "2\\*\\*62"),
        (dict(shape=(3,), dtype=np.int32), TypeError, "dtype"),
        (dict(shape=(3,), dtype=np.clongdouble), TypeError, "dtype"),
        (dict(shape=(3,), rng=-1), ValueError, "rng"),
        (dict(shape=(3,), rng="seed"), TypeError, "rng"),
        (dict(shape=(3,), rng=1.5), TypeError, "rng"),
        (dict(shape=(3,), stream=-5), ValueError, "stream"),
        (dict(shape=(3,), stream=2**64), ValueError, "stream"),
        (dict(shape=(3,), stream=1.0), TypeError, "stream"),
        (dict(shape=(4, 4), region=(slice(0, 2), slice(0, 2), 0)), ValueError, "region"),
        (dict(shape=(4, 4), region=(5,)), ValueError, "region"),
        (dict(shape=(4, 4), region=(slice(0, 4, 2),)), ValueError, "step"),
        (dict(shape=(4, 4), region=("a",)), TypeError, "region"),
        (dict(), TypeError, "shape"),
    ],
)
def test_bad_common_arguments(kwargs, exc, match):
    for f in (wi.random.uniform, wi.random.normal, wi.random.truncated_normal):
        with pytest.raises(exc, match=match):
            f(**kwargs)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: wi.random.normal(3, std=np.nan), ValueError, "std"),
        (lambda: wi.random.normal(3, std=np.inf), ValueError, "std"),
        (lambda: wi.random.normal(3, std=-1.0), ValueError, "std"),
        (lambda: wi.random.normal(3, mean=np.nan), ValueError, "mean"),
        (lambda: wi.random.normal(3, std="x"), TypeError, "std"),
        (lambda: wi.random.uniform(3, 1.0, 1.0), ValueError, "low must be less than high"),
        (lambda: wi.random.uniform(3, 2.0, 1.0), ValueError, "low must be less than high"),
        (lambda: wi.random.uniform(3, np.nan, 1.0), ValueError, "low"),
        (lambda: wi.random.uniform(3, 0.0, np.inf), ValueError, "high"),
        (lambda: wi.random.uniform(3, -1e308, 1e308), ValueError, "overflows"),
        (lambda: wi.random.truncated_normal(3, lower=1.0, upper=1.0), ValueError, "lower"),
        (lambda: wi.random.truncated_normal(3, lower=2.0, upper=-2.0), ValueError, "lower"),
        (lambda: wi.random.truncated_normal(3, lower=np.nan), ValueError, "lower"),
        (lambda: wi.random.truncated_normal(3, lower=40.0, upper=41.0), ValueError, "mass"),
        (lambda: wi.random.truncated_normal(3, std=-0.1), ValueError, "std"),
    ],
)
def test_bad_distribution_parameters(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_out_errors():
    with pytest.raises(TypeError, match="out"):
        wi.random.normal(out=[1.0, 2.0])
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        wi.random.normal(out=np.zeros(3, np.int64))
    ro = np.zeros(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        wi.random.normal(out=ro)
    with pytest.raises(ValueError, match="shape"):
        wi.random.normal((4,), out=np.zeros(3))
    with pytest.raises(ValueError, match="dtype"):
        wi.random.normal(out=np.zeros(3), dtype=np.float32)
    with pytest.raises(ValueError, match="region"):
        wi.random.normal((4, 4), out=np.zeros((2, 2)), region=(slice(0, 3), slice(0, 2)))
    swapped = np.zeros(3, dtype=">f8")
    with pytest.raises((TypeError, ValueError), match="byte order|dtype"):
        wi.random.normal(out=swapped)
    overlapping = np.lib.stride_tricks.as_strided(
        np.zeros(4), shape=(3, 4), strides=(0, 8), writeable=True
    )
    with pytest.raises(ValueError, match="zero stride"):
        wi.random.normal(out=overlapping)


def test_simd_errors():
    with pytest.raises(ValueError, match="unknown instruction set"):
        wi.simd.force("sse9")
    with pytest.raises(TypeError):
        wi.simd.force(3)


def test_threads_errors():
    with pytest.raises(ValueError, match="positive"):
        wi.set_num_threads(0)
    with pytest.raises(TypeError):
        wi.set_num_threads(1.5)


def test_bad_isa_environment_variable_fails_import_clearly():
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-c", "import weightinit"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "WEIGHTINIT_ISA": "mmx"},
    )
    assert r.returncode != 0
    assert "WEIGHTINIT_ISA" in r.stderr and "unknown instruction set" in r.stderr


def test_zero_size_is_fine():
    assert wi.random.normal((0, 5)).shape == (0, 5)
    assert wi.random.uniform((3, 0), dtype=np.float32).shape == (3, 0)
    assert wi.random.normal(()).shape == ()


def test_unpickled_dtype_is_accepted():
    # A dtype that went through pickle (Dask workers) is equal but not identical.
    import pickle

    dt = pickle.loads(pickle.dumps(np.dtype(np.float32)))
    out = np.empty(8, dtype=dt)
    wi.random.normal(out=out, rng=1)
    assert out.tobytes() == wi.random.normal(8, rng=1, dtype=np.float32).tobytes()


def test_unpickled_dtype_is_accepted_by_orthogonal():
    import pickle

    dt = pickle.loads(pickle.dumps(np.dtype(np.float64)))
    out = np.empty((6, 4), dtype=dt)
    wi.Orthogonal().fill(out, rng=2)
    assert out.tobytes() == wi.Orthogonal().sample((6, 4), rng=2).tobytes()
