"""Random fills: weightinit vs numpy's Generator (PCG64) vs ndarray.fill, same arrays, one run.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE \
        python bench/python/bench_random.py --out bench/results/random.md

For each size (2**12, 2**20, 2**24 elements), dtype and thread count it times, on the
same preallocated array: our uniform / normal / truncated normal, numpy's
``Generator.random`` / ``standard_normal`` (single-threaded), and ``ndarray.fill`` (the
memory-bandwidth floor). Medians over repeats; each result is checked so the benchmark
cannot silently measure nothing.

bfloat16 rows (with ``ml_dtypes`` installed) fill an ``ml_dtypes.bfloat16`` array; numpy
has no bfloat16 generator, so its column is the float32 draw then ``astype`` into the
array (what a numpy user would write), and the floor is ``fill`` of a uint16 array of
the same size. Compare each bfloat16 row with the float32 row of the same n.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import weightinit as wi


def median_seconds(fn, min_time=0.02, repeats=7):
    fn()  # warm up (page faults, thread pool)
    calls = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - t0 >= min_time:
            break
        calls *= 2
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)


def check(buf, kind):
    x = buf[: min(buf.size, 1 << 16)].astype(np.float64)
    if kind == "uniform":
        # bfloat16 rounds the float32 values nearest 1 up to 1.0 itself.
        top = 1.0 if buf.dtype.name == "bfloat16" else np.nextafter(1.0, 0.0)
        assert 0.0 <= x.min() and x.max() <= top and abs(x.mean() - 0.5) < 0.05, kind
    else:
        assert abs(x.mean()) < 0.1 and 0.8 < x.std() < 1.1, (kind, x.std())


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write the markdown table here too")
    ap.add_argument("--sizes", default="12,20,24", help="log2 sizes, comma separated")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--dtypes", default="float32,float64,bfloat16")
    args = ap.parse_args()
    dtypes = args.dtypes.split(",")
    if "bfloat16" in dtypes:
        try:
            import ml_dtypes
        except ImportError:
            print("(ml_dtypes not installed: bfloat16 rows skipped)")
            dtypes.remove("bfloat16")

    g = np.random.default_rng(12345)
    rows = []
    header = (
        "| dtype | n | threads | distribution | weightinit ns/elem | numpy ns/elem | vs numpy |"
        " fill ns/elem | weightinit / fill |\n|---|---|---|---|---|---|---|---|---|"
    )
    print(header)
    for log2n in [int(s) for s in args.sizes.split(",")]:
        n = 1 << log2n
        for name in dtypes:
            if name == "bfloat16":
                dtype = np.dtype(ml_dtypes.bfloat16)
                buf = np.empty(n, dtype)
                bits = buf.view(np.uint16)
                t_fill = median_seconds(lambda: bits.fill(0x3F80))
                numpy_calls = {
                    "uniform": lambda: np.copyto(buf, g.random(n, dtype=np.float32), "unsafe"),
                    "normal": lambda: np.copyto(
                        buf, g.standard_normal(n, dtype=np.float32), "unsafe"
                    ),
                    "truncated_normal": None,
                }
            else:
                dtype = np.dtype(name)
                buf = np.empty(n, dtype)
                t_fill = median_seconds(lambda: buf.fill(1.0))
                numpy_calls = {
                    "uniform": lambda: g.random(dtype=dtype, out=buf),
                    "normal": lambda: g.standard_normal(dtype=dtype, out=buf),
                    "truncated_normal": None,
                }
            t_numpy = {}
            for kind, call in numpy_calls.items():
                if call is not None:
                    t_numpy[kind] = median_seconds(call)
                    check(buf, kind)
            for threads in [int(t) for t in args.threads.split(",")]:
                wi.set_num_threads(threads)
                ours = {
                    "uniform": lambda: wi.random.uniform(out=buf, rng=1),
                    "normal": lambda: wi.random.normal(out=buf, rng=1),
                    "truncated_normal": lambda: wi.random.truncated_normal(
                        out=buf, rng=1, preserve_std=True
                    ),
                }
                for kind, call in ours.items():
                    t = median_seconds(call)
                    check(buf, kind)
                    tn = t_numpy.get(kind)
                    row = (
                        f"| {np.dtype(dtype).name} | 2^{log2n} | {threads} | {kind} | "
                        f"{t / n * 1e9:.3f} | "
                        + (f"{tn / n * 1e9:.3f} | **{tn / t:.1f}x** | " if tn else "– | – | ")
                        + f"{t_fill / n * 1e9:.3f} | {t / t_fill:.2f} |"
                    )
                    rows.append(row)
                    print(row, flush=True)
    info = (
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; weightinit {wi.__version__} "
        f"({wi.simd.active()}), numpy {np.__version__}; OPENBLAS_CORETYPE="
        f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')}; {time.strftime('%Y-%m-%d')}. "
        "Medians of 7 repeats; numpy's Generator is single-threaded at every thread count."
    )
    print("\n" + info)
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            f.write(header + "\n" + "\n".join(rows) + "\n\n" + info + "\n")


if __name__ == "__main__":
    main()
