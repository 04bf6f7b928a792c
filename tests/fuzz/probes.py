"""The worker side of the fuzz suite: build a probe's inputs, call the entry point, judge it.

A probe is ``(family, args)``: ``args`` is plain picklable data (arrays are
described by :func:`out_spec` tuples and built here, so odd strides and
overlaps survive the trip). :func:`run_probe` returns ``(outcome, detail)``:

* ``ok`` -- the call returned and every checked invariant held;
* ``clear error`` -- an exception of an expected type (TypeError, ValueError,
  OverflowError, IndexError; MemoryError; OSError naming its file) whose
  message names the fuzzed argument (``args["_names"]``);
* ``unclear error`` -- any other exception, or one that does not name it;
* ``silent-wrong`` -- an invariant failed (:class:`Wrong`): values outside the
  documented range, non-finite values from finite parameters, wrong dtype or
  shape, a second identical call giving other bits, a region that is not the
  slice of the full tensor, a file left behind by a failed write, bad input
  accepted (overlapping ``out=``).

Crashes and hangs are seen by the parent (harness.py), from the protocol:
``python probes.py FD`` reads a pickled list of ``(index, family, args)`` on
stdin and writes ``start i`` before and ``done i <json>`` after each probe to
descriptor FD (its stdout is /dev/null: the CLI's prints must not mix in).
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import math
import os
import pickle
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

import weightinit as wi

OK, CLEAR, UNCLEAR, WRONG, CRASH, HANG = (
    "ok",
    "clear error",
    "unclear error",
    "silent-wrong",
    "crash",
    "hang",
)
OUTCOMES = (OK, CLEAR, UNCLEAR, WRONG, CRASH, HANG)
FINDINGS = (UNCLEAR, WRONG, CRASH, HANG)
EXPECTED_ERRORS = (TypeError, ValueError, OverflowError, IndexError)
SMALL = 1 << 16  # tensors up to this many elements are compared with the full sample


class Wrong(Exception):
    """A checked invariant failed: the call returned garbage without an error."""


class Crash(Exception):
    """A process the probe started died (the probe's own process is judged by the harness)."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise Wrong(message)


# --- classification --------------------------------------------------------------


def classify_error(exc: BaseException, names: list[str]) -> tuple[str, str]:
    """``clear error`` or ``unclear error`` for an exception a probe raised."""
    text = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, MemoryError):
        return CLEAR, text  # the resource, not an argument, is at fault
    if isinstance(exc, OSError):
        named = exc.filename is not None or any(n in str(exc) for n in names)
        return (CLEAR if named else UNCLEAR), text
    if not isinstance(exc, EXPECTED_ERRORS) or isinstance(exc, UnicodeError):
        return UNCLEAR, text
    message = str(exc)
    return (CLEAR if any(n in message for n in names) else UNCLEAR), text


def run_probe(family: str, args: dict[str, Any]) -> tuple[str, str]:
    names = list(args.get("_names", ()))
    try:
        FAMILIES[family](args)
    except Wrong as e:
        return WRONG, str(e)[:500]
    except Crash as e:
        return CRASH, str(e)[:500]
    except (Exception, SystemExit) as e:
        return classify_error(e, names)
    return OK, ""


# --- inputs ------------------------------------------------------------------------

OUT_LAYOUTS = (
    "c",
    "f",
    "reversed",
    "step2",
    "misaligned",
    "byteswapped",
    "overlap",
    "zero_stride",
    "readonly",
    "int32",
    "complex256",
    "bool",
    "list",
)
VALID_LAYOUTS = ("c", "f", "reversed", "step2", "misaligned")


def out_spec(shape: tuple[int, ...], dtype: str, layout: str) -> tuple[Any, ...]:
    return ("out", tuple(shape), dtype, layout)


def build_array(spec: Any, fill: float | None = 0.0) -> Any:
    """The array an :func:`out_spec` describes (anything else is returned as is)."""
    if not (isinstance(spec, tuple) and spec and spec[0] == "out"):
        return spec
    _, shape, dtype, layout = spec
    n = math.prod(shape)
    if layout == "list":
        return np.zeros(shape).tolist()
    if layout in ("int32", "complex256", "bool"):
        return np.zeros(shape, dtype=layout)
    dt = np.dtype(dtype)
    if layout == "f":
        a = np.zeros(shape, dt, order="F")
    elif layout == "reversed":
        a = np.zeros(shape, dt)[(slice(None, None, -1),) * len(shape)]
    elif layout == "step2" and shape:
        a = np.zeros((shape[0] * 2, *shape[1:]), dt)[::2]
    elif layout == "misaligned":
        a = np.zeros(n * dt.itemsize + 1, np.uint8)[1:].view(dt).reshape(shape)
    elif layout == "byteswapped":
        a = np.zeros(shape, dt.newbyteorder())
    elif layout == "overlap" and len(shape) == 2:
        # Row i starts one element after row i-1: rows overlap.
        base = np.zeros(shape[0] + shape[1], dt)
        a = np.lib.stride_tricks.as_strided(base, shape, (dt.itemsize, dt.itemsize), writeable=True)
    elif layout in ("overlap", "zero_stride") and shape:
        base = np.zeros(max(1, math.prod(shape[1:])), dt).reshape(shape[1:])
        a = np.lib.stride_tricks.as_strided(base, shape, (0, *base.strides), writeable=True)
    else:
        a = np.zeros(shape, dt)
    if layout == "readonly":
        a.setflags(write=False)
    return a


def overlaps(a: np.ndarray) -> bool:
    """Whether two elements of ``a`` share memory (its size exceeds its span)."""
    if a.size <= 1:
        return False
    span = sum((n - 1) * abs(s) for n, s in zip(a.shape, a.strides)) + a.itemsize
    return span < a.size * a.itemsize or any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides))


def numpy_region_shape(shape: Any, region: Any) -> tuple[int, ...] | None:
    """``full[region].shape`` as numpy computes it, or None where numpy raises."""
    try:
        dummy = np.lib.stride_tricks.as_strided(np.zeros(1), tuple(shape), (0,) * len(shape))
        return tuple(dummy[region].shape)
    except Exception:
        return None


def as_shape(shape: Any) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)


def requested_dtype(dtype: Any) -> np.dtype:
    return np.dtype(np.float64 if dtype is None else dtype)


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    a = a.astype(a.dtype.newbyteorder("="))
    b = b.astype(b.dtype.newbyteorder("="))
    return (
        a.dtype == b.dtype
        and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    )


def all_finite(values: Any) -> bool:
    return all(
        not isinstance(v, (int, float)) or isinstance(v, bool) or math.isfinite(v) for v in values
    )


# --- checks shared by the sampling families ----------------------------------------


def check_array(result: Any, shape: Any, dtype: Any, region: Any) -> np.ndarray:
    check(isinstance(result, np.ndarray), f"returned {type(result).__name__}, not an ndarray")
    check(result.dtype == requested_dtype(dtype), f"dtype {result.dtype}, asked {dtype!r}")
    full = as_shape(shape)
    expected = full if region is None else numpy_region_shape(full, region)
    check(expected is not None, f"region {region!r} accepted where numpy raises IndexError")
    check(result.shape == expected, f"shape {result.shape}, numpy gives {expected} for {region!r}")
    return result


def check_again(first: np.ndarray, again: Any, what: str) -> None:
    check(same_bits(first, again), f"{what}: a second identical call gave other values")


def check_region(result: np.ndarray, call: Any, shape: Any, region: Any) -> None:
    full = as_shape(shape)
    if region is None or math.prod(full) > SMALL:
        return
    whole = call(region=None)
    check(same_bits(result, whole[region]), f"region {region!r} differs from full[region]")


# --- families: wi.random -----------------------------------------------------------


def _random(args: dict[str, Any]) -> None:
    fn = getattr(wi.random, args["fn"])
    params = dict(args["params"])
    kw = {k: build_array(args[k]) for k in ("dtype", "rng", "stream", "out", "region") if k in args}

    def call(**override: Any) -> Any:
        return fn(args["shape"], **params, **{**kw, **override})

    result = call()
    out = kw.get("out")
    if out is not None:
        check(result is out, "out= given but another array returned")
        check(not overlaps(out), "a self-overlapping out= accepted")
        fresh = (
            fn(
                out.shape,
                **params,
                dtype=out.dtype.newbyteorder("="),
                rng=kw.get("rng"),
                stream=kw.get("stream"),
            )
            if isinstance(kw.get("rng"), int)
            else None
        )
        if fresh is not None:
            check(same_bits(result, fresh), "out= values differ from a new array's")
        return
    check_array(
        result,
        args["shape"] if args["shape"] is not None else (),
        kw.get("dtype"),
        kw.get("region"),
    )
    if not isinstance(kw.get("rng"), int):
        return
    check_again(result, call(), args["fn"])
    if result.size:
        _check_range(args["fn"], params, result)
    check_region(result, call, args["shape"], kw.get("region"))


def _check_range(fn: str, params: dict[str, Any], x: np.ndarray) -> None:
    values = [v for v in params.values() if not isinstance(v, bool)]
    if not all(isinstance(v, (int, float)) for v in values) or not all_finite(values):
        return
    wide = x.astype(np.float64)
    check(np.isfinite(wide).all(), f"{fn}{params} returned inf/nan in {x.dtype}")
    dt = x.dtype.type
    if fn == "uniform":
        low, high = params.get("low", 0.0), params.get("high", 1.0)
        if low < high:
            lo, hi = float(dt(low)), float(dt(high))
            check(
                bool((wide >= lo).all() and (wide <= hi).all()),
                f"uniform{params} in {x.dtype}: values in [{wide.min()}, {wide.max()}]",
            )
    if fn == "truncated_normal":
        mean, std = params.get("mean", 0.0), params.get("std", 1.0)
        lower, upper = params.get("lower", -2.0), params.get("upper", 2.0)
        if std > 0 and lower < upper and not params.get("preserve_std"):
            a, b = mean + lower * std, mean + upper * std
            lo, hi = sorted((float(dt(a)), float(dt(b))))
            eps = 4 * np.finfo(x.dtype).eps * max(abs(lo), abs(hi), 1.0)
            check(
                bool((wide >= lo - eps).all() and (wide <= hi + eps).all()),
                f"truncated_normal{params} in {x.dtype}: values in [{wide.min()}, {wide.max()}]",
            )
            if x.size >= 64 and (hi - lo) > 64 * np.finfo(x.dtype).eps * max(abs(hi), 1e-30):
                check(
                    len(np.unique(x)) > 1,
                    f"truncated_normal{params} in {x.dtype}: all {x.size} values equal {x.flat[0]}",
                )


# --- families: initializers --------------------------------------------------------


def make_initializer(spec: Any) -> Any:
    """``("Name", {kwargs})`` -> the instance (``initializer`` given as a class name)."""
    if not (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], dict)):
        return spec
    name, kwargs = spec
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("initializer"), str) and kwargs["initializer"] in (
        "Normal",
        "Uniform",
    ):
        kwargs["initializer"] = getattr(wi, kwargs["initializer"])
    return getattr(wi, name)(**kwargs)


def _finite_config(init: Any) -> bool:
    try:
        values = list(init.get_config().values())
    except Exception:
        return False
    flat: list[Any] = []
    for v in values:
        flat += list(v) if isinstance(v, (tuple, list)) else [v]
    return all_finite(flat)


def _sample_checks(init: Any, shape: Any, kw: dict[str, Any]) -> np.ndarray:
    result = init.sample(shape, **kw)
    check_array(result, shape, kw.get("dtype"), kw.get("region"))
    if isinstance(kw.get("rng"), int):
        check_again(result, init.sample(shape, **kw), repr(init))
        if _finite_config(init):
            check(
                bool(np.isfinite(result.astype(np.float64)).all()),
                f"{init!r} returned inf/nan in {result.dtype}",
            )
        check_region(
            result,
            lambda region: init.sample(shape, **{**kw, "region": region}),
            shape,
            kw.get("region"),
        )
    return result


def _initializer(args: dict[str, Any]) -> None:
    init = make_initializer(args["init"])
    _sample_checks(init, args.get("shape", (6, 5)), {"dtype": "float32", "rng": 3})


def _sample(args: dict[str, Any]) -> None:
    init = make_initializer(args["init"])
    kw = {k: args[k] for k in ("dtype", "rng", "stream", "region") if k in args}
    _sample_checks(init, args["shape"], kw)


def _fill(args: dict[str, Any]) -> None:
    init = make_initializer(args["init"])
    out = build_array(args["out"])
    kw = {k: args[k] for k in ("rng", "stream", "shape", "offset", "region") if k in args}
    result = init.fill(out, **kw)
    check(isinstance(out, np.ndarray), f"fill accepted a {type(out).__name__} as out")
    layout = args["out"][3] if isinstance(args["out"], tuple) else None
    check(not overlaps(out), f"a self-overlapping out= ({layout}) accepted")
    check(
        layout not in ("readonly", "int32", "complex256", "bool"), f"out layout {layout} accepted"
    )
    check(result is out, "fill returned another array")
    if isinstance(kw.get("rng"), int) and out.size <= SMALL:
        shape = kw.get("shape", out.shape)
        if "region" in kw:
            expected = init.sample(
                shape, out.dtype.newbyteorder("="), kw["rng"], kw.get("stream"), region=kw["region"]
            )
        else:
            offset = kw.get("offset") or (0,) * len(out.shape)
            whole = init.sample(shape, out.dtype.newbyteorder("="), kw["rng"], kw.get("stream"))
            expected = whole[tuple(slice(o, o + n) for o, n in zip(offset, out.shape))]
        check(same_bits(out, expected), f"fill into a {layout} out differs from sample")


# --- families: lookup, fans, gains ------------------------------------------------


def _lookup(args: dict[str, Any]) -> None:
    ident = args["identifier"]
    if ident == ("class", "Normal"):
        ident = wi.Normal
    init = wi.get(ident)
    if init is None:
        check(ident is None, f"get({ident!r}) returned None")
        return
    if isinstance(init, wi.Initializer):
        config = wi.serialize(init)
        again = wi.deserialize(json.loads(json.dumps(config)))
        check(again == init, f"{init!r} does not survive serialize/deserialize: {again!r}")
        repr(init)


def _fans(args: dict[str, Any]) -> None:
    kw = {k: args[k] for k in ("layout", "c01b", "in_axis", "out_axis", "batch_axis") if k in args}
    result = wi.fans(args["shape"], **kw)
    check(isinstance(result, tuple) and len(result) == 2, f"fans returned {result!r}")
    check(all(isinstance(v, int) and v >= 0 for v in result), f"fans returned {result!r}")


def _gains(args: dict[str, Any]) -> None:
    g = wi.calculate_gain(args["nonlinearity"], args.get("param"))
    real = isinstance(g, (int, float)) and not isinstance(g, bool)
    check(real and math.isfinite(g) and g >= 0, f"calculate_gain gave {g!r}")


# --- families: linalg ---------------------------------------------------------------


def _matrix(spec: Any) -> Any:
    if not (isinstance(spec, tuple) and spec and spec[0] == "matrix"):
        return spec
    _, shape, dtype, content = spec
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape)
    if content == "nan" and a.size:
        a.flat[0] = np.nan
    elif content == "inf" and a.size:
        a.flat[-1] = np.inf
    elif content == "zeros":
        a[...] = 0
    elif content == "huge":
        a *= 1e300
    return a.astype(dtype)


def _orthonormal(q: np.ndarray, gain: float, what: str) -> None:
    if q.ndim != 2 or not q.size or gain == 0:
        return
    # Checked on Q = q / |gain| itself: gain**2 overflows for the huge gains drawn.
    q = q.astype(np.float64) / abs(gain)
    m = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    err = float(np.abs(m - np.eye(len(m))).max())
    check(err <= 1e-2, f"{what}: max |QtQ - I| = {err:.3g} (Q = q / |gain|)")


def _qr(args: dict[str, Any]) -> None:
    a = _matrix(args["a"])
    mode = args.get("mode", "reduced")
    result = wi.linalg.qr(a, mode)
    if not isinstance(a, np.ndarray) or mode not in ("reduced", "complete") or a.ndim != 2:
        return
    q, r = result
    if np.isfinite(a).all() and np.abs(a).max(initial=0) < 1e100:
        err = float(np.abs(q.astype(np.float64) @ r - a).max(initial=0))
        scale = float(np.abs(a).max(initial=1.0)) * max(a.shape, default=1)
        check(err <= 1e-3 * scale, f"qr: |QR - a| = {err:.3g}")
        if a.dtype != np.float16:
            _orthonormal(q, 1.0, "qr")


def _orthogonalize(args: dict[str, Any]) -> None:
    w = _matrix(args["w"])
    q = wi.linalg.orthogonalize(w, args.get("column_axis"))
    if isinstance(w, np.ndarray) and w.ndim == 2 and np.isfinite(w).all() and q.dtype != np.float16:
        if np.linalg.matrix_rank(w.astype(np.float64)) == min(w.shape):
            _orthonormal(q, 1.0, "orthogonalize")


def _orthogonal(args: dict[str, Any]) -> None:
    kw = {k: args[k] for k in ("cols", "dtype", "rng", "stream", "gain", "columns") if k in args}
    q = wi.linalg.orthogonal(args["rows"], **kw)
    rows = args["rows"]
    cols = rows if kw.get("cols") is None else kw["cols"]
    check(isinstance(q, np.ndarray), "orthogonal returned no ndarray")
    if "columns" not in kw and q.dtype != np.float16:
        gain = kw.get("gain", 1.0)
        if isinstance(gain, (int, float)) and not isinstance(gain, bool) and math.isfinite(gain):
            check(q.shape == (rows, cols), f"orthogonal: shape {q.shape}")
            _orthonormal(q, float(gain), "orthogonal")
    if "columns" in kw and isinstance(kw.get("rng"), int) and rows * cols <= SMALL:
        whole = wi.linalg.orthogonal(rows, **{**kw, "columns": None})
        check(same_bits(q, whole[:, kw["columns"]]), "orthogonal(columns=) differs from the slice")


# --- families: files, CLI, Dask, runtime --------------------------------------------


def _listing(d: str) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in Path(d).rglob("*"))


def _save_npy(args: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = args.get("path", "w.npy")
        target = os.path.join(d, path) if isinstance(path, str) else path
        init = make_initializer(args.get("init", "normal"))
        kw = {k: args[k] for k in ("dtype", "rng", "stream", "chunk_bytes") if k in args}
        try:
            wi.save_npy(target, init, args.get("shape", (5, 7)), progress=False, **kw)
        except BaseException:
            check(_listing(d) == [], f"a failed save_npy left {_listing(d)}")
            raise
        check(_listing(d) == [os.path.relpath(target, d)], f"save_npy left {_listing(d)}")
        try:
            loaded = np.load(target, mmap_mode="r")
        except Exception as e:
            raise Wrong(f"numpy cannot read the file save_npy wrote: {e}") from None
        if isinstance(kw.get("rng"), int) and loaded.size <= SMALL:
            expected = wi.get(init).sample(
                args.get("shape", (5, 7)), kw.get("dtype"), kw["rng"], kw.get("stream")
            )
            check(same_bits(loaded, expected), "the file differs from sample()")


def _cli(args: dict[str, Any]) -> None:
    from weightinit import cli

    with tempfile.TemporaryDirectory() as d:
        argv = [a.replace("{dir}", d) if isinstance(a, str) else a for a in args["argv"]]
        err = io.StringIO()
        cwd = os.getcwd()
        os.chdir(d)
        try:
            with contextlib.redirect_stderr(err):
                try:
                    status = cli.main(argv)
                except SystemExit as e:
                    status = e.code
        except Exception as e:
            raise Wrong(f"the CLI raised {type(e).__name__}: {e} (a traceback to the user)") from e
        finally:
            os.chdir(cwd)
        text = err.getvalue()
        if status == 0:
            return
        check(status == 2, f"exit status {status!r}; stderr {text!r}")
        check("Traceback" not in text and text.count("\n") == 1, f"stderr: {text!r}")
        raise CommandLineError(f"{' '.join(args['_names'])}: {text.strip()}")


class CommandLineError(ValueError):
    """The CLI exited 2 with one line on stderr: a clear error (the line is the message)."""


def _dask(args: dict[str, Any]) -> None:
    import dask

    import weightinit.dask as wd

    init = make_initializer(args.get("init", "glorot_uniform"))
    shape = args.get("shape", (9, 7))
    kw = {k: args[k] for k in ("chunks", "dtype", "rng", "stream") if k in args}
    arr = wd.sample(init, shape, **kw)
    with dask.config.set(scheduler="synchronous"):
        got = arr.compute()
    if isinstance(kw.get("rng"), int) and got.size <= SMALL:
        expected = wi.get(init).sample(shape, kw.get("dtype"), kw["rng"], kw.get("stream"))
        check(same_bits(got, expected), f"dask chunks {kw.get('chunks')!r} differ from sample()")


_REFERENCE: dict[str, np.ndarray] = {}


def _reference_sample() -> np.ndarray:
    return wi.Orthogonal().sample((33, 17), "float32", rng=5)


def _runtime(args: dict[str, Any]) -> None:
    if "ref" not in _REFERENCE:
        _REFERENCE["ref"] = _reference_sample()
    threads, isa = wi.get_num_threads(), wi.simd.active()
    try:
        if "num_threads" in args:
            wi.set_num_threads(args["num_threads"])
        if "isa" in args:
            wi.simd.force(args["isa"])
        if "counter" in args:
            out = wi.philox4x32(args["counter"], args.get("key", [0, 0]), args.get("rounds", 10))
            check(isinstance(out, np.ndarray) and out.dtype == np.uint32, "philox4x32 result")
        check(same_bits(_reference_sample(), _REFERENCE["ref"]), "values changed with the setting")
    finally:
        wi.set_num_threads(threads)
        wi.simd.force(isa)


# --- scenarios: concurrency, signals, memory limits ---------------------------------


def _concurrent(args: dict[str, Any]) -> None:
    # A race shows in some runs only: a reproducer repeats up to ``attempts`` times.
    for _ in range(args.get("attempts", 1)):
        _concurrent_once(args)


def _concurrent_once(args: dict[str, Any]) -> None:
    init = make_initializer(args["init"])
    shape, dtype, rounds = tuple(args["shape"]), args["dtype"], args["rounds"]
    reference = init.sample(shape, dtype, rng=11)
    failures: list[str] = []
    stop = threading.Event()
    shared = np.zeros(shape, dtype)

    def sampler() -> None:
        for _ in range(rounds):
            if args["mode"] == "shared_out":
                init.fill(shared, rng=11)
            else:
                got = init.sample(shape, dtype, rng=11)
                if not same_bits(got, reference):
                    d = np.abs(got.astype(np.float64) - reference).max()
                    failures.append(f"a sample differs (max |diff| {d:.3g})")

    def switcher() -> None:
        isas, threads = wi.simd.available(), wi.get_num_threads()
        i = 0
        while not stop.is_set():
            if args["mode"] == "simd":
                wi.simd.force(isas[i % len(isas)])
            elif args["mode"] == "threads":
                wi.set_num_threads(1 + i % 3)
            i += 1
            time.sleep(0)  # let the samplers have the GIL between switches
        wi.set_num_threads(threads)

    workers = [threading.Thread(target=sampler) for _ in range(args["threads"])]
    flipper = threading.Thread(target=switcher)
    isa = wi.simd.active()
    flipper.start()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    flipper.join()
    wi.simd.force(isa)
    if args["mode"] == "shared_out" and not same_bits(shared, reference):
        failures.append("threads filling one out= with the same values corrupted it")
    check(not failures, f"{args['mode']} with {init!r} {shape} {dtype}: {failures[:3]}")


# The processes a scenario starts: the worker's environment without its faulthandler
# (whose report of an abort would bury the C++ runtime's message).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONFAULTHANDLER"}
_ENV.setdefault("OMP_NUM_THREADS", "2")

_LIMITED = r"""
import resource, sys
import numpy as np
import weightinit as wi
op, headroom, warm = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
if warm:
    wi.Orthogonal().sample((64, 64), rng=0)
with open("/proc/self/statm") as f:
    size = int(f.read().split()[0]) * resource.getpagesize()
limit = size + (headroom << 20)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    if op.startswith("threads"):
        # Many threads, up to the documented cap (set_num_threads rejects more).
        wi.set_num_threads(min(int(op[len("threads"):]), wi.max_num_threads()))
        wi.Normal().sample((512, 512), rng=0)
    elif op.startswith("orthogonal"):
        n = int(op[len("orthogonal"):])
        wi.Orthogonal().sample((n, n), "float16" if n % 2 else "float32", rng=0)
    elif op.startswith("qr"):
        n = int(op[2:])
        wi.linalg.qr(np.ones((n, n // 2), np.float32) + np.eye(n, n // 2, dtype=np.float32))
    elif op.startswith("uniform"):
        wi.random.uniform(int(op[len("uniform"):]), rng=0)
    wi.Normal().sample((64, 64), rng=0)  # still working afterwards
    print("ok")
except MemoryError as e:
    wi.Normal().sample((64, 64), rng=0)
    print("MemoryError", e)
except Exception as e:
    print("exception", type(e).__name__, e)
"""


def _memlimit(args: dict[str, Any]) -> None:
    # One headroom, or (for a reproducer) a sweep looking for a crash whose message
    # contains ``crash_containing``: the first such crash decides.
    ops = args.get("ops", [args.get("op")])
    for op, headroom in [
        (o, h) for o in ops for h in args.get("headrooms", [args.get("headroom")])
    ]:
        p = subprocess.run(
            [sys.executable, "-c", _LIMITED, op, str(headroom), str(int(args["warm"]))],
            env={**_ENV, "OMP_NUM_THREADS": str(args.get("threads", _ENV["OMP_NUM_THREADS"]))},
            capture_output=True,
            text=True,
            timeout=120,
        )
        out, err = p.stdout.strip(), p.stderr.strip()
        if p.returncode != 0 and args.get("crash_containing", "") not in err:
            continue  # a reproducer looks for one kind of crash; another one's is not it
        if p.returncode != 0:
            raise Crash(f"{op} under RLIMIT_AS +{headroom} MiB: status {p.returncode}: {err[:300]}")
        if out.startswith("exception"):
            raise RuntimeError(out)  # not MemoryError: unclear
        if out.startswith("MemoryError") and "headrooms" not in args:
            raise MemoryError(out)


_WRITER = r"""
import sys
import weightinit as wi
from weightinit import cli, npy
kind, target, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
real = npy._fill_block_in_file
blocks = [0]
def announced(*args, **kwargs):
    real(*args, **kwargs)
    blocks[0] += 1
    if blocks[0] == after:
        print("block", flush=True)
npy._fill_block_in_file = announced
npy.MIN_CHUNK_BYTES = 1  # many small blocks, so the signal lands mid-write
if kind == "npy":
    wi.save_npy(target, "normal", (128, 128), "float32", rng=0, chunk_bytes=512, progress=False)
else:
    sys.exit(cli.main(["sample", "normal", "128x128", "--out", target, "--seed", "0",
                       "--dtype", "float32", "--chunk-mib", "0.0005", "--no-progress"]))
"""


def _signal(args: dict[str, Any]) -> None:
    sig = getattr(signal, args["signal"])
    with tempfile.TemporaryDirectory() as d:
        target = os.path.join(d, "w.npy")
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, args["kind"], target, str(args["after"])],
            env=_ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        proc.stdout.readline()  # the marker (or EOF): then the signal, at once
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        status = proc.returncode
        expected = {
            ("npy", "SIGINT"): -signal.SIGINT,
            ("npy", "SIGTERM"): -signal.SIGTERM,
            ("cli", "SIGINT"): 130,
            ("cli", "SIGTERM"): 143,
        }.get((args["kind"], args["signal"]), -signal.SIGKILL)
        check(status in (0, expected), f"{args}: status {status}, expected {expected} or 0: {err}")
        check("Traceback" not in err or args["kind"] == "npy", f"{args}: a traceback: {err}")
        left = _listing(d)
        if status == 0 or os.path.exists(target):
            expected_values = wi.Normal().sample((128, 128), "float32", rng=0)
            check(
                same_bits(np.load(target), expected_values), f"{args}: a wrong file at the target"
            )
        if sig == signal.SIGKILL:
            wi.save_npy(os.path.join(d, "w.npy"), "ones", 3, progress=False)
            left = _listing(d)
            check(left == ["w.npy"], f"{args}: stale temporaries after the next write: {left}")
        else:
            check(left in ([], ["w.npy"]), f"{args}: left {left}")


_FSIZE = r"""
import resource, sys
import weightinit as wi
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
try:
    wi.save_npy(sys.argv[1], "normal", (256, 256), progress=False)
    print("ok")
except OSError as e:
    print("OSError", e)
"""


def _fsize(args: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        target = os.path.join(d, "w.npy")
        p = subprocess.run(
            [sys.executable, "-c", _FSIZE, target, str(args["limit"])],
            env=_ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if p.returncode != 0:
            raise Crash(f"save_npy under RLIMIT_FSIZE {args['limit']}: status {p.returncode}")
        check(_listing(d) in ([], ["w.npy"]), f"left {_listing(d)}")
        if p.stdout.startswith("OSError"):
            if target not in p.stdout:
                raise RuntimeError(f"an I/O error without the path: {p.stdout.strip()}")
            raise OSError(errno.EFBIG, p.stdout.strip(), target)


def _planted(args: dict[str, Any]) -> None:
    # Bugs planted on purpose, for the harness's own tests (test_harness.py).
    bug = args["bug"]
    if bug == "abort":
        os.abort()
    elif bug == "segfault":
        import ctypes

        ctypes.string_at(0)
    elif bug == "exit":
        os._exit(1)
    elif bug == "hang":
        threading.Event().wait()
    elif bug == "unclear":
        raise AttributeError("'int' object has no attribute 'indices'")
    elif bug == "clear":
        raise ValueError(f"{args['_names'][0]} must be positive, got -1")


FAMILIES = {
    "random": _random,
    "initializer": _initializer,
    "sample": _sample,
    "fill": _fill,
    "lookup": _lookup,
    "fans": _fans,
    "gains": _gains,
    "linalg.qr": _qr,
    "linalg.orthogonalize": _orthogonalize,
    "linalg.orthogonal": _orthogonal,
    "save_npy": _save_npy,
    "cli": _cli,
    "dask": _dask,
    "runtime": _runtime,
    "concurrent": _concurrent,
    "memlimit": _memlimit,
    "signal": _signal,
    "fsize": _fsize,
    "planted": _planted,
}


def main() -> None:
    proto = os.fdopen(int(sys.argv[1]), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    probes = pickle.load(sys.stdin.buffer)
    for index, family, args in probes:
        proto.write(f"start {index}\n")
        outcome, detail = run_probe(family, args)
        proto.write(f"done {index} {json.dumps([outcome, detail])}\n")


if __name__ == "__main__":
    main()
