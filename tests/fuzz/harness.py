"""The parent side of the fuzz suite: run probes in worker processes, see crashes and hangs.

Probes go to a worker (``probes.py``) in batches, so the interpreter and
numpy start once per batch, not once per probe. The worker announces each
probe before running it; when it dies or stops answering, the probe it was
running is the suspect: it is run again alone in a fresh worker, to tell a
crash of that input from one that needs the probes before it (both are
findings), and the rest of the batch continues in a new worker. Workers run
with an address-space limit, so a huge allocation fails instead of taking the
machine's memory.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .probes import CRASH, HANG

HERE = Path(__file__).resolve().parent
WORKER_ADDRESS_SPACE = 4 << 30


@dataclass
class Result:
    family: str
    args: dict[str, Any]
    outcome: str
    detail: str = ""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        shown = {k: v for k, v in self.args.items() if k != "_names"}
        return f"[{self.outcome}] {self.family} {shown!r}: {self.detail}"


def _environment() -> dict[str, str]:
    import weightinit

    env = dict(os.environ)
    package = Path(weightinit.__file__).resolve().parent.parent
    env["PYTHONPATH"] = os.pathsep.join([str(package), str(HERE), env.get("PYTHONPATH", "")])
    env.setdefault("OMP_NUM_THREADS", "2")
    env["PYTHONFAULTHANDLER"] = "1"  # a crash's stderr shows where
    return env


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_ADDRESS_SPACE, WORKER_ADDRESS_SPACE))


def _run_worker(
    items: list[tuple[int, str, dict[str, Any]]], timeout: float
) -> tuple[dict[int, tuple[str, str]], tuple[int, str, str] | None]:
    """Run ``items`` in one worker: ``({index: (outcome, detail)}, (index, crash|hang, why))``."""
    read_fd, write_fd = os.pipe()
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        pickle.dump(items, stdin)
        stdin.seek(0)
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "probes.py"), str(write_fd)],
            stdin=stdin,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            pass_fds=(write_fd,),
            env=_environment(),
            preexec_fn=_limit_address_space,
            start_new_session=True,  # a hang is killed with everything it started
        )
        os.close(write_fd)
        done: dict[int, tuple[str, str]] = {}
        running: int | None = None
        failure: tuple[int, str, str] | None = None
        buffer = b""
        with selectors.DefaultSelector() as sel, os.fdopen(read_fd, "rb", buffering=0) as pipe:
            sel.register(pipe, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while True:
                if not sel.select(max(0.0, deadline - time.monotonic())):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
                    if running is not None:
                        failure = (running, HANG, f"no answer within {timeout:.0f} s")
                    break
                chunk = pipe.read(65536)
                if not chunk:  # the worker ended
                    status = proc.wait()
                    if running is not None:
                        stderr.seek(0)
                        tail = stderr.read().decode(errors="replace").strip()[-800:]
                        failure = (running, CRASH, f"worker exit status {status}: {tail}")
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    kind, index, *rest = line.decode().split(" ", 2)
                    if kind == "start":
                        running = int(index)
                        deadline = time.monotonic() + timeout
                    else:
                        outcome, detail = json.loads(rest[0])
                        done[int(index)] = (outcome, detail)
                        running = None
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if failure is None and len(done) < len(items):  # died between probes
            stderr.seek(0)
            tail = stderr.read().decode(errors="replace").strip()[-800:]
            first = next(i for i, _, _ in items if i not in done)
            failure = (first, CRASH, f"worker exit status {proc.returncode} before it: {tail}")
    return done, failure


def run(
    probes: list[tuple[str, dict[str, Any]]], *, timeout: float = 20.0, batch: int = 100
) -> list[Result]:
    """Run every ``(family, args)``; the result of each, in order."""
    results: list[Result | None] = [None] * len(probes)
    todo = list(range(len(probes)))
    while todo:
        chunk, todo = todo[:batch], todo[batch:]
        items = [(i, *probes[i]) for i in chunk]
        done, failure = _run_worker(items, timeout)
        for i, (outcome, detail) in done.items():
            results[i] = Result(probes[i][0], probes[i][1], outcome, detail)
        if failure is not None:
            index, kind, why = failure
            result = Result(probes[index][0], probes[index][1], kind, why)
            if len(done) > 0:  # other probes ran before it in this worker: isolate
                alone, again = _run_worker([(index, *probes[index])], timeout)
                if again is None:
                    outcome = alone[index][0] if index in alone else "?"
                    result.notes.append(
                        f"alone it gives {outcome!r}: the {kind} needs the {len(done)} probes "
                        "run before it in its worker"
                    )
                else:
                    result.notes.append("reproduced alone")
            results[index] = result
        todo = [i for i in chunk if results[i] is None] + todo
    return [r for r in results if r is not None]
