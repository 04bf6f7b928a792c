"""Run a function on a real torch.distributed gloo group of spawned processes.

No mocks: each rank is a fresh interpreter (the "spawn" start method) that
joins a gloo process group through a FileStore in a private temporary
directory (no port to pick, so no collision with other test runs), runs
``fn(rank, world_size, *args)`` and sends back its return value or its
traceback. Time is bounded twice: the process group gets a timeout, and the
parent kills every rank that is still running at the deadline.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import queue
import tempfile
import time
import traceback

GROUP_TIMEOUT_S = 60


def _worker(fn, rank, world_size, store_path, args, results):
    try:
        import torch.distributed as dist

        dist.init_process_group(
            "gloo",
            init_method=f"file://{store_path}",
            rank=rank,
            world_size=world_size,
            timeout=datetime.timedelta(seconds=GROUP_TIMEOUT_S),
        )
        try:
            out = fn(rank, world_size, *args)
        finally:
            dist.destroy_process_group()
        results.put((rank, True, out))
    except BaseException:  # the parent reports every rank's failure
        results.put((rank, False, traceback.format_exc()))


def run(fn, world_size, *args, timeout=240):
    """``[fn(rank, world_size, *args) for rank in ranks]``, each on its own gloo rank.

    ``fn`` must be importable by name (a module-level function) and return
    something picklable. Raises AssertionError with every failing rank's
    traceback, or when a rank does not finish within ``timeout`` seconds.
    """
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    with tempfile.TemporaryDirectory() as tmp:
        store = os.path.join(tmp, "store")
        procs = [
            ctx.Process(target=_worker, args=(fn, r, world_size, store, args, results))
            for r in range(world_size)
        ]
        for p in procs:
            p.start()
        got, deadline = {}, time.monotonic() + timeout
        try:
            while len(got) < world_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{fn.__name__} on {world_size} ranks did not finish in {timeout} s "
                        f"(finished: {sorted(got)})"
                    )
                try:
                    rank, ok, out = results.get(timeout=min(left, 1.0))
                except queue.Empty:
                    dead = [r for r, p in enumerate(procs) if p.exitcode not in (None, 0)]
                    if dead and not any(r in got for r in dead):
                        # A rank died without reporting (segfault, os._exit): give the
                        # others a moment to report, then fail instead of waiting.
                        time.sleep(1.0)
                        if results.empty():
                            raise AssertionError(
                                f"ranks {dead} of {fn.__name__} exited without a result "
                                f"(exit codes {[procs[r].exitcode for r in dead]})"
                            ) from None
                    continue
                got[rank] = (ok, out)
        finally:
            for p in procs:
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()
                    p.join()
    failed = {r: out for r, (ok, out) in got.items() if not ok}
    if failed:
        raise AssertionError(
            "\n".join(f"--- rank {r} of {world_size} ---\n{tb}" for r, tb in sorted(failed.items()))
        )
    return [got[r][1] for r in range(world_size)]
