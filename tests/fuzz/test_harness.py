"""The fuzz suite can fail: planted bugs are caught and classified.

These run in every test run (not only with WEIGHTINIT_FUZZ): the classifier on
exceptions, the invariant checks on entry points with a bug planted in them,
and the harness on workers that abort, segfault, exit or hang among good probes.
"""

from __future__ import annotations

import numpy as np
import pytest

import weightinit as wi

from . import harness
from .known_failures import KNOWN_FAILURES, known_point
from .probes import (
    CLEAR,
    CRASH,
    HANG,
    OK,
    UNCLEAR,
    WRONG,
    build_array,
    classify_error,
    out_spec,
    overlaps,
    run_probe,
)


@pytest.mark.parametrize(
    "exc, outcome",
    [
        (ValueError("stream must be an int or a str, got 1.5"), CLEAR),
        (TypeError("region: slice step cannot be zero"), CLEAR),
        (ValueError("slice step cannot be zero"), UNCLEAR),  # does not name the argument
        (AttributeError("'int' object has no attribute 'indices'"), UNCLEAR),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), UNCLEAR),
        (ZeroDivisionError("integer division or modulo by zero"), UNCLEAR),
        (RuntimeError("stream went wrong"), UNCLEAR),  # names it, but not an expected type
        (MemoryError(), CLEAR),
        (OSError(27, "File too large", "/tmp/w.npy"), CLEAR),
        (OSError(27, "File too large"), UNCLEAR),  # point 12: no path
    ],
)
def test_classify_error(exc, outcome):
    assert classify_error(exc, ["stream", "region"])[0] == outcome


def test_a_correct_call_is_ok():
    args = {"fn": "uniform", "shape": (64,), "dtype": "float32", "rng": 1,
            "params": {"low": -1.0, "high": 1.0}, "_names": ["low"]}  # fmt: skip
    assert run_probe("random", args) == (OK, "")


def test_planted_out_of_range_value_is_silent_wrong(monkeypatch):
    real = wi.random.uniform

    def returns_high(shape, low=0.0, high=1.0, **kw):
        x = real(shape, low, high, **kw)
        x[3] = np.nextafter(x.dtype.type(high), x.dtype.type(np.inf))  # above high
        return x

    monkeypatch.setattr(wi.random, "uniform", returns_high)
    args = {"fn": "uniform", "shape": (64,), "dtype": "float32", "rng": 1,
            "params": {"low": -1.0, "high": 1.0}, "_names": ["low"]}  # fmt: skip
    outcome, detail = run_probe("random", args)
    assert outcome == WRONG and "values in [" in detail
    assert known_point(harness.Result("random", args, outcome, detail)) is None  # not excused


def test_planted_nondeterminism_is_silent_wrong(monkeypatch):
    real = wi.Normal.sample
    calls = []

    def drifts(self, shape, dtype=None, rng=None, stream=None, region=None):
        calls.append(1)
        return real(self, shape, dtype, rng if len(calls) == 1 else rng + 1, stream, region)

    monkeypatch.setattr(wi.Normal, "sample", drifts)
    args = {"init": ("Normal", {}), "shape": (6, 5), "dtype": "float32", "rng": 3,
            "_names": ["shape"]}  # fmt: skip
    outcome, detail = run_probe("sample", args)
    assert outcome == WRONG and "second identical call" in detail
    assert known_point(harness.Result("sample", args, outcome, detail)) is None  # a new finding


def test_planted_wrong_region_is_silent_wrong(monkeypatch):
    real = wi.Uniform.sample

    def shifted(self, shape, dtype=None, rng=None, stream=None, region=None):
        return real(self, shape, dtype, rng, stream + 1 if region is not None else stream, region)

    monkeypatch.setattr(wi.Uniform, "sample", shifted)
    args = {"init": ("Uniform", {}), "shape": (6, 5), "dtype": "float32", "rng": 3,
            "stream": 0, "region": (slice(1, 4),), "_names": ["region"]}  # fmt: skip
    outcome, detail = run_probe("sample", args)
    assert outcome == WRONG and "differs from full[region]" in detail


def test_planted_file_left_behind_is_silent_wrong(monkeypatch):
    from weightinit import _tempfiles

    monkeypatch.setattr(_tempfiles, "discard", lambda tmp: None)  # forgets to clean up
    args = {"chunk_bytes": 0, "rng": 4, "_names": ["chunk_bytes"]}
    assert run_probe("save_npy", args)[0] == CLEAR  # checked before any file exists
    args = {"init": ("Orthogonal", {}), "shape": (3, 4), "rng": 4, "_names": ["shape"]}
    monkeypatch.setattr(wi.Orthogonal, "fill", _raises_value_error)
    outcome, detail = run_probe("save_npy", args)
    assert outcome == WRONG and "left" in detail


def _raises_value_error(*args, **kwargs):
    raise ValueError("shape: planted")


def test_overlap_detection():
    assert overlaps(build_array(out_spec((6, 5), "float32", "overlap")))
    assert overlaps(build_array(out_spec((3, 4), "float64", "zero_stride")))
    for layout in ("c", "f", "reversed", "step2", "misaligned"):
        assert not overlaps(build_array(out_spec((6, 5), "float32", layout))), layout


def test_harness_isolates_crashes_and_hangs_among_good_probes():
    good = ("gains", {"nonlinearity": "relu", "_names": ["nonlinearity"]})
    probes = [
        good,
        ("planted", {"bug": "abort", "_names": []}),
        good,
        ("planted", {"bug": "segfault", "_names": []}),
        ("planted", {"bug": "exit", "_names": []}),
        good,
        ("planted", {"bug": "hang", "_names": []}),
        ("planted", {"bug": "unclear", "_names": ["columns"]}),
        ("planted", {"bug": "clear", "_names": ["columns"]}),
        good,
    ]
    results = harness.run(probes, timeout=8, batch=10)
    assert [r.outcome for r in results] == [
        OK, CRASH, OK, CRASH, CRASH, OK, HANG, UNCLEAR, CLEAR, OK,
    ]  # fmt: skip
    assert "status -6" in results[1].detail  # SIGABRT
    # SIGSEGV (the report keeps stderr's last 800 characters; how much of the
    # faulthandler dump that is differs between Python versions).
    assert "status -11" in results[3].detail
    assert "status 1" in results[4].detail
    # Each crash after others in its worker was run again alone, and crashed again.
    assert results[1].notes == ["reproduced alone"]
    # None of them is a known failure: the family's test would fail on each.
    assert all(known_point(r) is None for r in results if r.outcome in (CRASH, HANG))


def test_every_known_failure_names_an_issue_point_and_a_reproducer_or_a_reason():
    for entry in KNOWN_FAILURES:
        assert entry.point in (1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13), entry
        assert entry.reproducer is not None or entry.point == 3, entry
