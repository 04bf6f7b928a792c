"""Signals sent to real processes in the middle of a write (issue 15, point 10).

save_npy, save_safetensors and their CLI commands write under temporary names
(weightinit._tempfiles): SIGINT and SIGTERM remove them before the process
stops, and SIGKILL's leftovers are removed by the next write to the same target,
never a live writer's. The writer in the child announces, on stdout, that a
block is written and the full-size temporary file exists, then idles inside the
write; the test signals it only after reading that marker (no sleeps).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _env import child_env

import weightinit as wi
from weightinit import _tempfiles

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

_CHILD = r"""
import json, sys, time
import weightinit as wi
from weightinit import checkpoint, cli, npy

kind, target = sys.argv[1], sys.argv[2]
real = npy._fill_block_in_file
blocks = [0]

def announced(*args, **kwargs):
    real(*args, **kwargs)
    blocks[0] += 1
    if blocks[0] == 2:
        print("writing", flush=True)
        while True:  # mid-write until a signal arrives (re-checked every 10 ms)
            time.sleep(0.01)

npy._fill_block_in_file = announced
npy.MIN_CHUNK_BYTES = 1  # small blocks, so the write has a middle (save_npy clamps to 1 MiB)
checkpoint._fill_block_in_file = announced
params = {f"l{i}": ((64, 64), "float32", "normal") for i in range(4)}
if kind == "npy":
    wi.save_npy(target, "normal", (64, 64), "float32", rng=0, chunk_bytes=1024, progress=False)
elif kind == "safetensors":
    wi.save_safetensors(target, params, rng=0, chunk_bytes=1024, max_shard_size="20KB",
                        progress=False)
elif kind == "cli-sample":
    sys.exit(cli.main(["sample", "normal", "64x64", "--out", target, "--seed", "0",
                       "--chunk-mib", "0.001", "--no-progress"]))
elif kind == "cli-checkpoint":
    wi.write_manifest(target + ".json", params, seed=0)
    sys.exit(cli.main(["init-checkpoint", target + ".json", "--out", target,
                       "--max-shard-size", "20KB", "--chunk-mib", "0.001", "--no-progress"]))
"""


def _start(kind, target):
    """A writer stopped mid-write: its marker has been read."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, kind, str(target)],
        env=child_env(OMP_NUM_THREADS="1"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()  # blocks until the marker (or EOF if the child died)
    if line != "writing\n":
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the writer did not reach the middle of its write: {line + out!r} {err}")
    return proc


def _stop(proc, sig):
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)  # a hang guard, not a benchmark
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


def _parts(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".part"))


def _everything(directory):
    return sorted(str(p.relative_to(directory)) for p in Path(directory).rglob("*"))


@pytest.mark.parametrize("kind", ["npy", "safetensors"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=str)
def test_api_signal_removes_the_temporary_files(tmp_path, kind, sig):
    target = tmp_path / ("w.npy" if kind == "npy" else "ckpt")
    proc = _start(kind, target)
    assert _parts(target.parent if kind == "npy" else target), "no temporary file mid-write"
    status, err = _stop(proc, sig)
    assert status == -sig, err  # ends as killed by the signal, after the cleanup
    assert _everything(tmp_path) == []
    if sig == signal.SIGINT:
        # A clean KeyboardInterrupt raised by the API call, not from numpy's memory map.
        assert f"KeyboardInterrupt: writing {target} was interrupted; nothing was left" in err
        assert "memmap" not in err and "_fill_block_in_file" not in err, err
        assert "During handling" not in err, err
    else:
        assert err == ""


@pytest.mark.parametrize("kind", ["cli-sample", "cli-checkpoint"])
@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=str)
def test_cli_signal_exits_with_128_plus_the_signal(tmp_path, kind, sig, status):
    target = tmp_path / ("w.npy" if kind == "cli-sample" else "ckpt")
    proc = _start(kind, target)
    code, err = _stop(proc, sig)
    assert code == status, err
    name = "sample" if kind == "cli-sample" else "init-checkpoint"
    reason = "interrupted (SIGINT)" if sig == signal.SIGINT else "terminated (SIGTERM)"
    assert err == f"weightinit {name}: {reason}\n"
    kept = [] if kind == "cli-sample" else ["ckpt.json"]
    assert _everything(tmp_path) == kept


@pytest.mark.parametrize("kind", ["npy", "safetensors"])
def test_a_killed_writers_temporaries_go_with_the_next_write(tmp_path, kind):
    target = tmp_path / ("w.npy" if kind == "npy" else "ckpt")
    directory = target.parent if kind == "npy" else target
    proc = _start(kind, target)
    status, _ = _stop(proc, signal.SIGKILL)
    assert status == -signal.SIGKILL
    left = _parts(directory)
    assert left and all(f".{proc.pid}." in n for n in left)  # the writer's PID in the name
    stale = _tempfiles.stale_temporaries(directory, lambda name: True)
    assert [(p.name, reason) for p, reason in stale] == [(n, None) for n in left]
    if kind == "npy":
        wi.save_npy(target, "normal", (64, 64), "float32", rng=0, progress=False)
        assert _everything(tmp_path) == ["w.npy"]
        np.testing.assert_array_equal(
            np.load(target), wi.Normal().sample((64, 64), "float32", rng=0)
        )
    else:
        wi.save_safetensors(target, {"w": ((8, 8), "float32", "ones")}, rng=0, progress=False)
        assert _everything(tmp_path) == ["ckpt", "ckpt/model.safetensors"]


def test_a_live_writers_temporary_file_is_never_removed(tmp_path):
    target = tmp_path / "w.npy"
    proc = _start("npy", target)
    try:
        theirs = _parts(tmp_path)
        assert len(theirs) == 1
        # Another writer of the same target finishes while the first is mid-write.
        wi.save_npy(target, "ones", (4,), progress=False)
        assert _parts(tmp_path) == theirs
        (reason,) = [r for _, r in _tempfiles.stale_temporaries(tmp_path, lambda n: True)]
        assert reason is not None and str(proc.pid) in reason
    finally:
        status, _ = _stop(proc, signal.SIGTERM)
    assert status == -signal.SIGTERM
    assert _everything(tmp_path) == ["w.npy"]  # the finished write's file is untouched
    np.testing.assert_array_equal(np.load(target), np.ones(4))


def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_unlocked_temporaries_of_dead_processes_are_stale(tmp_path):
    dead = _dead_pid()
    names = {
        "dead": f".w.npy.{dead}.0123abcd.part",
        "reused": f".w.npy.{os.getpid()}.0123abcd.part",  # a PID that runs (a reused one)
        "locked": f".w.npy.{dead}.89abcdef.part",  # its writer in another PID namespace
        "other": f".v.npy.{dead}.0123abcd.part",  # another target
        "old": ".w.npy.0123abcd.part",  # no PID: not a name this version writes
    }
    for n in names.values():
        (tmp_path / n).write_bytes(b"x")
    lock = os.open(tmp_path / names["locked"], os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        removed = _tempfiles.remove_stale(tmp_path, lambda name: name == "w.npy")
        assert [p.name for p in removed] == [names["dead"]]
    finally:
        os.close(lock)
    assert sorted(os.listdir(tmp_path)) == sorted(n for k, n in names.items() if k != "dead")


def test_write_manifest_leaves_no_temporary(tmp_path):
    path = wi.write_manifest(tmp_path / "m.json", {"w": ((4, 4), "float32", "normal")}, seed=3)
    assert os.listdir(tmp_path) == ["m.json"]
    assert json.loads(path.read_text())["seed"] == 3
