"""Calls running at the same time on several Python threads (issue 15, points 3-4).

* ``simd.force`` is a process-wide setting that each call reads once, at its
  start: a thread flipping it while others sample must not change a bit.
* ``fill(out)`` writes each element of ``out`` once, with its final value:
  threads filling one array with the same values leave those values, and a
  reader of ``out`` sees each element either as it was or final.

The references are computed before any thread starts; every comparison is
bitwise.
"""

import threading

import numpy as np
import pytest

import weightinit as wi

# Orthogonal shapes above the orgqr threshold (a team of threads, packed GEMM
# operands) and a fill above the element-wise one.
SHAPES = [(512, 256), (300, 300), (1024, 96)]


def _reference_calls():
    calls = []
    for i, shape in enumerate(SHAPES):
        for dt in (np.float32, np.float64):
            calls.append(lambda s=shape, d=dt, i=i: wi.Orthogonal().sample(s, dtype=d, rng=i))
    a = np.random.default_rng(5).standard_normal((400, 300))
    calls.append(lambda: np.concatenate([x.ravel() for x in wi.linalg.qr(a)]))
    calls.append(lambda: wi.random.normal((512, 1024), dtype=np.float32, rng=9))
    return calls


def test_force_in_another_thread_changes_no_bit(num_threads):
    isas = wi.simd.available()
    if len(isas) < 2:
        pytest.skip("one instruction set on this machine")
    num_threads(2)
    calls = _reference_calls()
    with wi.simd.force(isas[-1]):
        want = [c() for c in calls]
    stop = threading.Event()

    def flip():
        i = 0
        while not stop.is_set():
            wi.simd.force(isas[i % len(isas)])
            i += 1

    wrong = []

    def sample(offset):
        for r in range(3):
            for k in range(len(calls)):
                j = (k + offset) % len(calls)
                got = calls[j]()
                if not np.array_equal(got, want[j]):
                    wrong.append((j, r))

    flipper = threading.Thread(target=flip)
    samplers = [threading.Thread(target=sample, args=(t,)) for t in range(3)]
    flipper.start()
    for t in samplers:
        t.start()
    for t in samplers:
        t.join()
    stop.set()
    flipper.join()
    assert wrong == []


@pytest.mark.parametrize(
    "init, shape",
    [
        (wi.Orthogonal(), (1024, 256)),
        (wi.Orthogonal(gain=2.0), (256, 1024)),
        (wi.Orthogonal(), (128, 16, 3)),
        (wi.DeltaOrthogonal(), (256, 128, 3, 3)),
        (wi.Normal(), (1024, 256)),
    ],
    ids=["orthogonal tall", "orthogonal wide", "orthogonal 3-D", "delta orthogonal", "normal"],
)
def test_concurrent_fills_of_one_array_with_the_same_values(init, shape, num_threads):
    num_threads(2)
    for dtype in (np.float64, np.float16):
        out = np.zeros(shape, dtype=dtype)
        errors = []

        def fill(out=out, errors=errors):
            try:
                for _ in range(3):
                    init.fill(out, rng=11)
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=fill) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        np.testing.assert_array_equal(out, init.sample(shape, dtype=dtype, rng=11), strict=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_reader_sees_old_or_final_values_only(dtype, num_threads):
    num_threads(2)
    shape = (1024, 512)
    want = wi.Orthogonal().sample(shape, dtype=dtype, rng=2)
    out = np.full(shape, np.nan, dtype=dtype)
    done = threading.Event()

    def fill():
        wi.Orthogonal().fill(out, rng=2)
        done.set()

    writer = threading.Thread(target=fill)
    writer.start()
    snapshots = 0
    while not done.is_set() or snapshots == 0:
        seen = out.copy()
        snapshots += 1
        stale = np.isnan(seen)
        # Everything that is not the NaN it started as is final.
        np.testing.assert_array_equal(seen[~stale], want[~stale])
    writer.join()
    np.testing.assert_array_equal(out, want)
