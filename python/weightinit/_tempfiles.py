"""Temporary files that an interrupt, SIGTERM or a killed writer does not leave behind.

:func:`weightinit.save_npy` and :func:`weightinit.save_safetensors` (and the CLI
commands built on them) write each file under a temporary name next to its
target and rename it only once complete (docs/large-tensors.md, "Interrupted
writes"). This module is the one mechanism they share:

* :func:`interruptible` -- while a write runs on the main thread, SIGINT and
  SIGTERM unwind it: the handler removes this thread's temporary files at
  once, then raises ``KeyboardInterrupt`` (SIGINT) or :class:`Terminated`
  (SIGTERM), so no Python frame in between can skip the cleanup. A second
  signal during the unwinding is ignored. When nobody else handles SIGTERM,
  the process then dies of it, as it would have without us.
* :func:`create` / :func:`commit` / :func:`discard` -- the temporary file
  ``.<name>.<pid>.<token>.part``, created exclusively and held under an
  exclusive ``flock`` until it is renamed or removed.
* :func:`remove_stale` -- SIGKILL cannot be caught, so a later write to the
  same target removes the temporaries of writers that are gone: the writer's
  PID is no running process *and* its lock can be taken. A live writer always
  holds its lock (the kernel drops it only when the process ends); the PID
  test covers the instant between ``open`` and ``flock``. A PID that was
  reused keeps its file until that process ends: never a live writer's file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: no flock; stale files are never judged dead there
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "Terminated",
    "commit",
    "create",
    "discard",
    "interruptible",
    "remove_stale",
    "stale_temporaries",
]

_PART = re.compile(r"\.(?P<target>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.part")


class Terminated(BaseException):
    """SIGTERM arrived during a write: it unwinds like ``KeyboardInterrupt``."""


class _State:
    def __init__(self) -> None:
        self.depth = 0  # nesting of interruptible() on the main thread
        self.installed: dict[int, Any] = {}  # signal -> the handler ours replaced
        self.die_of_sigterm = True
        self.unwinding = False  # a signal was turned into an exception
        self.deferred = 0  # main-thread critical sections (creation, renames)
        self.pending: int | None = None  # a signal that arrived in one of them
        # temporary path -> (descriptor holding its lock, thread that writes it)
        self.registered: dict[Path, tuple[int, int]] = {}
        self.lock = threading.Lock()


_state = _State()


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.unwinding:
        return  # a second Ctrl-C or SIGTERM must not cut the cleanup short
    if _state.deferred:
        _state.pending = signum
        return
    _raise_for(signum)


def _raise_for(signum: int) -> None:
    _state.unwinding = True
    _remove_registered(threading.main_thread().ident)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated


@contextlib.contextmanager
def interruptible(*, die_of_sigterm: bool = True) -> Iterator[None]:
    """SIGINT and SIGTERM unwind the block, removing its temporary files.

    Handlers are installed only on the main thread (the only one Python runs
    them on), and only over the defaults: ``default_int_handler`` for SIGINT,
    ``SIG_DFL`` for SIGTERM; a program's own handlers are left alone. With
    ``die_of_sigterm`` (the API's choice), SIGTERM ends the process after the
    cleanup, as killed by SIGTERM; without it (the CLI's), :class:`Terminated`
    propagates to the caller. Nested blocks share the outermost one's handlers.
    """
    if not _on_main_thread():
        yield
        return
    if _state.depth == 0:
        _state.die_of_sigterm = die_of_sigterm
        defaults: dict[int, Any] = {
            signal.SIGINT: signal.default_int_handler,
            signal.SIGTERM: signal.SIG_DFL,
        }
        for signum, default in defaults.items():
            if signal.getsignal(signum) is default:
                _state.installed[signum] = signal.signal(signum, _handler)
    _state.depth += 1
    try:
        yield
    except Terminated:
        if _state.depth == 1 and _state.die_of_sigterm and signal.SIGTERM in _state.installed:
            _remove_registered(None)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)
        raise
    finally:
        _state.depth -= 1
        if _state.depth == 0:
            for signum, previous in _state.installed.items():
                signal.signal(signum, previous)
            _state.installed.clear()
            _state.unwinding = False
            _state.pending = None


@contextlib.contextmanager
def _deferred() -> Iterator[None]:
    # A signal in here waits for the end of the block: a file half created (not
    # yet registered) or a checkpoint half renamed is worse than a late interrupt.
    main = _on_main_thread()
    if main:
        _state.deferred += 1
    try:
        yield
    finally:
        if main:
            _state.deferred -= 1
            pending, _state.pending = _state.pending, None
            if pending is not None and not _state.deferred:
                _raise_for(pending)


def temporary_name(target: Path) -> Path:
    """``.<name>.<pid>.<token>.part`` next to ``target``."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")


def create(target: Path) -> tuple[Path, int]:
    """Create ``target``'s temporary file (exclusively), lock it and register it.

    Returns the path and a read-write descriptor the caller owns; the lock is
    held on a duplicate until :func:`commit` or :func:`discard`.
    """
    tmp = temporary_name(target)
    fd = -1
    with _deferred():
        try:
            fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            if fcntl is not None:
                with contextlib.suppress(OSError):  # no flock here (some FUSE mounts)
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock_fd = os.dup(fd)
            with _state.lock:
                _state.registered[tmp] = (lock_fd, threading.get_ident())
        except BaseException as e:
            # Only where our handler is not installed can an interrupt land here.
            if fd >= 0:
                os.close(fd)
            if not isinstance(e, OSError) or fd >= 0:
                _unlink(tmp)  # an OSError from open: the name (O_EXCL) may be someone else's
            raise
    return tmp, fd


def discard(tmp: Path) -> None:
    """Remove a temporary file and release its lock (it may be gone already)."""
    _unlink(tmp)
    _release(tmp)


def commit(pairs: Iterable[tuple[Path, Path]]) -> None:
    """Rename every ``(temporary, target)``, with signals held back until all are renamed."""
    with _deferred():
        for tmp, target in pairs:
            os.replace(tmp, target)
            _release(tmp)


def _release(tmp: Path) -> None:
    with _state.lock:
        entry = _state.registered.pop(tmp, None)
    if entry is not None:
        os.close(entry[0])


def _remove_registered(thread: int | None) -> None:
    """Remove the temporary files of ``thread`` (of every thread if None)."""
    with _state.lock:
        paths = [p for p, (_, t) in _state.registered.items() if thread is None or t == thread]
    for p in paths:
        _unlink(p)


def _unlink(p: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(p)


def _pid_running(pid: int) -> bool:
    if pid <= 0:
        return True  # not a writer's PID: leave the file alone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OverflowError:
        return False  # larger than any PID
    return True


def _held(p: Path) -> tuple[bool, int]:
    """``(True, -1)`` if a live process holds ``p``'s lock, else ``(False, fd)`` holding it."""
    if fcntl is None:
        return True, -1
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return True, -1  # gone, or not ours to open: leave it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return True, -1  # locked (a live writer), or no flock: cannot tell
    return False, fd


def stale_temporaries(
    directory: Path, targets: Callable[[str], bool]
) -> list[tuple[Path, str | None]]:
    """Temporary files in ``directory`` whose target name satisfies ``targets``.

    Each with ``None`` if its writer is gone (the file is stale), else why it is kept.
    """
    out: list[tuple[Path, str | None]] = []
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return out
    for name in names:
        m = _PART.fullmatch(name)
        if m is None or not targets(m["target"]):
            continue
        p = directory / name
        pid = int(m["pid"])
        if _pid_running(pid):
            out.append((p, f"process {pid} is running (its writer, or a reused PID)"))
            continue
        held, fd = _held(p)
        if held:
            out.append((p, "locked by a live writer (another host or PID namespace)"))
            continue
        os.close(fd)
        out.append((p, None))
    return out


def remove_stale(directory: Path, targets: Callable[[str], bool]) -> list[Path]:
    """Remove the temporary files of dead writers for the targets in ``directory``.

    The lock is taken again just before the removal, so a file is removed
    only while this process holds its writer's lock. Returns those removed.
    """
    removed: list[Path] = []
    for p, reason in stale_temporaries(directory, targets):
        if reason is not None:
            continue
        held, fd = _held(p)
        if held:
            continue
        try:
            _unlink(p)
            removed.append(p)
        finally:
            os.close(fd)
    return removed
