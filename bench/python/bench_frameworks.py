"""Initializing real models: each framework's own initializers vs weightinit's adapters.

Models (shapes only; no forward pass):

* ResNet-50: its 53 conv kernels and the 2048x1000 classifier (25.5 M weights),
  initialized as torchvision does (conv: kaiming_normal_(mode="fan_out",
  nonlinearity="relu"); fc: nn.Linear's default U(+-1/sqrt(fan_in))). weightinit:
  HeNormal(gain="relu", mode="fan_out") and FanInUniform() -- the same distributions.
* ResNet-50 in bfloat16 too: torch tensors, JAX arrays (``dtype=jnp.bfloat16``) and
  numpy ``ml_dtypes.bfloat16`` arrays (numpy: float32 draws cast with ``astype``).
* A 1.3 B-parameter decoder-only transformer (d_model 2048, 24 layers, FFN 8192,
  vocabulary 50304: GPT-style N(0, 0.02) for every matrix), in bfloat16, in memory
  through torch and as numpy ``ml_dtypes.bfloat16`` arrays; and optionally
  (``--npy DIR``) written to .npy files with ``weightinit.save_npy`` (float16, never
  in memory at once), and (``--dask``) as
  Dask arrays reduced chunk by chunk, against ``dask.array.random``.

Every timing is the median of ``--repeat`` runs on preallocated tensors, after one
warm-up run. Each run checks its result (standard deviations within 6 standard
errors of the target), so a broken path cannot be timed. Frameworks that are not
installed are skipped.

Run:  PYTHONPATH=python python3 bench/python/bench_frameworks.py [--quick] [--npy DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "jax")

import _machine  # noqa: E402
import numpy as np  # noqa: E402

import weightinit as wi  # noqa: E402


def resnet50_shapes():
    """(out, in, kh, kw) of every conv of torchvision's resnet50, and the fc (out, in)."""
    convs = [(64, 3, 7, 7)]
    in_ch = 64
    for width, blocks in zip((64, 128, 256, 512), (3, 4, 6, 3), strict=True):
        for b in range(blocks):
            convs += [(width, in_ch, 1, 1), (width, width, 3, 3), (width * 4, width, 1, 1)]
            if b == 0:
                convs.append((width * 4, in_ch, 1, 1))  # downsample
            in_ch = width * 4
    return convs, [(1000, 2048)]


def transformer_shapes(d=2048, layers=24, ffn=8192, vocab=50304):
    per_layer = [(3 * d, d), (d, d), (ffn, d), (d, ffn)]
    return [(vocab, d)] + per_layer * layers


def median_time(fn, repeat):
    fn()  # warm-up (first-call costs: JAX compilation, page faults on fresh memory)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def check_std(arrays, stds, what):
    for a, s in zip(arrays, stds, strict=True):
        got = float(np.asarray(a, dtype=np.float32).std())
        # 6 standard errors of a sample std (1/sqrt(2n) relative), plus bfloat16 rounding.
        if abs(got - s) > (6 / math.sqrt(2 * np.size(a)) + 0.01) * s:
            raise AssertionError(f"{what}: std {got} for a target of {s} (shape {np.shape(a)})")


def row(name, theirs, ours, n):
    print(
        f"| {name} | {theirs * 1e3:9.1f} | {ours * 1e3:9.1f} | {theirs / ours:5.1f}x | "
        f"{n / ours / 1e6:7.0f} |"
    )


def header(title):
    print(f"\n### {title}\n")
    print("| case | framework (ms) | weightinit (ms) | speed-up | weightinit M weights/s |")
    print("|---|---:|---:|---:|---:|")


def resnet_stds(convs, fcs):
    conv_std = [math.sqrt(2.0 / (s[0] * s[2] * s[3])) for s in convs]  # fan_out
    fc_std = [1 / math.sqrt(s[1]) / math.sqrt(3) for s in fcs]  # U(+-1/sqrt(in))
    return conv_std + fc_std


def bench_torch_resnet(repeat):
    import torch

    import weightinit.torch as wit

    convs, fcs = resnet50_shapes()
    n = sum(math.prod(s) for s in convs + fcs)
    stds = resnet_stds(convs, fcs)
    header(f"ResNet-50 in torch ({n / 1e6:.1f} M weights, {torch.get_num_threads()} threads)")
    he = wi.HeNormal(gain="relu", mode="fan_out")
    fan_in = wi.FanInUniform()
    for dtype in (torch.float32, torch.bfloat16):
        ws = [torch.empty(s, dtype=dtype) for s in convs]
        fs = [torch.empty(s, dtype=dtype) for s in fcs]

        def theirs(ws=ws, fs=fs):
            for w in ws:
                torch.nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
            for f in fs:
                torch.nn.init.kaiming_uniform_(f, a=math.sqrt(5))

        def ours(ws=ws, fs=fs):
            for i, w in enumerate(ws):
                wit.init_(w, he, rng=0, stream=i)
            for i, f in enumerate(fs):
                wit.init_(f, fan_in, rng=0, stream=1000 + i)

        t_theirs = median_time(theirs, repeat)
        check_std([t.float().numpy() for t in ws + fs], stds, "torch.nn.init")
        t_ours = median_time(ours, repeat)
        check_std([t.float().numpy() for t in ws + fs], stds, "weightinit.torch")
        row(f"torch.nn.init vs init_, {str(dtype)[6:]}", t_theirs, t_ours, n)

    # Whole module with rules, as a user would (names as streams).
    model = torch.nn.Sequential(*[torch.nn.Conv2d(s[1], s[0], s[2:], bias=False) for s in convs])
    rules = {"*.weight": he}
    t = median_time(lambda: wit.initialize(model, rules, rng=0), repeat)
    print(f"\n`initialize(model, rules)` on the 53 ResNet-50 convs: {t * 1e3:.1f} ms")


def bench_jax_resnet(repeat):
    import jax

    import weightinit.jax as wij

    convs, fcs = resnet50_shapes()
    kshapes = [(s[2], s[3], s[1], s[0]) for s in convs] + [(s[1], s[0]) for s in fcs]
    n = sum(math.prod(s) for s in kshapes)
    stds = resnet_stds(convs, fcs)
    header(f"ResNet-50 in JAX {jax.__version__} (CPU, eager per-tensor calls, warmed up)")
    conv_j = jax.nn.initializers.variance_scaling(2.0, "fan_out", "normal")
    fc_j = jax.nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform")
    conv_w = wij.initializer(wi.HeNormal(gain="relu", mode="fan_out"))
    fc_w = wij.initializer(wi.FanInUniform())
    keys = jax.random.split(jax.random.key(0), len(kshapes))

    def run(conv_init, fc_init):
        out = [
            conv_init(k, s) for k, s in zip(keys[: len(convs)], kshapes[: len(convs)], strict=True)
        ]
        out += [fc_init(keys[-1], kshapes[-1])]
        jax.block_until_ready(out)
        return out

    t_theirs = median_time(lambda: run(conv_j, fc_j), repeat)
    check_std(run(conv_j, fc_j), stds, "jax.nn.initializers")
    t_ours = median_time(lambda: run(conv_w, fc_w), repeat)
    check_std(run(conv_w, fc_w), stds, "weightinit.jax")
    row("jax.nn.initializers vs weightinit.jax, float32", t_theirs, t_ours, n)

    bf16 = jax.numpy.bfloat16
    conv_jb = jax.nn.initializers.variance_scaling(2.0, "fan_out", "normal", dtype=bf16)
    fc_jb = jax.nn.initializers.variance_scaling(1 / 3, "fan_in", "uniform", dtype=bf16)
    conv_wb = wij.initializer(wi.HeNormal(gain="relu", mode="fan_out"), dtype=bf16)
    fc_wb = wij.initializer(wi.FanInUniform(), dtype=bf16)
    t_theirs = median_time(lambda: run(conv_jb, fc_jb), repeat)
    check_std(run(conv_jb, fc_jb), stds, "jax.nn.initializers bfloat16")
    t_ours = median_time(lambda: run(conv_wb, fc_wb), repeat)
    check_std(run(conv_wb, fc_wb), stds, "weightinit.jax bfloat16")
    row("jax.nn.initializers vs weightinit.jax, bfloat16", t_theirs, t_ours, n)

    def jitted(conv_init, fc_init):
        def all_params(key):
            ks = jax.random.split(key, len(kshapes))
            return [conv_init(k, s) for k, s in zip(ks[:-1], kshapes[:-1], strict=True)] + [
                fc_init(ks[-1], kshapes[-1])
            ]

        f = jax.jit(all_params)
        return lambda: jax.block_until_ready(f(jax.random.key(1)))

    t0 = time.perf_counter()
    jt = jitted(conv_j, fc_j)
    jt()
    c_theirs = time.perf_counter() - t0
    t0 = time.perf_counter()
    jo = jitted(conv_w, fc_w)
    jo()
    c_ours = time.perf_counter() - t0
    row("same, one jax.jit of all 54 (warm)", median_time(jt, repeat), median_time(jo, repeat), n)
    print(f"\nfirst jitted call incl. compilation: jax {c_theirs:.2f} s, weightinit {c_ours:.2f} s")


def bench_keras_resnet(repeat):
    import keras

    import weightinit.keras as wik

    convs, fcs = resnet50_shapes()
    kshapes = [(s[2], s[3], s[1], s[0]) for s in convs] + [(s[1], s[0]) for s in fcs]
    n = sum(math.prod(s) for s in kshapes)
    stds = resnet_stds(convs, fcs)
    header(f"ResNet-50 in Keras {keras.__version__} (backend {keras.backend.backend()})")
    conv_k = keras.initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal", seed=0)
    fc_k = keras.initializers.VarianceScaling(1 / 3, "fan_in", "uniform", seed=0)
    conv_w = wik.Initializer(wi.HeNormal(gain="relu", mode="fan_out"), seed=0)
    fc_w = wik.Initializer(wi.FanInUniform(), seed=0)

    def run(conv_init, fc_init):
        out = [conv_init(s) for s in kshapes[:-1]] + [fc_init(kshapes[-1])]
        return [np.asarray(o) for o in out]  # waits for the backend

    t_theirs = median_time(lambda: run(conv_k, fc_k), repeat)
    check_std(run(conv_k, fc_k), stds, "keras.initializers")
    t_ours = median_time(lambda: run(conv_w, fc_w), repeat)
    check_std(run(conv_w, fc_w), stds, "weightinit.keras")
    row("keras.initializers vs weightinit.keras, float32", t_theirs, t_ours, n)


def bench_torch_transformer(repeat):
    import torch

    import weightinit.torch as wit

    shapes = transformer_shapes()
    n = sum(math.prod(s) for s in shapes)
    gib = 2 * n / 2**30
    header(f"{n / 1e9:.2f} B-parameter transformer in torch, bfloat16, in memory ({gib:.1f} GiB)")
    ws = [torch.empty(s, dtype=torch.bfloat16) for s in shapes]
    normal = wi.Normal(std=0.02)

    def theirs():
        for w in ws:
            torch.nn.init.normal_(w, std=0.02)

    def ours():
        for i, w in enumerate(ws):
            wit.init_(w, normal, rng=0, stream=i)

    t_theirs = median_time(theirs, repeat)
    check_std([ws[0].float().numpy(), ws[-1].float().numpy()], [0.02, 0.02], "torch")
    t_ours = median_time(ours, repeat)
    check_std([ws[0].float().numpy(), ws[-1].float().numpy()], [0.02, 0.02], "weightinit")
    row("torch.nn.init.normal_ vs init_, bfloat16", t_theirs, t_ours, n)


def bench_numpy_resnet(repeat):
    import ml_dtypes

    bf16 = np.dtype(ml_dtypes.bfloat16)
    convs, fcs = resnet50_shapes()
    n = sum(math.prod(s) for s in convs + fcs)
    stds = resnet_stds(convs, fcs)
    header(f"ResNet-50 as numpy bfloat16 arrays (ml_dtypes {ml_dtypes.__version__})")
    ws = [np.empty(s, dtype=bf16) for s in convs]
    fs = [np.empty(s, dtype=bf16) for s in fcs]
    he = wi.HeNormal(gain="relu", mode="fan_out", layout="torch")
    fan_in = wi.FanInUniform(layout="torch")
    g = np.random.default_rng(0)

    def theirs():
        for w, std in zip(ws, stds[: len(ws)], strict=True):
            np.copyto(w, g.standard_normal(w.shape, dtype=np.float32) * np.float32(std), "unsafe")
        for f in fs:
            b = 1 / math.sqrt(f.shape[1])
            np.copyto(f, g.uniform(-b, b, f.shape).astype(np.float32), "unsafe")

    def ours():
        for i, w in enumerate(ws):
            he.fill(w, rng=0, stream=i)
        for i, f in enumerate(fs):
            fan_in.fill(f, rng=0, stream=1000 + i)

    t_theirs = median_time(theirs, repeat)
    check_std(ws + fs, stds, "numpy float32 + astype")
    t_ours = median_time(ours, repeat)
    check_std(ws + fs, stds, "weightinit")
    row("numpy float32 + astype vs Initializer.fill, bfloat16", t_theirs, t_ours, n)


def bench_numpy_transformer(repeat, shapes=None):
    import ml_dtypes

    bf16 = np.dtype(ml_dtypes.bfloat16)
    shapes = shapes or transformer_shapes()
    n = sum(math.prod(s) for s in shapes)
    gib = 2 * n / 2**30
    header(f"{n / 1e9:.2f} B-parameter transformer as numpy bfloat16 arrays ({gib:.1f} GiB)")
    ws = [np.empty(s, dtype=bf16) for s in shapes]
    g = np.random.default_rng(0)

    def theirs():
        for w in ws:
            np.copyto(w, g.standard_normal(w.shape, dtype=np.float32) * np.float32(0.02), "unsafe")

    def ours():
        for i, w in enumerate(ws):
            wi.random.normal(std=0.02, out=w, rng=0, stream=i)

    t_theirs = median_time(theirs, repeat)
    check_std([ws[0], ws[-1]], [0.02, 0.02], "numpy")
    t_ours = median_time(ours, repeat)
    check_std([ws[0], ws[-1]], [0.02, 0.02], "weightinit")
    row("numpy float32 + astype vs random.normal(out=), bfloat16", t_theirs, t_ours, n)


def bench_npy(directory):
    shapes = transformer_shapes()
    n = sum(math.prod(s) for s in shapes)
    normal = wi.Normal(std=0.02)
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        t0 = time.perf_counter()
        for i, s in enumerate(shapes):
            wi.save_npy(os.path.join(tmp, f"{i}.npy"), normal, s, dtype=np.float16, rng=0, stream=i)
        t = time.perf_counter() - t0
        w = np.load(os.path.join(tmp, f"{len(shapes) - 1}.npy"), mmap_mode="r")
        check_std([w[:256]], [0.02], "save_npy")
    print(
        f"\n`save_npy` of all {len(shapes)} matrices ({n / 1e9:.2f} B weights, float16, "
        f"{2 * n / 2**30:.1f} GiB on disk, one pass): {t:.1f} s ({n / t / 1e6:.0f} M weights/s)"
    )


def bench_dask(repeat):
    import dask
    import dask.array as da

    import weightinit.dask as wd

    shapes = transformer_shapes()
    n = sum(math.prod(s) for s in shapes)
    header(
        f"{n / 1e9:.2f} B transformer as Dask arrays, float32, mean of squares of every "
        f"matrix computed chunk by chunk (dask {dask.__version__}, threaded scheduler)"
    )
    normal = wi.Normal(std=0.02)

    def run(make):
        return dask.compute(*[(make(i, s) ** 2).mean() for i, s in enumerate(shapes)])

    def theirs(i, s):
        g = da.random.default_rng(i)
        return g.standard_normal(s, dtype=np.float32, chunks="auto") * np.float32(0.02)

    def ours(i, s):
        return wd.sample(normal, s, dtype=np.float32, rng=0, stream=i)

    t_theirs = median_time(lambda: run(theirs), repeat)
    for v in run(theirs)[:2]:
        assert abs(float(v) - 0.02**2) < 0.02**2 * 0.01
    t_ours = median_time(lambda: run(ours), repeat)
    for v in run(ours)[:2]:
        assert abs(float(v) - 0.02**2) < 0.02**2 * 0.01
    row("dask.array.random vs weightinit.dask", t_theirs, t_ours, n)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="ResNet-50 only, 3 repeats")
    p.add_argument("--npy", metavar="DIR", help="also write the 1.3 B model with save_npy")
    p.add_argument("--dask", action="store_true", help="also the 1.3 B model through Dask")
    p.add_argument("--threads", type=int, help="threads for torch and weightinit alike")
    args = p.parse_args()
    if args.threads:
        wi.set_num_threads(args.threads)
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass
    repeat = 3 if args.quick else args.repeat
    print(_machine.describe())
    print(
        f"weightinit threads {wi.get_num_threads()}, "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    for name, fn in (
        ("torch", bench_torch_resnet),
        ("jax", bench_jax_resnet),
        ("keras", bench_keras_resnet),
    ):
        try:
            __import__(name)
        except ImportError:
            print(f"\n({name} not installed: skipped)")
            continue
        fn(repeat)
    try:
        import ml_dtypes  # noqa: F401
    except ImportError:
        print("\n(ml_dtypes not installed: numpy bfloat16 skipped)")
        has_ml_dtypes = False
    else:
        has_ml_dtypes = True
        bench_numpy_resnet(repeat)
    if not args.quick:
        try:
            import torch  # noqa: F401
        except ImportError:
            pass
        else:
            bench_torch_transformer(max(1, min(repeat, 3)))
        if has_ml_dtypes:
            bench_numpy_transformer(max(1, min(repeat, 3)))
    if args.npy:
        bench_npy(args.npy)
    if args.dask:
        bench_dask(max(1, min(repeat, 2)))
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
