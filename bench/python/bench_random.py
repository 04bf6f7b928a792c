"""Random fills and small calls: weightinit vs numpy's Generator (PCG64), ndarray.fill, torch.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        python bench/python/bench_random.py --out bench/results/random.md

Two tables, each followed by the machine line of ``_machine.describe()``; ``--out``
writes both. Medians over ``--repeats`` repeats, each of enough calls to last at least
``--min-time`` seconds; every result is checked (see ``check``) so the benchmark cannot
silently measure nothing. ``--threads`` sets weightinit's (and in the small-call table
torch's) thread count; ``default`` is each library's own count at start. numpy's
Generator is single-threaded at every thread count.

Fill table (``--sizes``, log2, default 2**12, 2**20, 2**24 elements; ``--sizes ""`` skips
it): for each size, dtype and thread count it times, on the same preallocated array, our
uniform / normal / truncated normal, numpy's ``Generator.random`` / ``standard_normal``,
and ``ndarray.fill`` (the memory-bandwidth floor), in ns per element.

Small-call table (``--small-sizes``, default 2**8, 2**10, ..., 2**16 values;
``--small-sizes ""`` skips it): microseconds per call, where the fixed cost of a call
(argument checks, dispatch, threads) weighs as much as the kernel. Three kinds of call,
each against numpy and torch (torch's column is skipped, with a note, when torch does
not import):

* ``new``: a new array, ``wi.random.uniform(n, dtype=..., rng=1)`` vs ``g.random(n,
  dtype=...)`` vs ``torch.rand(n, dtype=..., generator=gen)``; ``normal``:
  ``standard_normal`` / ``torch.randn``; ``truncated_normal`` on (-2, 2), the same
  distribution as ``torch.nn.init.trunc_normal_(torch.empty(n))`` (numpy has none);
* ``out``: into an existing array, ``wi.random.uniform(out=buf, rng=1)`` vs
  ``g.random(dtype=..., out=buf)`` vs ``t.uniform_(generator=gen)`` (``normal_``,
  ``trunc_normal_``);
* ``init``: the Initializer path on a (n // 64, 64) float32 array (fan_in 64 in torch's
  (out, in) layout): ``wi.HeUniform(gain="relu", layout="torch").fill(w, rng=1)`` vs
  ``torch.nn.init.kaiming_uniform_(w, nonlinearity="relu")``, and ``HeNormal`` vs
  ``kaiming_normal_``; numpy's column is the draw and the scaling a numpy user writes
  (``g.standard_normal(out=w); w *= std``).

bfloat16 rows (with ``ml_dtypes`` installed) use ``ml_dtypes.bfloat16`` arrays and torch's
bfloat16; numpy has no bfloat16 generator, so its column is the float32 draw then
``astype`` into the array (what a numpy user would write), and the fill table's floor is
``fill`` of a uint16 array of the same size. Compare each bfloat16 row with the float32
row of the same n.

Smoke run (shows that it runs; its times mean nothing):

    PYTHONPATH=python python3 bench/python/bench_random.py --sizes 12 --threads 1 \
        --dtypes float32 --small-sizes 8 --repeats 1 --min-time 0
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import _machine
import numpy as np

import weightinit as wi


def median_seconds(fn, min_time=0.02, repeats=7):
    return interleaved_medians([fn], min_time, repeats)[0][0]


def interleaved_medians(fns, min_time=0.02, repeats=7):
    """Median seconds per call of each of ``fns``, and the median over repeats of each
    one's time over the first one's: the repeats take turns (fns[0], fns[1], ...,
    fns[0], ...), so a VM that slows down for a while slows all of them alike."""
    batches = []
    for fn in fns:
        fn()  # warm up (page faults, thread pool)
        calls = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            if time.perf_counter() - t0 >= min_time / len(fns):
                break
            calls *= 2
        batches.append(calls)
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, calls, out in zip(fns, batches, times):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            out.append((time.perf_counter() - t0) / calls)
    medians = [statistics.median(t) for t in times]
    ratios = [statistics.median(a / b for a, b in zip(t, times[0])) for t in times]
    return medians, ratios


def check(a, kind, scale=1.0):
    """Assert that ``a`` (a numpy array or a torch tensor) holds draws of ``kind``.

    ``kind`` "uniform" is U[0, 1); any other kind is a mean-0 distribution whose standard
    deviation over ``scale`` is in [0.8, 1.1] (normal, the normal truncated to +-2 of sd
    0.88, He's normal and uniform). The mean and sd may miss by six standard errors of the
    mean (a false failure has probability ~2e-9), so zeros, constants, NaNs or an unfilled
    array fail at every n.
    """
    dtype_name = str(a.dtype).rpartition(".")[2]  # torch.bfloat16 -> bfloat16
    if isinstance(a, np.ndarray):
        x = a.reshape(-1)[: 1 << 16].astype(np.float64)
    else:
        x = a.reshape(-1)[: 1 << 16].double().numpy()
    x = x / scale
    se6 = 6 / math.sqrt(x.size)
    if kind == "uniform":
        # bfloat16 rounds the float32 values nearest 1 up to 1.0 itself.
        top = 1.0 if dtype_name == "bfloat16" else np.nextafter(1.0, 0.0)
        ok = 0.0 <= x.min() and x.max() <= top and abs(x.mean() - 0.5) < 0.29 * se6
        assert ok, (kind, dtype_name, x.min(), x.max(), x.mean())
    else:
        ok = abs(x.mean()) < se6 and 0.8 - se6 < x.std() < 1.1 + se6
        assert ok, (kind, dtype_name, x.mean(), x.std())


def numpy_dtype(name):
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def thread_settings(spec, wi_default, torch_default):
    """[(label, weightinit threads, torch threads)] for --threads."""
    settings = []
    for item in spec.split(","):
        if item == "default":
            label = f"default ({wi_default})"
            if torch_default not in (None, wi_default):
                label = f"default ({wi_default}; torch {torch_default})"
            settings.append((label, wi_default, torch_default))
        else:
            settings.append((item, int(item), int(item)))
    return settings


def ratio(theirs, ours):
    r = theirs / ours
    return f"**{r:.1f}x**" if r >= 1 else f"**{r:.2f}x**"


def fill_table(log2_sizes, dtypes, threads, min_time, repeats):
    """ns per element on a preallocated array of 2**log2 elements; returns the markdown."""
    g = np.random.default_rng(12345)
    lines = [
        "| dtype | n | threads | distribution | weightinit ns/elem | numpy ns/elem | vs numpy |"
        " fill ns/elem | weightinit / fill |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for log2n in log2_sizes:
        n = 1 << log2n
        for name in dtypes:
            dtype = numpy_dtype(name)
            buf = np.empty(n, dtype)
            if name == "bfloat16":
                bits = buf.view(np.uint16)
                t_fill = median_seconds(lambda: bits.fill(0x3F80), min_time, repeats)
                numpy_calls = {
                    "uniform": lambda: np.copyto(buf, g.random(n, dtype=np.float32), "unsafe"),
                    "normal": lambda: np.copyto(
                        buf, g.standard_normal(n, dtype=np.float32), "unsafe"
                    ),
                }
            else:
                t_fill = median_seconds(lambda: buf.fill(1.0), min_time, repeats)
                numpy_calls = {
                    "uniform": lambda: g.random(dtype=dtype, out=buf),
                    "normal": lambda: g.standard_normal(dtype=dtype, out=buf),
                }
            t_numpy = {}
            for kind, call in numpy_calls.items():
                t_numpy[kind] = median_seconds(call, min_time, repeats)
                check(buf, kind)
            for label, wi_threads, _ in threads:
                wi.set_num_threads(wi_threads)
                ours = {
                    "uniform": lambda: wi.random.uniform(out=buf, rng=1),
                    "normal": lambda: wi.random.normal(out=buf, rng=1),
                    "truncated_normal": lambda: wi.random.truncated_normal(
                        out=buf, rng=1, preserve_std=True
                    ),
                }
                for kind, call in ours.items():
                    t = median_seconds(call, min_time, repeats)
                    check(buf, kind)
                    tn = t_numpy.get(kind)
                    row = (
                        f"| {dtype.name} | 2^{log2n} | {label} | {kind} | "
                        f"{t / n * 1e9:.3f} | "
                        + (f"{tn / n * 1e9:.3f} | {ratio(tn, t)} | " if tn else "– | – | ")
                        + f"{t_fill / n * 1e9:.3f} | {t / t_fill:.2f} |"
                    )
                    lines.append(row)
                    print(row, flush=True)
    return "\n".join(lines)


def small_calls(n, name, g, torch, gen):
    """[(call, distribution, scale, weightinit, numpy, torch)] for n values of dtype ``name``.

    Each callable returns the array it filled; numpy's or torch's is None where that
    library has no such call. ``scale`` is the standard deviation ``check`` divides by.
    """
    dtype = numpy_dtype(name)
    buf = np.empty(n, dtype)
    if torch is not None:
        t_dtype = getattr(torch, name)
        t = torch.empty(n, dtype=t_dtype)
        trunc_normal_ = torch.nn.init.trunc_normal_

    def numpy_new(draw):
        if name == "bfloat16":  # numpy has no bfloat16 generator: float32, then cast
            return lambda: draw(n, dtype=np.float32).astype(dtype)
        return lambda: draw(n, dtype=dtype)

    def numpy_out(draw):
        if name != "bfloat16":
            return lambda: draw(dtype=dtype, out=buf)

        def call():
            np.copyto(buf, draw(n, dtype=np.float32), casting="unsafe")
            return buf

        return call

    cases = [
        (
            "new",
            "uniform",
            1.0,
            lambda: wi.random.uniform(n, dtype=dtype, rng=1),
            numpy_new(g.random),
            lambda: torch.rand(n, dtype=t_dtype, generator=gen),
        ),
        (
            "new",
            "normal",
            1.0,
            lambda: wi.random.normal(n, dtype=dtype, rng=1),
            numpy_new(g.standard_normal),
            lambda: torch.randn(n, dtype=t_dtype, generator=gen),
        ),
        (
            "new",
            "truncated_normal",
            1.0,
            lambda: wi.random.truncated_normal(n, dtype=dtype, rng=1),
            None,
            lambda: trunc_normal_(torch.empty(n, dtype=t_dtype), generator=gen),
        ),
        (
            "out",
            "uniform",
            1.0,
            lambda: wi.random.uniform(out=buf, rng=1),
            numpy_out(g.random),
            lambda: t.uniform_(generator=gen),
        ),
        (
            "out",
            "normal",
            1.0,
            lambda: wi.random.normal(out=buf, rng=1),
            numpy_out(g.standard_normal),
            lambda: t.normal_(generator=gen),
        ),
        (
            "out",
            "truncated_normal",
            1.0,
            lambda: wi.random.truncated_normal(out=buf, rng=1),
            None,
            lambda: trunc_normal_(t, generator=gen),
        ),
    ]
    if name == "float32":
        # (n // 64, 64): fan_in 64 in torch's (out, in) layout. He's normal and uniform
        # both have sd sqrt(2 / fan_in); the uniform's bound is sqrt(3) times that.
        w = np.empty((n // 64, 64), np.float32)
        he_std = math.sqrt(2 / 64)
        bound = math.sqrt(3) * he_std
        he_uniform = wi.HeUniform(gain="relu", layout="torch")
        he_normal = wi.HeNormal(gain="relu", layout="torch")

        def numpy_he_uniform():
            g.random(dtype=np.float32, out=w)
            np.multiply(w, np.float32(2 * bound), out=w)
            return np.subtract(w, np.float32(bound), out=w)

        def numpy_he_normal():
            g.standard_normal(dtype=np.float32, out=w)
            return np.multiply(w, np.float32(he_std), out=w)

        if torch is not None:
            tw = torch.empty(n // 64, 64)
            init = torch.nn.init
        cases += [
            (
                "init",
                "he_uniform",
                he_std,
                lambda: he_uniform.fill(w, rng=1),
                numpy_he_uniform,
                lambda: init.kaiming_uniform_(tw, nonlinearity="relu", generator=gen),
            ),
            (
                "init",
                "he_normal",
                he_std,
                lambda: he_normal.fill(w, rng=1),
                numpy_he_normal,
                lambda: init.kaiming_normal_(tw, nonlinearity="relu", generator=gen),
            ),
        ]
    if torch is None:
        cases = [case[:5] + (None,) for case in cases]
    return cases


def small_table(log2_sizes, dtypes, threads, torch, min_time, repeats):
    """µs per call for 2**log2 values, weightinit vs numpy vs torch; returns the markdown."""
    g = np.random.default_rng(12345)
    gen = torch.Generator().manual_seed(12345) if torch is not None else None
    lines = [
        "| call | dtype | n | threads | distribution | weightinit µs | numpy µs | torch µs |"
        " vs numpy | vs torch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for log2n in log2_sizes:
        n = 1 << log2n
        for name in dtypes:
            cases = small_calls(n, name, g, torch, gen)
            for label, wi_threads, torch_threads in threads:
                wi.set_num_threads(wi_threads)
                if torch is not None:
                    torch.set_num_threads(torch_threads)
                for call, kind, scale, ours, theirs_numpy, theirs_torch in cases:
                    contenders = (ours, theirs_numpy, theirs_torch)
                    fns = [fn for fn in contenders if fn is not None]
                    for fn in fns:
                        check(fn(), "uniform" if kind == "uniform" else "normal", scale)
                    found = iter(zip(*interleaved_medians(fns, min_time, repeats)))
                    times = [next(found) if fn else None for fn in contenders]
                    cells = [call, name, f"2^{log2n}", label, kind]
                    cells += [f"{x[0] * 1e6:.2f}" if x else "–" for x in times]
                    # their time / ours: the median of the ratios of paired repeats
                    cells += [ratio(x[1], 1.0) if x else "–" for x in times[1:]]
                    lines.append("| " + " | ".join(cells) + " |")
                    print(lines[-1], flush=True)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the markdown tables here too")
    ap.add_argument("--sizes", default="12,20,24", help="fill table: log2 sizes, comma separated")
    ap.add_argument("--small-sizes", default="8,10,12,14,16", help="small-call table: log2 sizes")
    ap.add_argument("--threads", default="1,default", help="thread counts, or default")
    ap.add_argument("--dtypes", default="float32,float64,bfloat16")
    ap.add_argument("--repeats", type=int, default=7, help="repeats per median")
    ap.add_argument("--min-time", type=float, default=0.02, help="seconds per repeat, at least")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    small_sizes = [int(s) for s in args.small_sizes.split(",") if s]
    dtypes = args.dtypes.split(",")
    if "bfloat16" in dtypes:
        try:
            import ml_dtypes  # noqa: F401
        except ImportError:
            print("(ml_dtypes not installed: bfloat16 rows skipped)")
            dtypes.remove("bfloat16")
    wi_default = wi.get_num_threads()
    median_note = (
        f"Medians of {args.repeats} repeat(s) of >= {args.min_time} s of calls; "
        "numpy's Generator is single-threaded at every thread count."
    )
    report = []

    if sizes:
        threads = thread_settings(args.threads, wi_default, None)
        table = fill_table(sizes, dtypes, threads, args.min_time, args.repeats)
        info = _machine.describe() + " " + median_note
        print("\n" + info + "\n", flush=True)
        report.append(table + "\n\n" + info + "\n")

    if small_sizes:
        try:
            import torch
        except ImportError:
            torch = None
            torch_note = "torch is not importable: its columns are empty."
            print(f"({torch_note})")
        else:
            torch_note = f"torch {torch.__version__}."
        torch_default = torch.get_num_threads() if torch is not None else None
        threads = thread_settings(args.threads, wi_default, torch_default)
        table = small_table(small_sizes, dtypes, threads, torch, args.min_time, args.repeats)
        info = (
            f"{_machine.describe()} {torch_note} Per-call times in µs; 'init' rows fill a "
            f"(n // 64, 64) float32 array. {median_note} The libraries take turns repeat by "
            "repeat; 'vs' is the median of the paired ratios."
        )
        print("\n" + info, flush=True)
        report.append(table + "\n\n" + info + "\n")

    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            f.write("\n".join(report))


if __name__ == "__main__":
    main()
