"""Writing a random-weight checkpoint: ``weightinit.save_safetensors`` against the disk.

The checkpoint is a LLaMA-style decoder's parameter set (d_model 2048, FFN 5632,
vocabulary 32000, as many layers as the target size needs; N(0, 0.02) matrices,
RMSNorm weights 1) in bfloat16, about ``--size-gib`` GiB (default 4), written to
``--out`` as Hugging Face-style shards of at most 5 GB. The reference is the disk
itself: the same number of bytes written with ``numpy.ndarray.tofile`` from one
preallocated 64 MiB buffer, into as many files.

Each side runs in a fresh child process, which reports the seconds to write (data
in the page cache), the seconds until ``fsync`` returned for every file (data on
the disk), and its own peak RSS (``ru_maxrss``). The weightinit run is checked
afterwards: some blocks of every tensor are read back from the files and compared
with ``init.sample(region=...)``, so a broken writer cannot be timed.

Run alone on an idle machine (it measures the disk):
    PYTHONPATH=python python3 bench/python/bench_checkpoint.py --out /path/on/the/disk
    PYTHONPATH=python python3 bench/python/bench_checkpoint.py --out /tmp/x --small  # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import _machine
import numpy as np

import weightinit as wi

D_MODEL, FFN, VOCAB = 2048, 5632, 32000


def llama_params(size_bytes, d=D_MODEL, ffn=FFN, vocab=VOCAB, dtype="bfloat16"):
    """name -> (shape, dtype, initializer) of a LLaMA-style decoder of about ``size_bytes``."""
    itemsize = 2 if dtype in ("bfloat16", "float16") else np.dtype(dtype).itemsize
    per_layer = (4 * d * d + 3 * d * ffn + 2 * d) * itemsize
    fixed = (2 * vocab * d + d) * itemsize
    layers = max(1, round((size_bytes - fixed) / per_layer))
    std = wi.Normal(std=0.02)
    params = {"model.embed_tokens.weight": ((vocab, d), dtype, std)}
    for i in range(layers):
        p = f"model.layers.{i}."
        for proj in ("q", "k", "v", "o"):
            params[p + f"self_attn.{proj}_proj.weight"] = ((d, d), dtype, std)
        params[p + "mlp.gate_proj.weight"] = ((ffn, d), dtype, std)
        params[p + "mlp.up_proj.weight"] = ((ffn, d), dtype, std)
        params[p + "mlp.down_proj.weight"] = ((d, ffn), dtype, std)
        params[p + "input_layernorm.weight"] = ((d,), dtype, wi.Ones())
        params[p + "post_attention_layernorm.weight"] = ((d,), dtype, wi.Ones())
    params["model.norm.weight"] = ((d,), dtype, wi.Ones())
    params["lm_head.weight"] = ((vocab, d), dtype, std)
    return params


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def fsync_all(files):
    for f in files:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def child_weightinit(out, size_bytes, d, ffn, vocab, chunk_bytes):
    params = llama_params(size_bytes, d, ffn, vocab)
    start = time.perf_counter()
    files = wi.save_safetensors(out, params, rng=0, chunk_bytes=chunk_bytes, progress=False)
    written = time.perf_counter()
    fsync_all(files)
    synced = time.perf_counter()
    nbytes = sum(f.stat().st_size for f in files)
    return written - start, synced - start, nbytes, len(files)


def child_tofile(out, nbytes, files):
    out.mkdir(parents=True, exist_ok=True)
    buf = np.random.default_rng(0).integers(0, 255, 64 << 20, dtype=np.uint8)
    sizes = [nbytes // files] * files
    sizes[-1] += nbytes - sum(sizes)
    paths = [out / f"plain-{i}.bin" for i in range(files)]
    start = time.perf_counter()
    for p, n in zip(paths, sizes):
        with open(p, "wb") as f:
            while n > 0:
                k = min(n, buf.size)
                buf[:k].tofile(f)
                n -= k
    written = time.perf_counter()
    fsync_all(paths)
    synced = time.perf_counter()
    return written - start, synced - start, sum(p.stat().st_size for p in paths), files


def check_values(out, params, samples_per_tensor=2):
    """Compare blocks of every tensor in the files with init.sample(region=...)."""
    index_path = out / "model.safetensors.index.json"
    if index_path.exists():
        weight_map = json.loads(index_path.read_text())["weight_map"]
    else:
        weight_map = dict.fromkeys(params, "model.safetensors")
    headers = {}
    for name, (shape, _, init) in params.items():
        path = out / weight_map[name]
        if path not in headers:
            with open(path, "rb") as f:
                (n,) = struct.unpack("<Q", f.read(8))
                headers[path] = (json.loads(f.read(n)), 8 + n)
        header, data_start = headers[path]
        begin, _ = header[name]["data_offsets"]
        data = np.memmap(path, dtype=np.uint16, mode="r", offset=data_start + begin, shape=shape)
        rows = shape[0]
        for r in np.linspace(0, rows - 1, samples_per_tensor).astype(int):
            region = np.s_[r : r + 1]
            x = init.sample(shape, "float32", rng=0, stream=name, region=region)
            u = x.view(np.uint32).astype(np.uint64)
            bits = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
            if not np.array_equal(np.asarray(data[region]), bits):
                raise AssertionError(f"{name}: row {r} differs from init.sample")


def run_child(kind, args, files=None, nbytes=None):
    cmd = [sys.executable, __file__, "--child", kind, "--out", str(args.out / kind)]
    cmd += ["--size-gib", str(args.size_gib), "--chunk-mib", str(args.chunk_mib)]
    if args.small:
        cmd.append("--small")
    if files is not None:
        cmd += ["--files", str(files), "--bytes", str(nbytes)]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{kind} child failed:\n{p.stderr}")
    return json.loads(p.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="scratch directory on the disk")
    ap.add_argument("--size-gib", type=float, default=4.0)
    ap.add_argument("--chunk-mib", type=float, default=64.0, help="save_safetensors chunk_bytes")
    ap.add_argument("--small", action="store_true", help="64 MiB, d_model 512: a smoke run")
    ap.add_argument("--keep", action="store_true", help="keep the files written")
    ap.add_argument("--child", choices=["weightinit", "tofile"], help=argparse.SUPPRESS)
    ap.add_argument("--files", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--bytes", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    size = int((1 / 16 if args.small else args.size_gib) * (1 << 30))
    dims = (512, 1408, 8000) if args.small else (D_MODEL, FFN, VOCAB)
    if args.child == "weightinit":
        r = child_weightinit(args.out, size, *dims, int(args.chunk_mib * (1 << 20)))
    elif args.child == "tofile":
        r = child_tofile(args.out, args.bytes, args.files)
    if args.child:
        written, synced, nbytes, nfiles = r
        r = {"written": written, "synced": synced, "bytes": nbytes, "files": nfiles}
        print(json.dumps({**r, "peak_rss_mib": peak_rss_mib()}))
        return

    args.out.mkdir(parents=True, exist_ok=True)
    print(f"# {_machine.describe()} out={args.out}")
    ours = run_child("weightinit", args)
    params = llama_params(size, *dims)
    check_values(args.out / "weightinit", params)
    plain = run_child("tofile", args, files=ours["files"], nbytes=ours["bytes"])
    print(
        f"checkpoint: {len(params)} tensors, {ours['bytes'] / 2**30:.2f} GiB in "
        f"{ours['files']} file(s), bfloat16, chunk {args.chunk_mib:g} MiB; values checked"
    )
    print(f"{'writer':<28}{'write s':>9}{'MB/s':>9}{'+fsync s':>10}{'MB/s':>9}{'peak RSS':>11}")
    for label, r in (("weightinit.save_safetensors", ours), ("numpy tofile (same bytes)", plain)):
        print(
            f"{label:<28}{r['written']:>9.2f}{r['bytes'] / r['written'] / 1e6:>9.0f}"
            f"{r['synced']:>10.2f}{r['bytes'] / r['synced'] / 1e6:>9.0f}"
            f"{r['peak_rss_mib']:>8.0f} MiB"
        )
    print(
        f"ratio weightinit/tofile: {ours['written'] / plain['written']:.2f}x (page cache), "
        f"{ours['synced'] / plain['synced']:.2f}x (with fsync)"
    )
    if not args.keep:
        shutil.rmtree(args.out / "weightinit")
        shutil.rmtree(args.out / "tofile")


if __name__ == "__main__":
    main()
