#!/usr/bin/env python3
"""Orthogonal initialization: weightinit against the QR route of numpy, scipy,
scipy.stats.ortho_group, torch and JAX (issue 4), plus the GFLOP/s of our
orgqr next to numpy's own matmul on the same machine.

Run (OpenBLAS variables unset so numpy/scipy use their best kernels):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH=python \
        python3 bench/python/bench_orthogonal.py --out bench/results/orthogonal.md

Each thread count runs in a fresh subprocess with OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS, MKL_NUM_THREADS set (BLAS pools are sized at import).
The methods take turns over --repeat rounds (see timed_rounds), so slow
phases of a shared machine fall on all of them alike; every result is
checked to be
(semi-)orthogonal, so the benchmark cannot silently measure nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import _machine
import numpy as np

SIZES = "256,512,1024,2048,4096,1024x4096"
QUICK_SIZES = "256,512,1024"


def parse_sizes(text):
    out = []
    for tok in text.split(","):
        tok = tok.strip()
        if not tok:
            continue
        r, _, c = tok.partition("x")
        out.append((int(r), int(c or r)))
    return out


def check(q, rows, cols, dtype):
    q = np.asarray(q, dtype=np.float64)
    assert q.shape == (rows, cols), q.shape
    m = q if rows >= cols else q.T
    n = m.shape[1]
    err = np.abs(m.T @ m - np.eye(n)).max()
    tol = 100 * n * np.finfo(dtype).eps
    assert err <= tol, f"not orthogonal: error {err:.2e} > {tol:.2e}"


def sign_fixed(q, r):
    d = np.sign(np.diagonal(r))
    d[d == 0] = 1
    return q * d


def methods(dtype):
    """name -> callable(rows, cols, seed) returning the matrix, for the installed libraries."""
    import weightinit as wi

    out = {}
    init = wi.Orthogonal()
    out["weightinit"] = lambda r, c, s: init.sample((r, c), dtype=dtype, rng=s)

    def numpy_route(r, c, s):
        a = np.random.default_rng(s).standard_normal((max(r, c), min(r, c)), dtype=dtype)
        q = sign_fixed(*np.linalg.qr(a))
        return q if r >= c else q.T

    out["numpy"] = numpy_route
    try:
        import scipy.linalg
        import scipy.stats

        def scipy_route(r, c, s):
            a = np.random.default_rng(s).standard_normal((max(r, c), min(r, c)), dtype=dtype)
            q = sign_fixed(
                *scipy.linalg.qr(a, mode="economic", overwrite_a=True, check_finite=False)
            )
            return q if r >= c else q.T

        out["scipy"] = scipy_route
        out["ortho_group"] = lambda r, c, s: scipy.stats.ortho_group.rvs(r, random_state=s)
    except ImportError:
        pass
    try:
        import torch

        tdt = torch.float32 if dtype == np.float32 else torch.float64

        def torch_route(r, c, s):
            t = torch.empty((r, c), dtype=tdt)
            torch.manual_seed(s)
            torch.nn.init.orthogonal_(t)
            return t.numpy()

        out["torch"] = torch_route
    except ImportError:
        pass
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        jinit = jax.nn.initializers.orthogonal()

        def jax_route(r, c, s):
            return np.asarray(jinit(jax.random.key(s), (r, c), dtype).block_until_ready())

        out["jax"] = jax_route
    except ImportError:
        pass
    return out


def timed_rounds(fns, rounds, gap, min_time, max_calls=50):
    """Median seconds per call of each callable, and its warm-up result.

    The callables take turns: each round visits every one, so a slow phase of
    the shared VM (its second vCPU wanders by 10-30% for seconds at a time)
    falls on all of them alike, and ratios are side by side. Within a round a
    callable runs until min_time / rounds seconds have passed (at least once);
    the result is the median over rounds of the per-round medians.
    """
    # Idle before each callable: thread pools of the previous one (OpenBLAS,
    # torch's OpenMP, XLA) spin for a while after their last call and would
    # take the cores from this one; gap seconds let them go to sleep.
    results = {}
    for name, f in fns.items():
        time.sleep(gap)
        results[name] = f()  # warm-up (thread pools, JIT, page faults)
    samples = {name: [] for name in fns}
    for _ in range(rounds):
        for name, f in fns.items():
            time.sleep(gap)
            ts = []
            start = time.perf_counter()
            while not ts or (
                time.perf_counter() - start < min_time / rounds and len(ts) < max_calls
            ):
                t = time.perf_counter()
                f()
                ts.append(time.perf_counter() - t)
            samples[name].append(statistics.median(ts))
    return {name: statistics.median(v) for name, v in samples.items()}, results


def worker(args):
    import weightinit as wi

    wi.set_num_threads(args.threads)
    rows_out = []
    for dtname in args.dtypes.split(","):
        dtype = np.dtype(dtname).type
        meths = methods(dtype)
        for rows, cols in parse_sizes(args.sizes):
            rec = {
                "rows": rows,
                "cols": cols,
                "dtype": dtname,
                "threads": args.threads,
                "isa": wi.simd.active(),
                "times": {},
            }
            fns = {
                name: (lambda f=f: f(rows, cols, 1))
                for name, f in meths.items()
                if not (name == "ortho_group" and (rows != cols or rows > args.max_ortho_group))
            }
            n = min(rows, cols)
            a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
            fns["matmul"] = lambda a=a: a @ a
            times, results = timed_rounds(fns, args.repeat, args.gap, args.min_time)
            for name in meths:
                if name in times:
                    check(results[name], rows, cols, dtype)
                    rec["times"][name] = times[name]
            rec["matmul_gflops"] = 2 * n**3 / times["matmul"] / 1e9
            m = max(rows, cols)
            rec["orgqr_gflops"] = (2 * m * n * n - 2 * n**3 / 3) / rec["times"]["weightinit"] / 1e9
            rows_out.append(rec)
            print(json.dumps(rec), file=sys.stderr, flush=True)
    json.dump(rows_out, sys.stdout)


def table(records):
    peers = ["numpy", "scipy", "ortho_group", "torch", "jax"]
    present = [p for p in peers if any(p in r["times"] for r in records)]
    head = (
        ["shape", "dtype", "thr", "weightinit s"]
        + [f"{p} s" for p in present]
        + ["x numpy", "x best peer", "orgqr GF/s", "matmul GF/s", "orgqr/matmul"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in records:
        t = r["times"]
        ours = t["weightinit"]
        best = min((t[p] for p in present if p in t), default=float("nan"))
        cells = [f"{r['rows']}x{r['cols']}", r["dtype"], str(r["threads"]), f"{ours:.4f}"]
        cells += [f"{t[p]:.4f}" if p in t else "-" for p in present]
        cells += [
            f"{t['numpy'] / ours:.1f}",
            f"{best / ours:.1f}",
            f"{r['orgqr_gflops']:.1f}",
            f"{r['matmul_gflops']:.1f}",
            f"{r['orgqr_gflops'] / r['matmul_gflops']:.0%}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", default=None, help=f"comma list of n or RxC (default {SIZES})")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--threads", default="1,2", help="comma list of thread counts")
    p.add_argument("--repeat", type=int, default=5, help="rounds in which every method runs")
    p.add_argument(
        "--min-time",
        type=float,
        default=1.0,
        help="seconds of repeated calls per method, spread over the rounds",
    )
    p.add_argument(
        "--gap",
        type=float,
        default=0.3,
        help="idle seconds before timing each method, so other thread pools stop spinning",
    )
    p.add_argument("--quick", action="store_true", help=f"sizes {QUICK_SIZES}, one repeat")
    p.add_argument(
        "--max-ortho-group",
        type=int,
        default=2048,
        help="skip scipy.stats.ortho_group above this n (it is float64-only and slow)",
    )
    p.add_argument("--out", help="write the markdown table here")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.sizes is None:
        args.sizes = QUICK_SIZES if args.quick else SIZES
    if args.quick:
        args.repeat = 1
        args.min_time = 0.0
    if args.worker:
        args.threads = int(args.threads)
        return worker(args)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(
                f"warning: {var}={os.environ[var]} is set and holds OpenBLAS back; "
                f"run under `env -u {var}`",
                file=sys.stderr,
            )
    records = []
    for t in [int(x) for x in args.threads.split(",")]:
        env = dict(
            os.environ,
            OMP_NUM_THREADS=str(t),
            OPENBLAS_NUM_THREADS=str(t),
            MKL_NUM_THREADS=str(t),
            XLA_FLAGS=(
                f"--xla_cpu_multi_thread_eigen={'true' if t > 1 else 'false'} "
                f"intra_op_parallelism_threads={t}"
            ),
        )
        cmd = [
            sys.executable,
            __file__,
            "--worker",
            "--threads",
            str(t),
            "--sizes",
            args.sizes,
            "--dtypes",
            args.dtypes,
            "--repeat",
            str(args.repeat),
            "--min-time",
            str(args.min_time),
            "--gap",
            str(args.gap),
            "--max-ortho-group",
            str(args.max_ortho_group),
        ]
        res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, check=True, text=True)
        records += json.loads(res.stdout)
    records.sort(key=lambda r: (r["rows"] * r["cols"], r["rows"], r["dtype"], r["threads"]))
    md = (
        f"Orthogonal init, median of {args.repeat} interleaved round(s), "
        f">= {args.min_time} s of calls per method, "
        f"{args.gap} s idle before each method. Times in seconds; "
        f"'x' columns are speedups of weightinit; orgqr GF/s counts 2mn^2 - 2n^3/3 over "
        f"weightinit's whole call (reflector draws included); matmul is numpy n x n @ n x n.\n\n"
        + table(records)
        + "\n\n"
        + _machine.describe()
        + "\n"
    )
    print(md)
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)


if __name__ == "__main__":
    main()
