"""Sharded initialization on torch.distributed (gloo, CPU): weightinit against torch's routes.

Parameter set: a ~1 B-parameter decoder-only transformer (LLaMA-style: d_model
2048, 16 layers, 16 heads, SwiGLU FFN 5632, vocabulary 32000, untied output,
RMSNorm; 0.95 B weights, float32), every matrix N(0, 0.02), every norm weight 1.
FSDP2's ``fully_shard`` on each layer and on the root, on a 1-D mesh of 1, 2
and 4 gloo ranks (spawned processes on this machine).

Routes, each in fresh processes per world size:

* ``weightinit``: the model built on the meta device, ``fully_shard``, then
  ``weightinit.torch.materialize`` (``to_empty`` + each rank fills its shards
  through ``region=``; no communication);
* ``torch-full``: every rank builds the whole model on the CPU, ``torch.manual_seed(0)``
  and ``torch.nn.init.normal_``/``ones_`` on the full tensors, then ``fully_shard``
  keeps its shards (consistent values, whole model per rank: the "OLMo" route);
* ``torch-dtensor``: meta, ``fully_shard``, ``to_empty``, ``torch.manual_seed(0)``,
  then ``torch.nn.init.normal_``/``ones_`` on the DTensors (DTensor random ops).

Each rank runs ``cpus // world_size`` threads (torch's and weightinit's), as
torchrun gives ``OMP_NUM_THREADS=1`` to each of several ranks on a small node, so
ranks never oversubscribe the cores; ``--threads N`` fixes the count instead. The
routes and world sizes run ``--repeats`` times, interleaved, in fresh processes.

Reported per route and world size: the median over the repeats of the seconds of
the initialization (the slowest rank; materialize, or build + init + shard), each rank's peak RSS
(``ru_maxrss``) and its RSS before the initialization, the rank's shard MiB,
and a sha256 of the gathered parameters (taken after the RSS reading, one
parameter at a time): identical digests mean identical values across world
sizes. ``bench/python/bench_sharded_jax.py`` (JAX: weightinit.jax.sharded vs
jax.random under out_shardings), if present, is run as a subprocess and its
markdown table appended.

Run:  PYTHONPATH=python python3 bench/python/bench_sharded.py [--small] [--out FILE]
``--small``: a tiny model, a correctness smoke run (its times mean nothing).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import _machine
import torch
import torch.distributed as dist
import torch.multiprocessing
from torch import nn

import weightinit as wi
import weightinit.torch as wit

FULL = {"vocab": 32000, "dim": 2048, "layers": 16, "heads": 16, "hidden": 5632}
SMALL = {"vocab": 503, "dim": 64, "layers": 2, "heads": 4, "hidden": 176}
ROUTES = {
    "weightinit": "meta + fully_shard + weightinit.torch.materialize",
    "torch-full": "full init on every rank (torch.manual_seed), then fully_shard",
    "torch-dtensor": "meta + fully_shard + to_empty + nn.init on DTensors",
}
STD = 0.02
RULES = {"*norm.weight": wi.Ones(), "*.weight": wi.Normal(std=STD)}


class Layer(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.attn_norm = nn.RMSNorm(dim)
        self.wq, self.wk, self.wv, self.wo = (nn.Linear(dim, dim, bias=False) for _ in range(4))
        self.ffn_norm = nn.RMSNorm(dim)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)


class Decoder(nn.Module):
    def __init__(self, vocab, dim, layers, heads, hidden):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(Layer(dim, heads, hidden) for _ in range(layers))
        self.norm = nn.RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)


def torch_init(model):
    """The same distributions with torch's own initializers, in parameter order."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                nn.init.ones_(p)
            else:
                nn.init.normal_(p, std=STD)


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _worker(rank, world_size, store, route, config, out_dir, threads):
    dist.init_process_group(
        "gloo",
        init_method=f"file://{store}",
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(minutes=30),
    )
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    torch.set_num_threads(threads)
    wi.set_num_threads(threads)
    mesh = init_device_mesh("cpu", (world_size,))

    def shard(model):
        for layer in model.layers:
            fully_shard(layer, mesh=mesh)
        return fully_shard(model, mesh=mesh)

    before = rss_mib()
    dist.barrier()
    start = time.perf_counter()
    if route == "weightinit":
        with torch.device("meta"):
            model = shard(Decoder(**config))
        wit.materialize(model, RULES, rng=0)
    elif route == "torch-full":
        torch.manual_seed(0)
        model = Decoder(**config)
        torch_init(model)
        shard(model)
    else:
        with torch.device("meta"):
            model = shard(Decoder(**config))
        model.to_empty(device="cpu")
        torch.manual_seed(0)
        torch_init(model)
    seconds = time.perf_counter() - start
    peak = peak_rss_mib()
    shard_mib = sum(p.to_local().numel() * p.element_size() for p in model.parameters()) / 2**20
    digest = hashlib.sha256()
    for _, p in sorted(model.named_parameters()):
        full = p.full_tensor()  # one parameter at a time, after the RSS reading
        if rank == 0:
            digest.update(full.detach().numpy().tobytes())
        del full
    result = {
        "rank": rank,
        "seconds": seconds,
        "rss_before_mib": before,
        "peak_rss_mib": peak,
        "shard_mib": shard_mib,
        "params": sum(p.numel() for p in model.parameters()),
        "digest": digest.hexdigest() if rank == 0 else None,
    }
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as f:
        json.dump(result, f)
    dist.destroy_process_group()


def run_route(route, world_size, config, threads):
    with tempfile.TemporaryDirectory() as tmp:
        torch.multiprocessing.start_processes(
            _worker,
            args=(world_size, os.path.join(tmp, "store"), route, config, tmp, threads),
            nprocs=world_size,
            start_method="spawn",
        )
        ranks = []
        for r in range(world_size):
            with open(os.path.join(tmp, f"rank{r}.json")) as f:
                ranks.append(json.load(f))
    return ranks


def jax_table(small):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_sharded_jax.py")
    if not os.path.exists(script):
        return None
    cmd = [sys.executable, script] + (["--small"] if small else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        command = " ".join(cmd[1:])
        return f"`{command}` failed (exit {done.returncode}):\n\n```\n{done.stderr[-2000:]}\n```"
    return done.stdout.strip()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--small", action="store_true", help="a tiny model: a correctness smoke run")
    p.add_argument("--world-sizes", default="1,2,4", help="comma-separated gloo world sizes")
    p.add_argument("--routes", default=",".join(ROUTES), help="comma-separated routes")
    p.add_argument("--out", help="also write the markdown report to this file")
    p.add_argument("--no-jax", action="store_true", help="skip bench_sharded_jax.py")
    p.add_argument("--repeats", type=int, default=3, help="runs per route and world size")
    p.add_argument(
        "--threads", type=int, default=0, help="threads per rank (default: cpus // world size)"
    )
    args = p.parse_args()
    config = SMALL if args.small else FULL
    sizes = [int(s) for s in args.world_sizes.split(",")]
    routes = args.routes.split(",")
    for r in routes:
        if r not in ROUTES:
            p.error(f"unknown route {r!r}; choose from {', '.join(ROUTES)}")

    def threads(ws):
        return args.threads or max(1, (os.cpu_count() or 1) // ws)

    runs = {(route, ws): [] for route in routes for ws in sizes}
    for rep in range(args.repeats):  # interleaved, so drift shows in every row alike
        for route in routes:
            for ws in sizes:
                print(f"{route} at world size {ws}, run {rep + 1} ...", file=sys.stderr, flush=True)
                runs[route, ws].append(run_route(route, ws, config, threads(ws)))
    rows, digests, median = [], {r: {} for r in routes}, {}
    for (route, ws), reps in runs.items():
        seconds = sorted(max(r["seconds"] for r in ranks) for ranks in reps)
        median[route, ws] = statistics.median(seconds)
        digests[route][ws] = reps[0][0]["digest"]
        if any(ranks[0]["digest"] != digests[route][ws] for ranks in reps):
            digests[route][ws] = "differs between repeats"
        rows.append((route, ws, reps[0], seconds))

    n = rows[0][2][0]["params"]
    lines = [
        "# Sharded initialization on torch.distributed (gloo, CPU)",
        "",
        f"{'SMALL smoke run: times mean nothing. ' if args.small else ''}"
        f"Decoder {config} = {n / 1e6:,.1f} M float32 parameters; FSDP2 fully_shard per layer "
        f"and root, 1-D mesh. torch {torch.__version__}.",
        "",
        _machine.describe(),
        "",
        "Routes: " + "; ".join(f"`{k}` = {v}" for k, v in ROUTES.items() if k in routes) + ".",
        "",
        f"Threads per rank: {args.threads or 'cpus // world size'}; median of {args.repeats} "
        "interleaved runs (min-max in brackets); memory from the first run.",
        "",
        "| route | world size | threads per rank | seconds (slowest rank) | shard MiB per rank "
        "| RSS before MiB | peak RSS MiB per rank | peak - before, max MiB | digest |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for route, ws, ranks, seconds in rows:
        peaks = ", ".join(f"{r['peak_rss_mib']:.0f}" for r in ranks)
        lines.append(
            f"| {route} | {ws} | {threads(ws)} | {statistics.median(seconds):.2f} "
            f"({seconds[0]:.2f}-{seconds[-1]:.2f}) "
            f"| {max(r['shard_mib'] for r in ranks):.0f} "
            f"| {max(r['rss_before_mib'] for r in ranks):.0f} "
            f"| {peaks} "
            f"| {max(r['peak_rss_mib'] - r['rss_before_mib'] for r in ranks):.0f} "
            f"| `{ranks[0]['digest'][:12]}` |"
        )
    lines += ["", "Values identical across world sizes " + ", ".join(map(str, sizes)) + ":", ""]
    for route in routes:
        same = len(set(digests[route].values())) == 1
        lines.append(f"* `{route}`: {'yes' if same else 'NO, they differ'}")
    if "weightinit" in routes and "torch-full" in routes:
        lines.append(
            "* weightinit and torch give different numbers by design (different generators); "
            "each route is compared with itself across world sizes."
        )
    if ("weightinit", 1) in median and ("weightinit", 2) in median:
        ratio = median["weightinit", 2] / median["weightinit", 1]
        lines.append(
            f"* weightinit at world size 2 took {ratio:.2f}x the single-process time "
            "(issue 12's target: at most 0.5 x 1.2 = 0.60x)."
        )
    report = "\n".join(lines) + "\n"
    if not args.no_jax:
        table = jax_table(args.small)
        if table is not None:
            report += "\n## JAX (bench/python/bench_sharded_jax.py)\n\n" + table + "\n"
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    if "weightinit" in routes and len(set(digests["weightinit"].values())) != 1:
        sys.exit("weightinit values differ across world sizes")


if __name__ == "__main__":
    main()
