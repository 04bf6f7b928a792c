"""weightinit: neural-network weight initializers with a reproducible C++ core."""

from __future__ import annotations

import os as _os
from types import ModuleType as _ModuleType

import numpy as _np
import numpy.typing as _npt


def _load_core() -> None:
    # GNU libgomp reads its settings once, when our extension loads it. Its
    # default keeps idle workers spinning for ~300k iterations after every
    # parallel region; on a busy 2-core machine the spinning worker steals the
    # core the caller needs between calls (measured: a 150k-element fill took
    # 8 ms instead of 0.15 ms). A short spin keeps back-to-back regions fast
    # without that. Users' own OMP_WAIT_POLICY / GOMP_SPINCOUNT win.
    ours = not ({"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & set(_os.environ))
    if ours:
        _os.environ["GOMP_SPINCOUNT"] = "10000"
    try:
        from . import _core  # noqa: F401
    finally:
        if ours:
            del _os.environ["GOMP_SPINCOUNT"]


_load_core()

from . import (  # noqa: I001 - after the core, loaded with libgomp's settings above
    _core,
    diagnostics,  # signal-propagation diagnostics (never imports matplotlib)
    mup,  # μP multipliers from shapes (imports torch only in its torch functions)
    linalg,  # orthogonal matrices and QR
    random,
    simd,
)
from ._audit import AuditReport, ParameterReport, audit
from ._base import Initializer, get_default_dtype, set_default_dtype
from ._errors import ShapeError, ZeroElementWarning
from ._rng import Generator, get_rng, set_rng, set_seed
from .checkpoint import Manifest, read_manifest, save_safetensors, write_manifest
from .fans import fans
from .gains import calculate_gain
from .initializers import *  # noqa: F403 - the initializer classes
from .initializers import __all__ as _initializer_names
from .lookup import deserialize, get, serialize
from .npy import save_npy  # out-of-core .npy writer (weightinit.dask is imported separately)
from .orthogonal import DeltaOrthogonal, Orthogonal
from . import recipes  # named rule sets of published models (GPT-2, T5, ViT, ResNet, ...)

__version__ = "0.1.0"


def philox4x32(
    counter: _npt.ArrayLike, key: _npt.ArrayLike, rounds: int = 10
) -> _npt.NDArray[_np.uint32]:
    """Philox4x32 (Salmon et al. 2011) as a stateless function.

    ``counter``: uint32 array of shape (..., 4); ``key``: uint32 array of
    shape (2,). Returns the uint32 array of blocks, shape (..., 4). Words are
    little-endian: word 0 is the low word, as in Random123.
    """
    return _core.philox4x32(counter, key, rounds)


def get_num_threads() -> int:
    """Threads the core may use (default: ``OMP_NUM_THREADS`` or the core count,
    at most :func:`max_num_threads`)."""
    return _core.get_num_threads()


def max_num_threads() -> int:
    """The largest count :func:`set_num_threads` accepts: 4 per CPU, at most 1024."""
    return _core.max_num_threads()


def set_num_threads(n: int) -> None:
    """Use up to ``n`` threads, 1 <= n <= :func:`max_num_threads`. Results never depend on it.

    A team whose threads cannot all start (no address space left for their
    stacks) runs with the threads that can (docs/design.md, contract 6).
    """
    from . import _validation

    v = _validation.integer(n, "n", "a number of threads")
    limit = _core.max_num_threads()
    if not 1 <= v <= limit:
        raise ValueError(
            f"n must be a positive number of threads, at most {limit} (max_num_threads()), got {v}"
        )
    _core.set_num_threads(v)


__all__ = [
    "Generator",
    "ShapeError",
    "ZeroElementWarning",
    "get_num_threads",
    "get_rng",
    "max_num_threads",
    "philox4x32",
    "random",
    "set_num_threads",
    "set_rng",
    "set_seed",
    "simd",
]
__all__ += [
    *_initializer_names,
    "calculate_gain",
    "deserialize",
    "fans",
    "get",
    "get_default_dtype",
    "serialize",
    "set_default_dtype",
]
__all__ += ["DeltaOrthogonal", "Orthogonal", "linalg"]
__all__ += ["save_npy", "diagnostics", "recipes", "Initializer"]
__all__ += ["Manifest", "read_manifest", "save_safetensors", "write_manifest"]
__all__ += ["AuditReport", "ParameterReport", "audit", "mup"]

_OPTIONAL_SUBMODULES = ("dask", "jax", "keras", "torch")


def __getattr__(name: str) -> _ModuleType:
    # weightinit.torch / .jax / .keras / .dask import their framework only on first use.
    if name in _OPTIONAL_SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'weightinit' has no attribute {name!r}")
