"""Which instruction set the kernels use.

The fastest path this CPU supports is chosen at import; every path gives
the same bits, so forcing a lower one changes speed only. The environment
variable ``WEIGHTINIT_ISA=scalar|avx2|avx512`` is read at import.
"""

from __future__ import annotations

import os
from typing import Literal

from . import _core

__all__ = ["available", "active", "force"]


def available() -> tuple[str, ...]:
    """Paths this CPU and build can run, lowest first, e.g. ``('scalar', 'avx2', 'avx512')``."""
    return tuple(_core.available_isas())


def active() -> str:
    """The path in use."""
    return _core.active_isa()


class force:
    """Use the path ``name`` from now on; as a context manager, only inside the block.

    The setting is process-wide: it applies to calls that start on any thread
    while it is in force. Each call reads it once, at its start, and uses that
    path on all of its threads until it returns, so forcing a path while other
    threads are inside the library never affects them (nor any value: every
    path gives the same bits).

    >>> import weightinit as wi
    >>> with wi.simd.force("scalar"):
    ...     a = wi.random.normal(1000, rng=1)
    >>> b = wi.random.normal(1000, rng=1)
    >>> bool((a == b).all())
    True

    Raises ``ValueError`` naming ``name`` for an unknown name or a path this
    CPU (or build) cannot run.
    """

    def __init__(self, name: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {name!r}")
        self._previous = _core.active_isa()
        try:
            _core.set_active_isa(name.lower())
        except (RuntimeError, ValueError) as e:
            raise ValueError(
                f"name={name!r}: {e} (available here: {', '.join(available())})"
            ) from None

    def __enter__(self) -> force:
        return self

    def __exit__(self, *exc: object) -> Literal[False]:
        _core.set_active_isa(self._previous)
        return False


_env = os.environ.get("WEIGHTINIT_ISA")
if _env:
    try:
        force(_env)
    except (ValueError, RuntimeError) as e:
        raise ImportError(f"WEIGHTINIT_ISA={_env!r}: {e}") from None
