"""weightinit.save_safetensors and init-checkpoint: real safetensors files, read back by
the safetensors package, equal to the in-memory values and to weightinit.torch.initialize."""

import errno
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
from _env import child_env
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import weightinit as wi
from weightinit import checkpoint, cli

DTYPES = ["float16", "bfloat16", "float32", "float64"]
INITS = [
    wi.GlorotUniform(),
    wi.HeNormal(gain="relu", layout="torch"),
    wi.Normal(std=0.5),
    wi.TruncatedNormal(std=1.0),
    wi.Sparse(sparsity=0.3),
    wi.Orthogonal(),
    wi.Orthogonal(layout="keras"),
    wi.Identity(),
    wi.Constant(0.25),
]


def bf16_bits(a32):
    """bfloat16 bits of float32 values, round to nearest even: an independent reference."""
    u = np.ascontiguousarray(a32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def expected_bytes(init, shape, dtype, seed, name):
    if dtype == "bfloat16":
        return bf16_bits(init.sample(shape, "float32", rng=seed, stream=name)).tobytes()
    return init.sample(shape, dtype, rng=seed, stream=name).tobytes()


def read_header(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(n)), 8 + n


def file_bytes(path, name):
    header, start = read_header(path)
    begin, end = header[name]["data_offsets"]
    with open(path, "rb") as f:
        f.seek(start + begin)
        return f.read(end - begin)


def files_in(d):
    return sorted(os.listdir(d))


# --- values ----------------------------------------------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(
    tensors=st.lists(
        st.tuples(
            st.sampled_from(INITS),
            st.lists(st.integers(0, 9), min_size=0, max_size=3).map(tuple),
            st.sampled_from(DTYPES),
        ),
        min_size=1,
        max_size=5,
    ),
    chunk_bytes=st.integers(1, 2048),
    seed=st.integers(0, 2**32),
)
def test_file_equals_in_memory_sample_and_the_reference_writer(
    tmp_path_factory, tensors, chunk_bytes, seed
):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    params = {}
    for i, (init, shape, dtype) in enumerate(tensors):
        try:
            init._check_shape(shape)
        except ValueError:
            assume(False)
        params[f"layer{i}.weight"] = (shape, dtype, init)
    d = tmp_path_factory.mktemp("ckpt")
    files = wi.save_safetensors(d, params, rng=seed, chunk_bytes=chunk_bytes, progress=False)
    assert files == [d / "model.safetensors"] and files_in(d) == ["model.safetensors"]
    loaded = st_torch.load_file(files[0])
    reference = {}
    for name, (shape, dtype, init) in params.items():
        data = expected_bytes(init, shape, dtype, seed, name)
        assert file_bytes(files[0], name) == data
        t = loaded[name]
        assert tuple(t.shape) == shape and str(t.dtype) == f"torch.{dtype}"
        bits = {"float16": np.int16, "bfloat16": np.int16, "float32": np.int32}.get(dtype, np.int64)
        reference[name] = torch.from_numpy(np.frombuffer(data, bits).reshape(shape).copy()).view(
            t.dtype
        )
    # Byte for byte what safetensors' own writer makes of the in-memory tensors.
    assert files[0].read_bytes() == st_torch.save(reference)


@pytest.mark.parametrize("dtype", DTYPES)
def test_loads_with_safetensors_numpy(tmp_path, dtype):
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")  # numpy's bfloat16 dtype, which safetensors.numpy uses
    params = {
        "w": ((48, 32), dtype, wi.GlorotUniform()),
        "b": ((32,), dtype, "zeros"),
        "q": ((16, 16), dtype, wi.Orthogonal()),
    }
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    (path,) = wi.save_safetensors(tmp_path, params, rng=3, chunk_bytes=256, progress=False)
    loaded = safetensors_numpy.load_file(path)
    assert set(loaded) == set(params)
    for name, (shape, _, init) in params.items():
        a = loaded[name]
        assert a.shape == shape and a.dtype.name == dtype
        assert a.tobytes() == expected_bytes(wi.get(init), shape, dtype, 3, name)


def test_generator_and_global_rng_give_the_values_of_explicit_streams(tmp_path):
    params = {"a": ((5, 7), "float32", "normal"), "b": ((3,), "float64", "uniform")}
    g = wi.Generator(11)
    (p,) = wi.save_safetensors(tmp_path / "g", params, rng=g, progress=False)
    assert g.next_stream() == 0  # the generator is not advanced: every tensor names its stream
    for name, (shape, dtype, init) in params.items():
        assert file_bytes(p, name) == expected_bytes(wi.get(init), shape, dtype, 11, name)
    wi.set_seed(12)
    (p,) = wi.save_safetensors(tmp_path / "n", params, progress=False)
    for name, (shape, dtype, init) in params.items():
        assert file_bytes(p, name) == expected_bytes(wi.get(init), shape, dtype, 12, name)


# --- torch models -------------------------------------------------------------------


def _transformer(torch, vocab=97, dim=32, heads=4, dtype=None):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1 = nn.LayerNorm(dim)
            self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
            self.norm2 = nn.LayerNorm(dim)
            self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    class TinyLM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, dim)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.norm = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, vocab, bias=False)
            self.head.weight = self.embed.weight  # tied

    model = TinyLM()
    return model if dtype is None else model.to(dtype)


def _rules(torch):
    nn = torch.nn
    return {
        nn.LayerNorm: {"weight": wi.Ones(), "bias": wi.Zeros()},
        nn.Embedding: wi.Normal(std=0.02),
        "*.bias": wi.Zeros(),
        "*in_proj_bias": wi.Zeros(),
        "*.weight": wi.HeNormal(gain="relu"),
        "*in_proj_weight": wi.GlorotUniform(),
    }


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_meta_model_checkpoint_equals_initialize_of_the_eager_model(tmp_path, dtype):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    import weightinit.torch as wit

    tdtype = getattr(torch, dtype)
    eager = _transformer(torch, dtype=tdtype)
    wit.initialize(eager, _rules(torch), rng=7)
    with torch.device("meta"):
        meta = _transformer(torch, dtype=tdtype)
    files = wi.save_safetensors(
        tmp_path, meta, rng=7, rules=_rules(torch), chunk_bytes=512, progress=False
    )
    assert files == [tmp_path / "model.safetensors"]
    loaded = st_torch.load_file(files[0])
    params = dict(eager.named_parameters())  # tied: head.weight is not listed again
    assert "head.weight" not in params and set(loaded) == set(params)
    for name, p in params.items():
        assert loaded[name].dtype == tdtype
        assert torch.equal(loaded[name].view(torch.int8), p.detach().view(torch.int8)), name
    header, _ = read_header(files[0])
    assert header["__metadata__"] == {"format": "pt", "head.weight": "embed.weight"}
    # The file takes back its place in a fresh model.
    fresh = _transformer(torch, dtype=tdtype)
    missing, unexpected = fresh.load_state_dict(loaded, strict=False)
    assert missing == ["head.weight"] and unexpected == []  # the alias, tied to embed.weight
    for name, p in fresh.state_dict().items():
        assert torch.equal(p.view(torch.int8), eager.state_dict()[name].view(torch.int8))


def test_sharded_model_checkpoint_loads_through_its_index(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    import weightinit.torch as wit

    eager = wit.initialize(_transformer(torch), _rules(torch), rng=1)
    with torch.device("meta"):
        meta = _transformer(torch)
    files = wi.save_safetensors(
        tmp_path, meta, rng=1, rules=_rules(torch), max_shard_size="20KB", progress=False
    )
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert files[-1].name == "model.safetensors.index.json" and len(files) > 3
    merged = {}
    for f in files[:-1]:
        merged.update(st_torch.load_file(f))
    assert set(index["weight_map"]) == set(merged)
    assert index["metadata"] == {
        "total_size": sum(p.numel() * 4 for _, p in eager.named_parameters()),
        "head.weight": "embed.weight",
    }
    for name, p in eager.named_parameters():
        assert torch.equal(merged[name], p.detach()), name
        assert name in st_torch.load_file(tmp_path / index["weight_map"][name])


def test_model_parameters_without_an_initializer_are_an_error(tmp_path):
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        meta = _transformer(torch)
    rules = {
        torch.nn.LayerNorm: {"weight": wi.Ones()},
        "*.weight": wi.GlorotUniform(),
        "norm.bias": None,
    }
    with pytest.raises(ValueError, match=r"no rule gives an initializer") as info:
        wi.save_safetensors(tmp_path / "c", meta, rng=0, rules=rules, progress=False)
    assert "'norm.bias'" in str(info.value) and "'blocks.0.attn.in_proj_bias'" in str(info.value)
    with pytest.raises(TypeError, match="rules="):
        wi.save_safetensors(tmp_path / "c", meta, rng=0, progress=False)
    with pytest.raises(TypeError, match="rules="):
        wi.save_safetensors(tmp_path / "c", {"a": ((2,), "float32", "zeros")}, rules={}, rng=0)
    assert files_in(tmp_path) == []


def test_same_files_as_huggingface_hub_save_torch_state_dict(tmp_path):
    # huggingface_hub's writer on the eager model's state dict, tied head discarded as
    # transformers does: the same file names, index and tensor bytes.
    torch = pytest.importorskip("torch")
    hub = pytest.importorskip("huggingface_hub.serialization")
    import weightinit.torch as wit

    eager = wit.initialize(_transformer(torch), _rules(torch), rng=5)
    (tmp_path / "hf").mkdir()
    hub.save_torch_state_dict(
        eager.state_dict(),
        tmp_path / "hf",
        max_shard_size="30KB",
        shared_tensors_to_discard=["head.weight"],
    )
    with torch.device("meta"):
        meta = _transformer(torch)
    wi.save_safetensors(
        tmp_path / "wi", meta, rng=5, rules=_rules(torch), max_shard_size="30KB", progress=False
    )
    assert files_in(tmp_path / "wi") == files_in(tmp_path / "hf")
    assert len(files_in(tmp_path / "hf")) > 3  # sharded, with an index
    ours = json.loads((tmp_path / "wi" / "model.safetensors.index.json").read_text())
    theirs = json.loads((tmp_path / "hf" / "model.safetensors.index.json").read_text())
    assert ours == theirs
    for name in files_in(tmp_path / "hf"):
        if name.endswith(".safetensors"):
            a, b = tmp_path / "wi" / name, tmp_path / "hf" / name
            (ha, sa), (hb, sb) = read_header(a), read_header(b)
            hb["__metadata__"] = {**ha["__metadata__"], **hb["__metadata__"]}  # ours has the alias
            assert ha == hb
            assert a.read_bytes()[sa:] == b.read_bytes()[sb:]


# --- sharding --------------------------------------------------------------------


def hf_reference_split(sizes, limit):
    """Hugging Face's documented rule, restated: walk the tensors in order; one larger
    than the limit is a shard by itself (appended when met); otherwise the current shard
    is closed when the tensor would take it past the limit."""
    shards, current = [], []
    for name, size in sizes:
        if size > limit:
            shards.append([name])
        elif sum(s for n, s in sizes if n in current) + size > limit:
            shards.append(current)
            current = [name]
        else:
            current.append(name)
    return shards + ([current] if current else [])


def test_shard_split_follows_hugging_face(tmp_path):
    # float32 sizes in bytes: 4000, 2400, 12000 (over the limit), 1600, 4000, 400, 8
    shapes = [(1000,), (600,), (3000,), (400,), (1000,), (100,), (2,)]
    params = {f"t{i}": (s, "float32", "normal") for i, s in enumerate(shapes)}
    limit = 6400
    files = wi.save_safetensors(tmp_path, params, rng=0, max_shard_size=limit, progress=False)
    expected = hf_reference_split([(n, math.prod(s) * 4) for n, (s, _, _) in params.items()], limit)
    assert expected == [["t2"], ["t0", "t1"], ["t3", "t4", "t5", "t6"]]  # the big one first
    names = [f"model-{i:05d}-of-00003.safetensors" for i in (1, 2, 3)]
    assert [f.name for f in files] == [*names, "model.safetensors.index.json"]
    assert files_in(tmp_path) == sorted(names + ["model.safetensors.index.json"])
    index = json.loads(files[-1].read_text())
    assert index["metadata"] == {"total_size": sum(math.prod(s) * 4 for s in shapes)}
    assert index["weight_map"] == {n: names[i] for i, shard in enumerate(expected) for n in shard}
    for name, shard in zip(names, expected):
        header, _ = read_header(tmp_path / name)
        assert sorted(header) == sorted(shard)  # no __metadata__ for a mapping without it
        for n in shard:
            shape, dtype, init = params[n]
            assert header[n]["shape"] == list(shape)
            assert file_bytes(tmp_path / name, n) == expected_bytes(
                wi.get(init), shape, dtype, 0, n
            )
    # A limit that everything fits in: one file, no index, and the old shards are gone.
    files = wi.save_safetensors(tmp_path, params, rng=0, max_shard_size="1MB", progress=False)
    assert files_in(tmp_path) == ["model.safetensors"]


@settings(max_examples=100, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 50), min_size=1, max_size=12),
    limit=st.integers(1, 60),
)
def test_split_into_shards_against_the_reference(sizes, limit):
    items = [(f"t{i}", s) for i, s in enumerate(sizes)]
    got = [[n for n, _ in shard] for shard in checkpoint.split_into_shards(items, limit)]
    assert got == hf_reference_split(items, limit)
    for shard in got:
        total = sum(s for n, s in items if n in shard)
        assert total <= limit or len(shard) == 1


@pytest.mark.parametrize(
    "text,value",
    [
        ("5GB", 5 * 10**9),
        ("500MB", 500 * 10**6),
        ("1.5kb", 1500),
        ("2GiB", 2 << 30),
        ("64 MiB", 64 << 20),
        ("1TB", 10**12),
        ("4096", 4096),
        (123, 123),
    ],
)
def test_parse_size(text, value):
    assert checkpoint.parse_size(text) == value


@pytest.mark.parametrize("text", ["5 GBs", "GB", "-1MB", "0", "five", 0, -3])
def test_parse_size_rejects(text):
    with pytest.raises(ValueError, match="max_shard_size"):
        checkpoint.parse_size(text)


# --- bad arguments, interrupted writes, full disks ------------------------------------------


@pytest.mark.parametrize(
    "params,kwargs,error",
    [
        ({"a": ((4, 4), "int32", "normal")}, {}, TypeError),
        ({"a": ((4, 4), "float32", "no_such_init")}, {}, ValueError),
        ({"a": ((3, 4, 5), "float32", "sparse")}, {}, ValueError),
        ({"a": ((-1, 4), "float32", "normal")}, {}, ValueError),
        ({"a": ((4, 4), "float32")}, {}, TypeError),
        ({"__metadata__": ((4,), "float32", "normal")}, {}, ValueError),
        ({}, {}, ValueError),
        ({"a": ((4,), "float32", "normal")}, {"metadata": {"k": 1}}, TypeError),
        ({"a": ((4,), "float32", "normal")}, {"max_shard_size": "big"}, ValueError),
        ({"a": ((4,), "float32", "normal")}, {"chunk_bytes": 0}, ValueError),
        ({"a": ((4,), "float32", "normal")}, {"rng": -1}, ValueError),
        ([("a", (4,))], {}, TypeError),
    ],
)
def test_bad_arguments_raise_before_anything_is_created(tmp_path, params, kwargs, error):
    with pytest.raises(error):
        wi.save_safetensors(tmp_path / "out", params, **{"progress": False, **kwargs})
    assert files_in(tmp_path) == []


def test_target_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(NotADirectoryError):
        wi.save_safetensors(tmp_path / "f", {"a": ((4,), "float32", "normal")}, progress=False)
    assert (tmp_path / "f").read_text() == "x"


class FailsOnBlock(wi.Initializer):
    """Normal(std=1) that raises ``error`` when asked for its ``n``-th block.

    A direct Initializer subclass: test_lasagne_suite walks the subclasses of ours.
    """

    def __init__(self, n, error):
        self.n, self.error, self.calls = n, error, 0
        self.normal = wi.Normal(std=1.0)

    def _fill_block(self, shape, out, start, key, stream):
        self.calls += 1
        if self.calls == self.n:
            raise self.error
        self.normal._fill_block(shape, out, start, key, stream)


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_interrupted_write_leaves_the_old_checkpoint_and_no_temporaries(tmp_path, error, dtype):
    old = {"a": ((64,), "float32", "zeros")}
    wi.save_safetensors(tmp_path, old, rng=0, progress=False)
    before = (tmp_path / "model.safetensors").read_bytes()
    params = {
        "x": ((64, 64), dtype, "normal"),
        "y": ((64, 64), dtype, FailsOnBlock(5, error)),
        "z": ((64, 64), dtype, "normal"),
    }
    with pytest.raises(type(error)):
        wi.save_safetensors(
            tmp_path, params, rng=0, chunk_bytes=1024, max_shard_size=20000, progress=False
        )
    assert params["y"][2].calls == 5
    assert files_in(tmp_path) == ["model.safetensors"]
    assert (tmp_path / "model.safetensors").read_bytes() == before


def test_interrupted_write_removes_the_directory_it_created(tmp_path):
    params = {"y": ((64, 64), "float32", FailsOnBlock(2, KeyboardInterrupt()))}
    with pytest.raises(KeyboardInterrupt):
        wi.save_safetensors(tmp_path / "a" / "b", params, rng=0, chunk_bytes=1024, progress=False)
    assert files_in(tmp_path) == []


def test_free_space_is_checked_before_writing(tmp_path, monkeypatch):
    params = {"w": ((1024, 1024), "float32", "normal"), "b": ((1024,), "float32", "zeros")}
    monkeypatch.setattr(checkpoint, "_free_bytes", lambda d: 1 << 20)
    with pytest.raises(OSError, match=r"No space left on device: writing .*new needs 4\.0 MiB"):
        wi.save_safetensors(tmp_path / "new", params, progress=False)
    assert files_in(tmp_path) == []


@pytest.fixture
def small_tmpfs(tmp_path):
    """A real 2 MiB filesystem (needs root and mount; skipped elsewhere)."""
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {r.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_full_disk_on_a_real_small_filesystem(small_tmpfs, monkeypatch):
    params = {"a": ((256, 1024), "float32", "normal"), "b": ((256, 1024), "float32", "normal")}
    with pytest.raises(
        OSError, match=r"No space left on device: writing .*ckpt needs 2\.0 MiB"
    ) as e:
        wi.save_safetensors(small_tmpfs / "ckpt", params, rng=0, progress=False)
    assert e.value.errno == errno.ENOSPC
    assert files_in(small_tmpfs) == []
    # Past the check (as if the space went while writing): the filesystem itself refuses,
    # the same error, and nothing stays.
    monkeypatch.setattr(checkpoint, "_free_bytes", lambda d: 1 << 40)
    with pytest.raises(OSError, match="No space left on device") as e:
        wi.save_safetensors(
            small_tmpfs / "ckpt", params, rng=0, max_shard_size="1MB", progress=False
        )
    assert e.value.errno == errno.ENOSPC
    assert files_in(small_tmpfs) == []
    # What fits is written.
    wi.save_safetensors(small_tmpfs / "ckpt", {"a": params["a"]}, rng=0, progress=False)
    assert files_in(small_tmpfs / "ckpt") == ["model.safetensors"]


_WRITER = r"""
import sys, weightinit as wi
out, n = sys.argv[1], int(sys.argv[2])
params = {f"layer{i}.weight": ((2048, 2048), "float32", "normal") for i in range(n)}
wi.save_safetensors(out, params, rng=0, chunk_bytes=4096, max_shard_size="20MB", progress=False)
"""


def _start_writer(tmp_path, n=16):
    # 16 x 16 MiB in 4 KiB blocks: tens of thousands of blocks, seconds of work.
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path / "ckpt"), str(n)],
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_temporary(proc, directory):
    deadline = time.monotonic() + 30
    while not (directory.is_dir() and any(n.endswith(".part") for n in os.listdir(directory))):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no temporary file appeared"
        time.sleep(0.01)
    time.sleep(0.2)
    assert proc.poll() is None, "finished before the signal: make the checkpoint larger"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, pytest.param(signal.SIGINT, marks=pytest.mark.slow)], ids=str
)
def test_signal_to_a_writing_process_leaves_nothing(tmp_path, sig):
    proc = _start_writer(tmp_path)
    try:
        _wait_for_temporary(proc, tmp_path / "ckpt")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=20)  # a hang guard, not a benchmark
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -sig, err  # still dies of the signal, after the cleanup
    if sig == signal.SIGINT:
        assert "KeyboardInterrupt" in err
    assert files_in(tmp_path) == []  # no temporaries, and not the directory it created


# --- memory --------------------------------------------------------------------


_PEAK = r"""
import json, resource, sys
import weightinit as wi
out, limit = sys.argv[1], int(sys.argv[2])
wi.save_safetensors(out + "-warm", {"w": ((64, 64), "bfloat16", "normal")}, rng=0, progress=False)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
params = {f"layers.{i}.weight": ((4096, 4096), "float32", "glorot_uniform") for i in range(3)}
params["embed.weight"] = ((8192, 4096), "bfloat16", "normal")
params["head.weight"] = ((2048, 2048), "float32", "orthogonal")
wi.save_safetensors(out, params, rng=0, chunk_bytes=limit, max_shard_size="100MB",
                    progress=False)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"before": before, "after": after}))
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
def test_peak_memory_stays_near_the_chunk_limit(tmp_path):
    limit = 8 << 20
    p = subprocess.run(
        [sys.executable, "-c", _PEAK, str(tmp_path / "ckpt"), str(limit)],
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=300,
    )
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    files = sorted((tmp_path / "ckpt").glob("*.safetensors"))
    size = sum(f.stat().st_size for f in files)
    assert size > 256 << 20 and len(files) == 4
    # Bound: the 8 MiB limit plus 24 MiB for the orthogonal head's reflector panels and
    # GEMM packing (as in test_npy_save) -- against a 272 MiB checkpoint.
    growth = r["after"] - r["before"]
    assert growth <= limit + (24 << 20), f"peak RSS grew by {growth / 2**20:.1f} MiB"
    # Spot checks of the values, through the index.
    index = json.loads((tmp_path / "ckpt" / "model.safetensors.index.json").read_text())
    for name, shape, dtype, init in [
        ("layers.2.weight", (4096, 4096), "float32", wi.GlorotUniform()),
        ("embed.weight", (8192, 4096), "bfloat16", wi.Normal()),
        ("head.weight", (2048, 2048), "float32", wi.Orthogonal()),
    ]:
        got = file_bytes(tmp_path / "ckpt" / index["weight_map"][name], name)
        assert got == expected_bytes(init, shape, dtype, 0, name), name


# --- manifest and command line ---------------------------------------------------------


def _run_cli(args, cwd, timeout=120):
    return subprocess.run(
        [sys.executable, "-m", "weightinit", *args],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_manifest_from_a_meta_model_and_init_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    st_torch = pytest.importorskip("safetensors.torch")
    import weightinit.torch as wit

    with torch.device("meta"):
        meta = _transformer(torch, dtype=torch.bfloat16)
    path = wi.write_manifest(tmp_path / "m.json", meta, rules=_rules(torch), seed=9)
    doc = json.loads(path.read_text())
    assert doc["format"] == "weightinit-checkpoint-manifest" and doc["version"] == 1
    assert doc["seed"] == 9
    assert doc["metadata"] == {"format": "pt", "head.weight": "embed.weight"}
    first = doc["tensors"][0]
    assert first == {
        "name": "embed.weight",
        "shape": [97, 32],
        "dtype": "bfloat16",
        "initializer": {"class_name": "Normal", "config": {"std": 0.02, "mean": 0.0}},
    }
    # The torch layout is in the recorded config, so the manifest alone reproduces it.
    fc = next(t for t in doc["tensors"] if t["name"] == "blocks.0.mlp.0.weight")
    assert fc["initializer"]["config"]["layout"] == "torch"
    assert [r[0] for r in doc["rules"]][-2:] == ["*.weight", "*in_proj_weight"]

    p = _run_cli(["init-checkpoint", "m.json", "--out", "ckpt", "--no-progress"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("wrote ckpt: 27 tensors, ") and "seed 9" in p.stdout
    eager = wit.initialize(_transformer(torch, dtype=torch.bfloat16), _rules(torch), rng=9)
    loaded = st_torch.load_file(tmp_path / "ckpt" / "model.safetensors")
    assert len(loaded) == 27
    for name, param in eager.named_parameters():
        assert torch.equal(loaded[name].view(torch.int16), param.detach().view(torch.int16))
    # --seed wins over the manifest's seed; --max-shard-size shards.
    p = _run_cli(
        ["init-checkpoint", "m.json", "--out", "c2", "--seed", "10", "--max-shard-size", "8KB"],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    index = json.loads((tmp_path / "c2" / "model.safetensors.index.json").read_text())
    name = "blocks.1.attn.in_proj_weight"
    got = st_torch.load_file(tmp_path / "c2" / index["weight_map"][name])[name]
    wit.initialize(eager, _rules(torch), rng=10)
    assert torch.equal(
        got.view(torch.int16), dict(eager.named_parameters())[name].view(torch.int16)
    )


def test_manifest_round_trip_from_a_mapping(tmp_path):
    params = {
        "w": ((8, 6), "float32", wi.HeNormal(gain="relu")),
        "q": ((6, 6), "float16", wi.Orthogonal(gain=2.0)),
    }
    wi.write_manifest(tmp_path / "m.json", params, metadata={"note": "test"})
    m = wi.read_manifest(tmp_path / "m.json")
    assert m.seed is None and m.metadata == {"note": "test"}
    assert m.params == {k: (s, d, wi.get(i)) for k, (s, d, i) in params.items()}
    (f,) = wi.save_safetensors(tmp_path / "c", m, rng=4, progress=False)
    assert read_header(f)[0]["__metadata__"] == {"note": "test"}
    for name, (shape, dtype, init) in params.items():
        assert file_bytes(f, name) == expected_bytes(init, shape, dtype, 4, name)


def test_manifest_refuses_an_initializer_json_cannot_rebuild(tmp_path):
    params = {"w": ((8, 6), "float32", wi.HeNormal(gain=("leaky_relu", 0.2)))}
    with pytest.raises(ValueError, match=r"tensor 'w': HeNormal.*no JSON config"):
        wi.write_manifest(tmp_path / "m.json", params)
    assert files_in(tmp_path) == []


_GOOD = {
    "format": "weightinit-checkpoint-manifest",
    "version": 1,
    "tensors": [{"name": "w", "shape": [4, 4], "dtype": "float32", "initializer": "normal"}],
}


@pytest.mark.parametrize(
    "change,message",
    [
        ({"format": "other"}, "not a weightinit manifest"),
        ({"version": 2}, "unsupported manifest version 2"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"tensors": []}, '"tensors" must be a non-empty list'),
        ({"tensors": [{"name": "w"}]}, "tensors[0] lacks 'shape', 'dtype', 'initializer'"),
        ({"tensors": [{**_GOOD["tensors"][0], "dtype": "int8"}]}, "dtype must be one of"),
        ({"tensors": [{**_GOOD["tensors"][0], "shape": [4, -1]}]}, "shape must be a list"),
        ({"tensors": [{**_GOOD["tensors"][0], "initializer": "nope"}]}, "unknown initializer"),
        (
            {"tensors": [{**_GOOD["tensors"][0], "initializer": "sparse", "shape": [2, 2, 2]}]},
            "tensor 'w'",
        ),
        ({"tensors": _GOOD["tensors"] * 2}, "name must be a new non-empty string"),
        ({"metadata": {"a": 1}}, "metadata must map str to str"),
    ],
)
def test_bad_manifest_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, change, message):
    # In process (the subprocess tests above and below cover the console entry point).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.json").write_text(json.dumps({**_GOOD, **change}))
    assert cli.main(["init-checkpoint", "m.json", "--out", "ckpt"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and message in err, err
    assert err.startswith("weightinit init-checkpoint: error: m.json: ")
    assert files_in(tmp_path) == ["m.json"]


@pytest.mark.parametrize(
    "args,message",
    [
        (["missing.json", "--out", "c"], "cannot read missing.json: No such file"),
        (["bad.json", "--out", "c"], "bad.json: not JSON"),
        (["m.json", "--out", "c", "--max-shard-size", "lots"], "got 'lots'"),
        (["m.json", "--out", "c", "--seed", "-2"], "--seed"),
        (["m.json"], "--out"),
    ],
)
def test_cli_argument_errors(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.json").write_text(json.dumps(_GOOD))
    (tmp_path / "bad.json").write_text("{not json")
    try:
        status = cli.main(["init-checkpoint", *args])
    except SystemExit as e:  # argparse's own errors
        status = e.code
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert files_in(tmp_path) == ["bad.json", "m.json"]


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a subprocess")
def test_ctrl_c_on_init_checkpoint_exits_130_and_leaves_nothing(tmp_path):
    doc = {
        **_GOOD,
        "tensors": [
            {"name": f"l{i}", "shape": [2048, 2048], "dtype": "float32", "initializer": "normal"}
            for i in range(16)
        ],
    }
    (tmp_path / "m.json").write_text(json.dumps(doc))
    proc = subprocess.Popen(
        [sys.executable, "-m", "weightinit", "init-checkpoint", "m.json", "--out", "ckpt"]
        + ["--chunk-mib", "0.004", "--seed", "1"],
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_temporary(proc, tmp_path / "ckpt")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert files_in(tmp_path) == ["m.json"]


def test_no_progress_output_when_not_a_terminal(tmp_path, capfd):
    wi.save_safetensors(tmp_path, {"w": ((256, 256), "float32", "normal")}, chunk_bytes=4096)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_progress_bar_when_forced(tmp_path, capfd, monkeypatch):
    tqdm = pytest.importorskip("tqdm")
    real = tqdm.tqdm
    monkeypatch.setattr(tqdm, "tqdm", lambda *a, **k: real(*a, **{**k, "delay": 0}))
    params = {"a": ((256, 256), "float32", "normal"), "b": ((256, 256), "bfloat16", "normal")}
    wi.save_safetensors(tmp_path / "ck", params, chunk_bytes=4096, progress=True)
    _, err = capfd.readouterr()
    assert "ck" in err and "100%" in err and "384k/384k" in err.replace("K", "k")
