"""Type stubs for the compiled core (cpp/bindings). Use the weightinit package, not this module.

Checked against the module by tools/stubtest.sh (mypy's stubtest, plus the argument names
pybind11 reports).
"""

import enum
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

# runtime (register_runtime.cpp): instruction sets, threads, parallel thresholds
def available_isas() -> list[str]: ...
def active_isa() -> str: ...
def set_active_isa(name: str) -> None: ...
def get_num_threads() -> int: ...
def set_num_threads(n: int) -> None: ...
def threads_disabled_by_fork() -> bool: ...

PARALLEL_THRESHOLDS: dict[str, int]

# random (register_random.cpp)
class Distribution(enum.IntEnum):
    uniform = 0
    normal = 1
    truncated_normal = 2

def philox4x32(
    counter: npt.ArrayLike, key: npt.ArrayLike, rounds: int = 10
) -> npt.NDArray[np.uint32]: ...
def splitmix64(x: int) -> int: ...
def substream(stream: int, tag: int, unit: int) -> int: ...
def normal_cdf(x: float) -> float: ...
def truncated_normal_std(alpha: float, beta: float) -> float: ...
def fill(
    kind: Distribution,
    params: Sequence[float],
    key: int,
    stream: int,
    shape: Sequence[int],
    start: Sequence[int],
    out: np.ndarray,
    bfloat16: bool = False,
) -> None: ...
def sparse_fill(
    key: int,
    stream: int,
    shape: Sequence[int],
    start: Sequence[int],
    out: np.ndarray,
    nonzeros: int,
    std: float,
    unit_axis: int,
    bfloat16: bool = False,
) -> None: ...
def sparse_indices(
    key: int, stream: int, unit: int, n_inputs: int, nonzeros: int
) -> npt.NDArray[np.int64]: ...
def orthogonal_columns(
    key: int, stream: int, rows: int, cols: int, c0: int, c1: int, gain: float, out: np.ndarray
) -> None: ...

# linalg (register_linalg.cpp)
def geqrf(a: np.ndarray, tau: np.ndarray) -> None: ...
def orgqr(a: np.ndarray, tau: np.ndarray, q: np.ndarray) -> None: ...
def gemm_update(a: np.ndarray, b: np.ndarray, c: np.ndarray, subtract: bool = False) -> None: ...
def gemm_shape() -> tuple[int, int, int, int]: ...
def linalg_block_size(m: int, k: int) -> int: ...
