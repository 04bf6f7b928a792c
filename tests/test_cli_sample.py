"""``weightinit sample`` end to end in subprocesses."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from _env import child_env

import weightinit as wi


def _run(args, cwd, timeout=60):
    return subprocess.run(
        [sys.executable, "-m", "weightinit", *args],
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_writes_the_same_bits_as_sample_and_reports(tmp_path):
    p = _run(
        [
            "sample",
            "he_normal",
            "64,3,7,7",
            "--gain",
            "relu",
            "--layout",
            "torch",
            "--seed",
            "5",
            "--stream",
            "conv1.weight",
            "--out",
            "w.npy",
            "--chunk-mib",
            "0.01",
        ],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    expected = wi.HeNormal(gain="relu", layout="torch").sample(
        (64, 3, 7, 7), dtype="float32", rng=5, stream="conv1.weight"
    )
    got = np.load(tmp_path / "w.npy")
    assert got.dtype == np.float32 and got.tobytes() == expected.tobytes()
    out = p.stdout
    assert "64x3x7x7 float32" in out and "fan_in 147, fan_out 3136" in out
    assert "std 0.11" in out and "GB/s" in out and " s, " in out and "seed 5" in out
    assert p.stderr == ""


def test_shape_forms_dtype_and_random_seed_is_printed(tmp_path):
    p = _run(["sample", "orthogonal", "300x200", "--dtype", "float64", "--out", "q.npy"], tmp_path)
    assert p.returncode == 0, p.stderr
    seed = int(p.stdout.split("seed ")[1].split(",")[0])
    q = np.load(tmp_path / "q.npy")
    assert q.tobytes() == wi.Orthogonal().sample((300, 200), dtype="float64", rng=seed).tobytes()


def test_help_is_complete(tmp_path):
    top = _run(["--help"], tmp_path)
    assert top.returncode == 0 and "sample" in top.stdout and "demo" in top.stdout
    sub = _run(["sample", "--help"], tmp_path)
    assert sub.returncode == 0
    for option in (
        "NAME",
        "SHAPE",
        "--out",
        "--dtype",
        "--seed",
        "--stream",
        "--gain",
        "--layout",
        "--chunk-mib",
        "--no-progress",
        "4096x4096",
        "64,3,7,7",
    ):
        assert option in sub.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["no_such_init", "4x4", "--out", "w.npy"], "unknown initializer 'no_such_init'"),
        (["normal", "4xa", "--out", "w.npy"], "SHAPE must be positive integers"),
        (["normal", "4x", "--out", "w.npy"], "SHAPE must be positive integers"),
        (["normal", "4x0", "--out", "w.npy"], "SHAPE sizes must be positive"),
        (["normal", "4,-3", "--out", "w.npy"], "SHAPE sizes must be positive"),
        (["normal", "4x4", "--out", "w.npy", "--chunk-mib", "0"], "--chunk-mib"),
        (["normal", "4x4", "--out", "w.npy", "--chunk-mib", "-2"], "--chunk-mib"),
        (["normal", "4x4", "--out", "w.npy", "--seed", "-1"], "--seed"),
        (["normal", "4x4", "--out", "w.npy", "--gain", "2"], "Normal takes no --gain"),
        (["normal", "4x4", "--out", "w.npy", "--dtype", "int8"], "--dtype"),
        (["orthogonal", "7", "--out", "w.npy"], "Only shapes of length 2 or more"),
        (["he_normal", "4x4", "--out", "w.npy", "--gain", "nonsense"], "nonsense"),
        (["normal", "4x4", "--out", "missing/w.npy"], "cannot write --out missing/w.npy"),
        (["normal", "4x4", "--out", "."], "it is a directory"),
        (["normal", "4x4"], "--out"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(tmp_path, args, message):
    p = _run(["sample", *args], tmp_path)
    assert p.returncode != 0
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], p.stderr
    assert sorted(os.listdir(tmp_path)) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_directory(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    p = _run(["sample", "normal", "4x4", "--out", str(d / "w.npy")], tmp_path)
    assert p.returncode != 0 and "Permission denied" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a subprocess")
def test_sigint_stops_promptly_and_leaves_no_file(tmp_path):
    # 256 MiB in 4 KiB blocks: tens of thousands of blocks, seconds of work.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "weightinit",
            "sample",
            "normal",
            "8192x8192",
            "--out",
            "w.npy",
            "--chunk-mib",
            "0.004",
            "--seed",
            "1",
        ],
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any(n.endswith(".part") for n in os.listdir(tmp_path)):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.01)
        time.sleep(0.2)
        assert proc.poll() is None, "finished before the interrupt: make the file larger"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
        assert time.monotonic() - sent < 5  # a hang guard, not a benchmark
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert os.listdir(tmp_path) == []
