"""weightinit.dask.sample: lazy Dask arrays equal to the in-memory sample bit
for bit for any chunking, with the threaded scheduler and a real
dask.distributed LocalCluster of worker processes."""

import logging
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from _env import child_env, python_path
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import dtype_names, initializers, shape_and_chunks

import weightinit as wi

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import weightinit.dask as wd  # noqa: E402


def _same(a, b):
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    )


def test_import_weightinit_does_not_import_dask():
    code = "import sys, weightinit; assert 'dask' not in sys.modules, 'dask imported'"
    env = child_env()
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert p.returncode == 0, p.stderr


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(
    init=initializers,
    sc=shape_and_chunks(),
    dtype=dtype_names,
    seed=st.integers(0, 2**64),
    stream=st.one_of(st.integers(0, 2**64 - 1), st.text(max_size=8)),
)
def test_any_chunking_equals_in_memory_sample(init, sc, dtype, seed, stream):
    shape, chunks = sc
    try:
        expected = init.sample(shape, dtype=dtype, rng=seed, stream=stream)
    except ValueError:
        assume(False)
    arr = wd.sample(init, shape, chunks=chunks, dtype=dtype, rng=seed, stream=stream)
    assert isinstance(arr, da.Array)
    assert arr.chunks == chunks and arr.dtype == np.dtype(dtype)
    assert _same(arr.compute(scheduler="threads"), expected)
    if arr.ndim and arr.size:  # slicing the lazy array generates only the blocks it needs
        region = tuple(slice(n // 3, n - n // 4) for n in shape)
        assert _same(arr[region].compute(scheduler="sync"), expected[region])


def test_auto_chunks_keep_orthogonal_rows_whole_and_names_are_deterministic():
    tall = wd.sample(wi.Orthogonal(), (40_000, 4_000), dtype="float32", rng=0)
    assert tall.chunks[0] == (40_000,) and len(tall.chunks[1]) > 1
    wide = wd.sample("orthogonal", (4_000, 40_000), dtype="float32", rng=0)
    assert wide.chunks[1] == (40_000,) and len(wide.chunks[0]) > 1
    a = wd.sample("normal", (100, 100), chunks=30, rng=1, stream=2)
    assert a.name == wd.sample("normal", (100, 100), chunks=30, rng=1, stream=2).name
    assert a.name != wd.sample("normal", (100, 100), chunks=30, rng=1, stream=3).name
    assert a.name != wd.sample("uniform", (100, 100), chunks=30, rng=1, stream=2).name


def test_generator_stream_is_resolved_once():
    g = wi.Generator(11)
    a = wd.sample("glorot_uniform", (50, 40), chunks=(7, 9), rng=g)
    b = wd.sample("glorot_uniform", (50, 40), chunks=(7, 9), rng=g)
    h = wi.Generator(11)
    first = wi.GlorotUniform().sample((50, 40), rng=h)
    second = wi.GlorotUniform().sample((50, 40), rng=h)
    # Computing twice (and in any order) repeats the values: the stream is in the graph.
    assert _same(b.compute(), second) and _same(a.compute(), first) and _same(a.compute(), first)


def test_graph_pickles():
    arr = wd.sample(wi.HeUniform(gain="relu"), (30, 20), chunks=(8, 8), dtype="float32", rng=4)
    graph = dict(arr.__dask_graph__())
    restored = pickle.loads(pickle.dumps(graph))
    out = dask.get(restored, arr.__dask_keys__())
    expected = wi.HeUniform(gain="relu").sample((30, 20), "float32", rng=4)
    assert _same(np.block([list(row) for row in out]), expected)


def test_bad_arguments_raise_eagerly():
    with pytest.raises(ValueError, match="unknown initializer"):
        wd.sample("nope", (3, 3))
    with pytest.raises(ValueError):
        wd.sample("orthogonal", (5,))
    with pytest.raises(TypeError):
        wd.sample("normal", (3, 3), dtype="int8")
    with pytest.raises(TypeError):
        wd.sample(lambda shape: np.zeros(shape), (3, 3))


def test_distributed_local_cluster_with_worker_processes(monkeypatch):
    distributed = pytest.importorskip("distributed")
    # Workers are new processes: they find weightinit through PYTHONPATH.
    monkeypatch.setenv("PYTHONPATH", python_path())
    with dask.config.set(
        {"distributed.worker.daemon": True, "distributed.logging.distributed": "error"}
    ):
        with (
            distributed.LocalCluster(
                n_workers=2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                silence_logs=logging.ERROR,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            shape = (300, 200)
            for init in (wi.GlorotUniform(), wi.Orthogonal(), wi.Sparse(sparsity=0.1)):
                arr = wd.sample(
                    init, shape, chunks=(70, 90), dtype="float32", rng=9, stream="layer1.weight"
                )
                result = client.compute(arr).result(timeout=60)
                expected = init.sample(shape, dtype="float32", rng=9, stream="layer1.weight")
                assert _same(result, expected)
            # The blocks really ran in more than one worker process.
            pids = client.run(os.getpid)
            assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
