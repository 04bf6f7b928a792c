"""Sharded JAX initialization: weightinit.jax against jax.random under out_shardings.

Parameter set: a ~1 B-parameter decoder-only transformer (d_model 2048, 18
layers, FFN 8192, vocabulary 32000; per layer the (in, out) kernels qkv
(2048, 6144), out (2048, 2048), up (2048, 8192), down (8192, 2048); the
embedding (32000, 2048); 0.97 B weights), every matrix N(0, 0.02), float32 by
default, all on one mesh of forced host devices
(``XLA_FLAGS=--xla_force_host_platform_device_count``): (1, 1), (1, 2),
(2, 2), (2, 4) for 1, 2, 4, 8 devices, matrices sharded ``P("data", "model")``.

Routes, each in a fresh process per device count:

* ``weightinit.jax.sharded`` -- each shard generated alone on the host
  (``make_array_from_callback``);
* ``weightinit.jax.initializer`` inside one ``jax.jit`` with ``out_sharding=``
  passed to every call -- one host callback per device (``shard_map``);
* ``weightinit.jax.initializer`` inside ``jax.jit(..., out_shardings=...)`` --
  one host callback per parameter generates it whole, XLA splits it;
* ``jax.random.normal`` inside ``jax.jit(..., out_shardings=...)``
  (``jax_threefry_partitionable`` as this JAX version sets it by default), and
  the same with ``jax_threefry_partitionable=False`` (JAX's default before
  0.5, still what older code pins).

Reported per route at the largest device count: seconds of the first call
(including compilation) and of a second call, the process's peak RSS after
the first call, and the parameter bytes. Then, per route, whether the values
are identical at every device count (sha256 of every parameter, read back in
row blocks after the timings). Output: a markdown table on stdout (progress
on stderr), so bench/python/bench_sharded.py can append it.

Run:  PYTHONPATH=python python3 bench/python/bench_sharded_jax.py [--small]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time

import _machine

# The device count is read once, when JAX is imported: set it first (workers get theirs
# from the parent).
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

ROUTES = {
    "sharded": "weightinit.jax.sharded (per shard, host)",
    "jit-per-device": "weightinit.jax.initializer(out_sharding=) in jit (callback per device)",
    "jit-whole": "weightinit.jax.initializer in jit(out_shardings=) (whole callback)",
    "jax.random": "jax.random.normal in jit(out_shardings=)",
    "jax.random-legacy": "same, jax_threefry_partitionable=False",
}
MESHES = {1: (1, 1), 2: (1, 2), 4: (2, 2), 8: (2, 4)}


def transformer(small: bool):
    """{name: (in, out) kernel shape} of the decoder's weight matrices."""
    d, layers, ffn, vocab = (256, 2, 1024, 1000) if small else (2048, 18, 8192, 32000)
    params = {"embed": (vocab, d)}
    for i in range(layers):
        params |= {
            f"layers.{i}.qkv": (d, 3 * d),
            f"layers.{i}.out": (d, d),
            f"layers.{i}.up": (d, ffn),
            f"layers.{i}.down": (ffn, d),
        }
    return params


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def worker(route: str, devices: int, small: bool, dtype: str) -> dict:
    """One route in this process (XLA_FLAGS already set by the parent)."""
    import jax
    import numpy as np
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    import weightinit as wi
    import weightinit.jax as wij

    assert len(jax.devices()) == devices, jax.devices()
    mesh = Mesh(np.array(jax.devices()).reshape(MESHES[devices]), ("data", "model"))
    sharding = NamedSharding(mesh, P("data", "model"))
    params = transformer(small)
    shardings = {name: sharding for name in params}
    key = jax.random.key(0)
    init = wi.Normal(0.02)

    if route == "sharded":

        def run():
            return {
                name: wij.sharded(init, shape, dtype, sharding, rng=key, stream=name)
                for name, shape in params.items()
            }

    elif route in ("jit-per-device", "jit-whole"):
        out_sharding = sharding if route == "jit-per-device" else None
        fns = {name: wij.initializer(init, stream=name) for name in params}

        def build(k):
            return {
                name: fns[name](k, shape, dtype, out_sharding) for name, shape in params.items()
            }

        run_jit = jax.jit(build, out_shardings=shardings)

        def run():
            return run_jit(key)

    else:
        if route == "jax.random-legacy":
            jax.config.update("jax_threefry_partitionable", False)

        def build(k):
            keys = jax.random.split(k, len(params))
            return {
                name: 0.02 * jax.random.normal(keys[i], shape, dtype)
                for i, (name, shape) in enumerate(params.items())
            }

        run_jit = jax.jit(build, out_shardings=shardings)

        def run():
            return run_jit(key)

    t0 = time.perf_counter()
    arrays = jax.block_until_ready(run())
    first = time.perf_counter() - t0
    peak = peak_rss_bytes()
    del arrays
    t0 = time.perf_counter()
    arrays = jax.block_until_ready(run())
    second = time.perf_counter() - t0
    nbytes = sum(a.nbytes for a in arrays.values())
    digests = {}
    for name, a in arrays.items():  # row blocks of <= 16 MiB: never the whole model on host
        h = hashlib.sha256()
        rows = max(1, (16 << 20) // (a.shape[1] * a.dtype.itemsize))
        for i in range(0, a.shape[0], rows):
            h.update(np.asarray(a[i : i + rows]).tobytes())
        digests[name] = h.hexdigest()
    std = float(np.asarray(arrays["embed"][:256], dtype=np.float32).std())
    assert abs(std - 0.02) < 0.002, f"{route}: embedding std {std}"  # a broken route fails
    return dict(first=first, second=second, peak=peak, nbytes=nbytes, digests=digests)


def spawn(route, devices, small, dtype):
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    env["JAX_PLATFORMS"] = "cpu"
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", route, str(devices)]
    cmd += ["--dtype", dtype] + (["--small"] if small else [])
    print(f"running {route} on {devices} devices", file=sys.stderr, flush=True)
    res = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(res.stdout.splitlines()[-1])


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--small", action="store_true", help="a tiny model: a smoke run")
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    p.add_argument("--counts", default="1,2,4,8", help="device counts (the largest is timed)")
    p.add_argument("--routes", default=",".join(ROUTES), help="comma-separated routes")
    p.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        route, devices = args.worker[0], int(args.worker[1])
        print(json.dumps(worker(route, devices, args.small, args.dtype)))
        return

    counts = sorted(int(c) for c in args.counts.split(","))
    routes = args.routes.split(",")
    for c in counts:
        if c not in MESHES:
            p.error(f"--counts: {c} is not one of {sorted(MESHES)}")
    for r in routes:
        if r not in ROUTES:
            p.error(f"--routes: {r!r} is not one of {', '.join(ROUTES)}")
    results = {(r, c): spawn(r, c, args.small, args.dtype) for r in routes for c in counts}

    import jax  # only for the versions and the default (the parent runs no JAX work)

    params = transformer(args.small)
    n = sum(a * b for a, b in params.values())
    top = counts[-1]
    size = "small smoke run" if args.small else f"{n / 1e9:.2f} B parameters"
    print(f"### JAX sharded initialization, {top} host devices ({size})")
    print()
    print(
        f"{len(params)} matrices, {n:,} weights, {args.dtype}, mesh {MESHES[top]} "
        f"(data, model), every matrix `P('data', 'model')`. JAX {jax.__version__}, "
        f"`jax_threefry_partitionable={jax.config.jax_threefry_partitionable}`."
    )
    print()
    print(_machine.describe())
    print()
    print(
        "| route | first call (s, incl. compile) | second call (s) | peak RSS (MiB) "
        "| parameters (MiB) | identical for devices " + ",".join(map(str, counts)) + " |"
    )
    print("|---|---:|---:|---:|---:|---|")
    for r in routes:
        res = results[(r, top)]
        ref = results[(r, counts[0])]["digests"]
        same = all(results[(r, c)]["digests"] == ref for c in counts)
        differing = sorted({c for c in counts if results[(r, c)]["digests"] != ref})
        verdict = "yes" if same else f"no (differs at {', '.join(map(str, differing))})"
        print(
            f"| {ROUTES[r]} | {res['first']:.2f} | {res['second']:.2f} | "
            f"{res['peak'] / 2**20:.0f} | {res['nbytes'] / 2**20:.0f} | {verdict} |"
        )
    wi_routes = [r for r in routes if not r.startswith("jax.random")]
    if len(wi_routes) > 1:
        ref = results[(wi_routes[0], top)]["digests"]
        agree = all(results[(r, top)]["digests"] == ref for r in wi_routes)
        print()
        print(f"weightinit routes give the same values as each other: {'yes' if agree else 'NO'}.")


if __name__ == "__main__":
    main()
