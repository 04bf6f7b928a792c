"""weightinit.save_npy: bit-identical to the in-memory sample for any block
size, bounded memory, no partial file under the target name."""

import contextlib
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _env import child_env
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import dtype_names, initializers, shapes

import weightinit as wi
from weightinit import npy


@contextlib.contextmanager
def tiny_blocks():
    """Let chunk_bytes go below npy.MIN_CHUNK_BYTES, to test many small blocks."""
    saved = npy.MIN_CHUNK_BYTES
    npy.MIN_CHUNK_BYTES = 1
    try:
        yield
    finally:
        npy.MIN_CHUNK_BYTES = saved


def _same(a, b):
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    )


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(
    init=initializers,
    shape=shapes(),
    dtype=dtype_names,
    chunk_bytes=st.integers(1, 4096),
    seed=st.integers(0, 2**32),
    stream=st.integers(0, 99),
)
def test_file_equals_in_memory_sample(tmp_path, init, shape, dtype, chunk_bytes, seed, stream):
    try:
        expected = init.sample(shape, dtype=dtype, rng=seed, stream=stream)
    except ValueError:
        assume(False)
    path = tmp_path / "w.npy"
    with tiny_blocks():
        saved = npy.save_npy(
            path,
            init,
            shape,
            dtype=dtype,
            rng=seed,
            stream=stream,
            chunk_bytes=chunk_bytes,
            progress=False,
        )
    assert saved == path
    assert _same(np.load(path), expected)
    assert _same(np.load(path, mmap_mode="r"), expected)
    assert sorted(os.listdir(tmp_path)) == ["w.npy"]


def test_blocks_cover_the_tensor_once_and_respect_the_limit():
    shape, itemsize = (7, 5, 300), 4
    for limit in (1, 4, 1200, 6000, 10**9):
        seen = np.zeros(shape, dtype=int)
        for start, extent in npy.plan_blocks(wi.Normal(), shape, np.float32, limit):
            seen[tuple(slice(s, s + e) for s, e in zip(start, extent, strict=True))] += 1
            assert np.prod(extent) * itemsize <= max(limit, itemsize)
        assert (seen == 1).all()
    # Tall orthogonal weights are cut along their columns (rows stay whole).
    blocks = list(npy.plan_blocks(wi.Orthogonal(), (1000, 100), np.float64, 80_000))
    assert all(start[0] == 0 and extent[0] == 1000 for start, extent in blocks)
    assert len(blocks) == 10


def test_name_generator_and_default_dtype(tmp_path):
    p = wi.save_npy(tmp_path / "a.npy", "he_uniform", (30, 20), rng=wi.Generator(3), progress=False)
    g = wi.Generator(3)
    assert _same(np.load(p), wi.HeUniform().sample((30, 20), rng=g))  # stream 0, float64
    # A Generator without stream= gives each call the next stream, as sample does.
    g = wi.Generator(3)
    wi.save_npy(tmp_path / "b.npy", "normal", 10, rng=g, progress=False)
    wi.save_npy(tmp_path / "c.npy", "normal", 10, rng=g, progress=False)
    h = wi.Generator(3)
    assert _same(np.load(tmp_path / "b.npy"), wi.Normal().sample(10, rng=h))
    assert _same(np.load(tmp_path / "c.npy"), wi.Normal().sample(10, rng=h))


@pytest.mark.parametrize(
    "kwargs,error",
    [
        ({"init": "no_such_init"}, ValueError),
        ({"shape": (-1, 3)}, ValueError),
        ({"shape": (3, 4, 5), "init": "sparse"}, ValueError),
        ({"dtype": "int32"}, TypeError),
        ({"chunk_bytes": 0}, ValueError),
        ({"chunk_bytes": 1.5}, TypeError),
    ],
)
def test_bad_arguments_raise_before_any_file_exists(tmp_path, kwargs, error):
    args = {"init": "normal", "shape": (4, 4), **kwargs}
    with pytest.raises(error):
        wi.save_npy(tmp_path / "w.npy", progress=False, **args)
    assert os.listdir(tmp_path) == []


def test_unwritable_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        wi.save_npy(tmp_path / "missing" / "w.npy", "normal", 4, progress=False)


def test_interrupt_leaves_no_partial_file_and_keeps_an_old_one(tmp_path, monkeypatch):
    target = tmp_path / "w.npy"
    target.write_bytes(b"old contents")
    calls = {"n": 0}
    real_fill = wi.Normal.fill

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_fill(self, *args, **kwargs)

    monkeypatch.setattr(wi.Normal, "fill", interrupted)
    monkeypatch.setattr(npy, "MIN_CHUNK_BYTES", 1)  # several blocks of 1 KiB
    with pytest.raises(KeyboardInterrupt):
        wi.save_npy(target, wi.Normal(), (64, 64), chunk_bytes=1024, progress=False)
    assert os.listdir(tmp_path) == ["w.npy"]
    assert target.read_bytes() == b"old contents"


def test_full_disk_is_a_clear_error_and_removes_the_partial_file(tmp_path, monkeypatch):
    def no_space(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "posix_fallocate", no_space, raising=False)
    with pytest.raises(OSError, match=r"No space left.*w\.npy needs 4\.0 MiB") as info:
        wi.save_npy(tmp_path / "w.npy", "normal", (1024, 1024), dtype="float32", progress=False)
    assert info.value.errno == errno.ENOSPC
    assert os.listdir(tmp_path) == []


def test_real_full_filesystem_if_a_small_tmpfs_is_available(tmp_path):
    # /dev/shm may be small in containers; use it only when it is too small for the file.
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm")
    free = os.statvfs(shm).f_bavail * os.statvfs(shm).f_frsize
    if free > 2 << 30:
        pytest.skip(f"/dev/shm has {free >> 20} MiB free: too large to fill in a test")
    target = shm / f"weightinit-test-{os.getpid()}.npy"
    n = (free // 4) + (1 << 20)
    with pytest.raises(OSError, match="No space left"):
        wi.save_npy(target, "normal", n, dtype="float32", progress=False)
    assert not any(p.name.startswith(f".{target.name}") for p in shm.iterdir())
    assert not target.exists()


def test_no_progress_output_when_not_a_terminal(tmp_path, capfd):
    wi.save_npy(tmp_path / "w.npy", "normal", (256, 256), chunk_bytes=4096)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_bar_when_forced(tmp_path, capfd, monkeypatch):
    tqdm = pytest.importorskip("tqdm")
    real = tqdm.tqdm
    monkeypatch.setattr(tqdm, "tqdm", lambda *a, **k: real(*a, **{**k, "delay": 0}))
    wi.save_npy(tmp_path / "w.npy", "normal", (256, 256), chunk_bytes=4096, progress=True)
    _, err = capfd.readouterr()
    assert "w.npy" in err and "100%" in err


_PEAK = r"""
import json, os, resource, sys
import weightinit as wi
limit, shape = int(sys.argv[1]), tuple(json.loads(sys.argv[2]))
name, path = sys.argv[3], sys.argv[4]
wi.save_npy(path + ".warm", name, (64, 64), dtype="float32", rng=0, progress=False)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
wi.save_npy(path, name, shape, dtype="float32", rng=0, chunk_bytes=limit, progress=False)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"before": before, "after": after, "size": os.path.getsize(path)}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
@pytest.mark.parametrize(
    "name,shape,allowance",
    [
        ("glorot_uniform", (8192, 2048), 8 << 20),
        # Orthogonal: the core's O(rows * 128) reflector panels and GEMM packing come on top.
        ("orthogonal", (2048, 1024), 24 << 20),
    ],
)
def test_peak_memory_stays_near_the_limit(tmp_path, name, shape, allowance):
    limit = 8 << 20
    env = child_env()
    p = subprocess.run(
        [sys.executable, "-c", _PEAK, str(limit), json.dumps(shape), name, str(tmp_path / "w.npy")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    if name != "orthogonal":
        assert r["size"] >= 8 * limit
    growth = r["after"] - r["before"]
    assert growth <= limit + allowance, f"peak RSS grew by {growth / 2**20:.1f} MiB"
    expected = wi.get(name).sample(shape, dtype="float32", rng=0)
    assert _same(np.load(tmp_path / "w.npy", mmap_mode="r"), expected)
