"""Audit initialized parameters: statistics, the initializer each one matches, and flags.

``audit(source)`` reads every parameter of a torch model, a safetensors file or
directory, an ``.npz`` archive, an ``.npy`` file or a directory of ``.npy``
files, block by block (memory stays bounded by ``block_bytes``, whatever the
checkpoint's size), and reports per parameter its shape, dtype, mean, std and
excess kurtosis; the common initializers whose std for the parameter's fans
matches (see ``docs/audit.md`` for the table and the tolerance); a content hash
(SHA-256 of dtype, shape and the values' bytes in C order, the same for a model
and the checkpoint written from it); and flags:

``nonfinite``, ``subnormal``, ``huge``, ``all_zero``
    values that look like uninitialized memory (fresh pages read as zeros; reused
    heap bytes read as floats give NaN, infinities, subnormals and values near
    1e38);
``std_factor``
    a std off by a known factor (sqrt 3, 2, sqrt 2 or their inverses) from the
    expected initializer's: the usual slips (a uniform bound used as a std, a gain
    applied twice, fan_in for fan_avg);
``mismatch``
    with ``rules``, a std or mean farther from the rule's initializer than
    sampling explains;
``norm_not_ones``
    a normalization layer's weight (LayerNorm, RMSNorm, BatchNorm, GroupNorm,
    or a 1-D ``*norm*.weight``/``scale`` in files) that is not all ones;
``identical``
    the same values as another parameter with its own storage (accidental tying,
    or the same stream initialized twice).

``AuditReport.diff`` compares two reports by content hash. The command line is
``weightinit audit SOURCE [OTHER] [--json]``.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import math
import os
import re
import struct
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from . import _validation as check
from ._adapters import relayout
from ._base import Initializer
from .fans import fans as _fans
from .lookup import as_initializer

if TYPE_CHECKING:
    from torch.nn import Module

__all__ = ["AuditReport", "ParameterReport", "audit"]

# Elements per arithmetic chunk: float64 temporaries of a few MiB each.
_CHUNK = 1 << 19
# |x| above this is not a weight anyone initializes (float32 garbage reaches 1e38).
_HUGE = 1e4
# The known slips, as factors between the measured and the expected std.
_FACTORS = {
    "sqrt(3)": math.sqrt(3.0),
    "2": 2.0,
    "sqrt(2)": math.sqrt(2.0),
    "1/sqrt(2)": 1 / math.sqrt(2.0),
    "1/2": 0.5,
    "1/sqrt(3)": 1 / math.sqrt(3.0),
}
_NORM_TYPES = ("LayerNorm", "RMSNorm", "GroupNorm", "LocalResponseNorm")
_NORM_NAME = re.compile(r"(^|[._])(\w*norm\w*|ln\w*|bn\w*)\.(weight|scale|gamma|g)$", re.I)
_SAFETENSORS = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
_FLOATS = frozenset(_SAFETENSORS.values())


@dataclass(frozen=True)
class ParameterReport:
    """What :func:`audit` found for one parameter (see the module docstring)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    sha256: str
    size: int = 0
    mean: float | None = None
    std: float | None = None
    kurtosis: float | None = None
    min: float | None = None
    max: float | None = None
    nonfinite: int = 0
    subnormal: int = 0
    zeros: int = 0
    matches: tuple[str, ...] = ()
    expected: str | None = None
    expected_std: float | None = None
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditReport:
    """Every parameter of one source, in the source's order."""

    source: str
    parameters: tuple[ParameterReport, ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> list[ParameterReport]:
        """The parameters with at least one flag."""
        return [p for p in self.parameters if p.flags]

    def __getitem__(self, name: str) -> ParameterReport:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def diff(self, other: AuditReport) -> dict[str, list[str]]:
        """Names whose values differ from ``other``'s, are the same, or are in one only."""
        mine = {p.name: p.sha256 for p in self.parameters}
        theirs = {p.name: p.sha256 for p in other.parameters}
        both = mine.keys() & theirs.keys()
        return {
            "differ": sorted(n for n in both if mine[n] != theirs[n]),
            "same": sorted(n for n in both if mine[n] == theirs[n]),
            "only_in_first": sorted(mine.keys() - theirs.keys()),
            "only_in_second": sorted(theirs.keys() - mine.keys()),
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``weightinit audit --json``)."""
        return {"source": self.source, "parameters": [asdict(p) for p in self.parameters]}

    def table(self) -> str:
        """A plain-text table, one line per parameter, flags and notes under it."""
        rows = [("name", "shape", "dtype", "mean", "std", "matches")]
        for p in self.parameters:
            rows.append(
                (
                    p.name,
                    "x".join(map(str, p.shape)) or "()",
                    p.dtype,
                    "" if p.mean is None else f"{p.mean:+.3g}",
                    "" if p.std is None else f"{p.std:.4g}",
                    ", ".join(p.matches) or "-",
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = []
        for i, row in enumerate(rows):
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
            if i:
                p = self.parameters[i - 1]
                lines += [f"    ! {note}" for note in p.notes]
        flagged = len(self.flagged)
        lines.append(f"{len(self.parameters)} parameters, {flagged} flagged")
        return "\n".join(lines)


# --- reading sources block by block -------------------------------------------------


@dataclass
class _Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str  # numpy's name, or "bfloat16"
    blocks: Any  # () -> Iterator[bytes-like of C-order values]
    is_norm: bool = False
    storage: Any = None  # torch storage pointer: tied parameters are one tensor


def _file_blocks(path: Path, offset: int, nbytes: int, block_bytes: int) -> Any:
    def blocks() -> Iterator[memoryview]:
        buf = bytearray(min(block_bytes, max(nbytes, 1)))
        with open(path, "rb") as f:
            f.seek(offset)
            left = nbytes
            while left:
                view = memoryview(buf)[: min(left, len(buf))]
                got = f.readinto(view)
                if not got:
                    raise OSError(f"{path}: file ends {left} bytes before the tensor does")
                left -= got
                yield view[:got]

    return blocks


def _safetensors(path: Path, block_bytes: int) -> list[_Tensor]:
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"{path}: not a safetensors file (shorter than its header size)")
        (n,) = struct.unpack("<Q", head)
        if n > 100 << 20:
            raise ValueError(f"{path}: not a safetensors file (header size {n})")
        try:
            header = json.loads(f.read(n))
        except ValueError as e:
            raise ValueError(f"{path}: not a safetensors file ({e})") from None
    out = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out.append(
            _Tensor(
                name,
                tuple(info["shape"]),
                _SAFETENSORS.get(info["dtype"], info["dtype"]),
                _file_blocks(path, 8 + n + begin, end - begin, block_bytes),
                is_norm=bool(_NORM_NAME.search(name)) and len(info["shape"]) == 1,
            )
        )
    return out


def _npy(path: Path, name: str, block_bytes: int) -> _Tensor:
    with open(path, "rb") as f:
        shape, fortran, dtype, offset = _npy_header(f, path)
    if fortran and len(shape) > 1:
        arr = np.load(path, mmap_mode="r")

        def blocks() -> Iterator[bytes]:
            rows = max(1, block_bytes // max(1, arr[0].nbytes))
            for i in range(0, arr.shape[0], rows):
                yield np.ascontiguousarray(arr[i : i + rows]).tobytes()

        return _Tensor(name, shape, str(dtype), blocks, _is_norm_name(name, shape))
    nbytes = math.prod(shape) * dtype.itemsize
    return _Tensor(
        name,
        shape,
        str(dtype),
        _file_blocks(path, offset, nbytes, block_bytes),
        _is_norm_name(name, shape),
    )


def _npy_header(f: IO[bytes], path: Path | str) -> tuple[tuple[int, ...], bool, np.dtype[Any], int]:
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    except ValueError as e:
        raise ValueError(f"{path}: not an .npy array ({e})") from None
    return tuple(shape), bool(fortran), np.dtype(dtype), f.tell()


def _npz(path: Path, block_bytes: int) -> list[_Tensor]:
    out = []
    with zipfile.ZipFile(path) as z:
        members = [m for m in z.namelist() if m.endswith(".npy")]
        for m in members:
            with z.open(m) as f:
                shape, fortran, dtype, _ = _npy_header(f, f"{path}:{m}")

            def blocks(m: str = m, fortran: bool = fortran) -> Iterator[bytes]:
                with zipfile.ZipFile(path) as z, z.open(m) as f:
                    if fortran:
                        yield np.ascontiguousarray(np.lib.format.read_array(f)).tobytes()
                        return
                    _npy_header(f, path)
                    while chunk := f.read(block_bytes):
                        yield chunk

            name = m[: -len(".npy")]
            out.append(_Tensor(name, shape, str(dtype), blocks, _is_norm_name(name, shape)))
    return out


def _is_norm_name(name: str, shape: tuple[int, ...]) -> bool:
    return len(shape) == 1 and bool(_NORM_NAME.search(name))


def _from_path(path: Path, block_bytes: int) -> list[_Tensor]:
    if path.is_dir():
        found = sorted(path.glob("*.safetensors")), sorted(path.glob("*.npy"))
        if not found[0] and not found[1]:
            raise ValueError(f"source {path} holds no .safetensors or .npy files")
        tensors = [t for p in found[0] for t in _safetensors(p, block_bytes)]
        return tensors + [_npy(p, p.stem, block_bytes) for p in found[1]]
    if not path.exists():
        raise FileNotFoundError(f"source {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        return _safetensors(path, block_bytes)
    if suffix == ".npz":
        return _npz(path, block_bytes)
    if suffix == ".npy":
        return [_npy(path, path.stem, block_bytes)]
    raise ValueError(
        f"source {path}: expected a .safetensors, .npz or .npy file or a directory of them"
    )


def _from_module(module: Module, block_bytes: int) -> list[_Tensor]:
    norm_weights = {
        f"{prefix}.{local}" if prefix else local
        for prefix, m in module.named_modules()
        if type(m).__name__ in _NORM_TYPES
        or type(m).__name__.startswith(("BatchNorm", "InstanceNorm"))
        for local in ("weight",)
        if getattr(m, "weight", None) is not None
    }
    out = []
    for name, p in module.named_parameters():
        t = p.detach()
        if t.device.type == "meta":
            out.append(_Tensor(name, tuple(t.shape), str(t.dtype).removeprefix("torch."), None))
            continue

        def blocks(t: Any = t) -> Iterator[bytes]:
            flat = t.reshape(-1)
            step = max(1, block_bytes // max(1, t.element_size()))
            for i in range(0, flat.numel(), step):
                chunk = flat[i : i + step].cpu().contiguous()
                if str(chunk.dtype) == "torch.bfloat16":
                    import torch

                    chunk = chunk.view(torch.int16)
                yield chunk.numpy().tobytes()

        out.append(
            _Tensor(
                name,
                tuple(t.shape),
                str(t.dtype).removeprefix("torch."),
                blocks,
                is_norm=name in norm_weights,
            )
        )
    return out


# --- statistics ------------------------------------------------------------------------


class _Moments:
    """Streaming sums of powers of (x - shift) in float64, for mean, std and kurtosis."""

    def __init__(self) -> None:
        self.n = 0
        self.shift: float | None = None
        self.sums = [0.0, 0.0, 0.0, 0.0]
        self.lo = math.inf
        self.hi = -math.inf
        self.nonfinite = self.subnormal = self.zeros = 0

    def add(self, x: np.ndarray[Any, Any], tiny: float) -> None:
        finite = np.isfinite(x)
        nfinite = int(np.count_nonzero(finite))
        self.nonfinite += x.size - nfinite
        if nfinite < x.size:
            x = x[finite]
        if not x.size:
            return
        a = np.abs(x)
        self.zeros += int(np.count_nonzero(a == 0))
        self.subnormal += int(np.count_nonzero((a > 0) & (a < tiny)))
        y = x.astype(np.float64)
        self.lo = min(self.lo, float(y.min()))
        self.hi = max(self.hi, float(y.max()))
        if self.shift is None:
            self.shift = float(y.mean())
        y -= self.shift
        y2 = y * y
        self.sums[0] += float(y.sum())
        self.sums[1] += float(y2.sum())
        self.sums[2] += float((y2 * y).sum())
        self.sums[3] += float((y2 * y2).sum())
        self.n += y.size

    def summary(self) -> tuple[float, float, float | None] | None:
        if not self.n:
            return None
        n, (s1, s2, s3, s4) = self.n, self.sums
        d = s1 / n
        var = max(s2 / n - d * d, 0.0)
        mean = (self.shift or 0.0) + d
        if var == 0.0 or n < 4:
            return mean, math.sqrt(var), None
        m4 = s4 / n - 4 * d * s3 / n + 6 * d * d * s2 / n - 3 * d**4
        return mean, math.sqrt(var), m4 / (var * var) - 3.0


def _as_values(raw: Any, dtype: str) -> np.ndarray[Any, Any]:
    if dtype == "bfloat16":
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<"))


def _measure(t: _Tensor) -> tuple[_Moments | None, str]:
    digest = hashlib.sha256(f"{t.dtype}{list(t.shape)}".encode())
    m = _Moments() if t.dtype in _FLOATS else None
    as32 = t.dtype == "bfloat16"  # bfloat16 has float32's exponent range
    tiny = float(np.finfo(np.float32 if as32 else t.dtype).tiny) if m else 0.0
    itemsize = 2 if as32 else (np.dtype(t.dtype).itemsize if m else 1)
    left = b""
    for raw in t.blocks():
        digest.update(raw)
        if m is None:
            continue
        data = left + bytes(raw) if left else raw
        usable = len(data) - len(data) % itemsize
        left = bytes(data[usable:])
        values = _as_values(memoryview(data)[:usable], t.dtype)
        for i in range(0, values.size, _CHUNK):
            m.add(values[i : i + _CHUNK], tiny)
    return m, digest.hexdigest()


# --- what the parameter should look like --------------------------------------------


def _candidates(shape: tuple[int, ...], layout: str) -> dict[str, float]:
    """The std each common initializer gives a weight of ``shape`` (``docs/audit.md``)."""
    if len(shape) < 2:
        return {}
    fan_in, fan_out = _fans(shape, layout)
    rows = shape[0] if layout == "torch" else math.prod(shape[:-1])
    cols = math.prod(shape) // max(rows, 1)
    return {
        "glorot": math.sqrt(2.0 / (fan_in + fan_out)),
        "he": math.sqrt(2.0 / fan_in),
        "he_fan_out": math.sqrt(2.0 / fan_out),
        "lecun": math.sqrt(1.0 / fan_in),
        "torch_default": 1.0 / math.sqrt(3.0 * fan_in),
        "orthogonal": 1.0 / math.sqrt(max(rows, cols)),
        "normal(0.02)": 0.02,
        "normal(0.01)": 0.01,
    }


def _family(kurtosis: float | None, n: int) -> str | None:
    """Normal (excess kurtosis 0) or uniform (-1.2), when the sample tells them apart."""
    if kurtosis is None or n < 1000:
        return None
    se = math.sqrt(24.0 / n)
    if abs(kurtosis) < max(4 * se, 0.15):
        return "normal"
    if abs(kurtosis + 1.2) < max(4 * se, 0.15):
        return "uniform"
    return None


def _tolerance(n: int) -> float:
    """Relative tolerance of a sample std of n values: 5 standard errors, at least 2%."""
    return max(0.02, 5.0 / math.sqrt(2.0 * max(n, 1)))


def _expected(init: Initializer, shape: tuple[int, ...]) -> tuple[float, float, int] | None:
    """(mean, std, n) of ``init`` on ``shape``: closed forms where the initializer has one
    (n = 0), else measured on n values of a draw of the same shape (a block of leading
    rows for element-wise initializers of large shapes; None for structured ones)."""
    from . import initializers as I

    config = init.get_config()
    if isinstance(init, I.Normal):
        return float(config["mean"]), float(config["std"]), 0
    if isinstance(init, I.Uniform):
        r, std, mean = config["range"], config["std"], float(config["mean"])
        if std is not None:
            return mean, float(std), 0
        lo, hi = (-r, r) if not isinstance(r, tuple) else r
        return (lo + hi) / 2.0, (hi - lo) / math.sqrt(12.0), 0
    if isinstance(init, (I.Glorot, I.He)):
        return 0.0, init.std(shape), 0
    if isinstance(init, I.VarianceScaling):
        return 0.0, math.sqrt(init.variance(shape)), 0
    if isinstance(init, I.FanInUniform):
        return 0.0, init.bound(shape) / math.sqrt(3.0), 0
    n = math.prod(shape)
    if n <= 1 << 22:
        x = init.sample(shape, "float64", rng=0)
    elif type(init).__name__ in ("Orthogonal", "DeltaOrthogonal", "Sparse", "Identity", "Dirac"):
        return None
    else:
        rows = max(1, (1 << 20) // max(1, n // shape[0]))
        x = init.sample(shape, "float64", rng=0, region=(slice(0, rows),))
    # A constant's draw is its exact value (n = 0: no sampling error).
    return float(x.mean()), float(x.std()), 0 if isinstance(init, I.Constant) else x.size


def _rule_for(rules: list[tuple[str, Initializer | None]], name: str) -> Initializer | None:
    for pattern, init in rules:
        if fnmatch.fnmatchcase(name, pattern):
            return init
    return None


def _judge(
    t: _Tensor,
    m: _Moments | None,
    sha: str,
    layout: str,
    rules: list[tuple[str, Initializer | None]] | None,
) -> ParameterReport:
    base = ParameterReport(t.name, t.shape, t.dtype, sha, size=math.prod(t.shape))
    if m is None:
        return base
    flags: list[str] = []
    notes: list[str] = []
    summary = m.summary()
    if m.nonfinite:
        flags.append("nonfinite")
        notes.append(f"{m.nonfinite} NaN or infinite values: uninitialized memory?")
    if m.subnormal:
        flags.append("subnormal")
        notes.append(f"{m.subnormal} subnormal values: uninitialized memory?")
    if summary is None:
        return ParameterReport(
            **{**asdict(base), "nonfinite": m.nonfinite}, flags=tuple(flags), notes=tuple(notes)
        )
    mean, std, kurtosis = summary
    if max(abs(m.lo), abs(m.hi)) > _HUGE:
        flags.append("huge")
        notes.append(f"values up to {max(abs(m.lo), abs(m.hi)):.3g}: uninitialized memory?")
    expected_init = _rule_for(rules, t.name) if rules is not None else None
    expected = _expected(expected_init, t.shape) if expected_init is not None else None
    if m.zeros == m.n and len(t.shape) >= 2 and not (expected and expected[1] == 0.0):
        flags.append("all_zero")
        notes.append("every value is zero: never initialized (fresh pages read as zeros)?")
    if t.is_norm and not (m.lo == m.hi == 1.0) and not (expected and expected[1] != 0.0):
        if expected is None or expected[0] == 1.0:
            flags.append("norm_not_ones")
            notes.append(f"a normalization weight that is not all ones (mean {mean:.3g})")
    candidates = _candidates(t.shape, layout)
    tol = _tolerance(m.n)
    matches = [k for k, s in candidates.items() if std > 0 and abs(std / s - 1) <= tol]
    family = _family(kurtosis, m.n)
    if family:
        matches = [f"{k} ({family})" for k in matches]
    reference: tuple[str, float] | None = None
    if expected is not None:
        reference = (repr(expected_init), expected[1])
        # A measured expectation has its own sampling error: add it in quadrature.
        tol_ref = math.hypot(tol, _tolerance(expected[2])) if expected[2] else tol
        if expected[1] > 0:
            reference_ok = abs(std / expected[1] - 1) <= tol_ref
        else:
            reference_ok = std == 0.0
        spread = expected[1] * math.sqrt(1 / m.n + (1 / expected[2] if expected[2] else 0))
        if abs(mean - expected[0]) > 6 * spread + 1e-6 * abs(expected[0]):
            reference_ok = False
        if not reference_ok and not _factor_flag(
            std, expected[1], tol, repr(expected_init), flags, notes
        ):
            flags.append("mismatch")
            notes.append(
                f"mean {mean:.4g}, std {std:.4g}; {expected_init!r} gives mean "
                f"{expected[0]:.4g}, std {expected[1]:.4g}"
            )
    elif candidates and not matches and std > 0 and not flags:
        # No recipe, and no common initializer matches: is it one of them off by a
        # known factor? (Candidates in the order of _candidates; the first hit.)
        for name, s in candidates.items():
            if _factor_flag(std, s, tol, name, flags, notes):
                break
    return ParameterReport(
        t.name,
        t.shape,
        t.dtype,
        sha,
        size=m.n + m.nonfinite,
        mean=mean,
        std=std,
        kurtosis=kurtosis,
        min=m.lo,
        max=m.hi,
        nonfinite=m.nonfinite,
        subnormal=m.subnormal,
        zeros=m.zeros,
        matches=tuple(matches),
        expected=None if reference is None else reference[0],
        expected_std=None if reference is None else reference[1],
        flags=tuple(flags),
        notes=tuple(notes),
    )


def _factor_flag(
    std: float, target: float, tol: float, what: str, flags: list[str], notes: list[str]
) -> bool:
    if target <= 0 or tol > 0.1:  # too few values to tell sqrt(2) from 1
        return False
    for label, factor in _FACTORS.items():
        if abs(std / (factor * target) - 1) <= tol:
            flags.append("std_factor")
            notes.append(f"std {std:.4g} is {label} x the {target:.4g} of {what}")
            return True
    return False


# --- the entry points ------------------------------------------------------------------


def audit(
    source: Any,
    *,
    rules: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    layout: str = "torch",
    block_bytes: int = 16 << 20,
) -> AuditReport:
    """Statistics, matched initializers and flags for every parameter of ``source``.

    Parameters
    ----------
    source : torch.nn.Module, str or path-like
        A model (its parameters; tied ones once), or a ``.safetensors`` file, an
        ``.npz``, an ``.npy``, or a directory of ``.safetensors``/``.npy`` files.
    rules : mapping or (pattern, initializer) pairs, optional
        What each parameter should be: name patterns (``fnmatch``, first match
        wins) to initializers (None: no expectation), e.g. a
        :mod:`weightinit.recipes` recipe. Initializers that chose no layout get
        ``layout``, as in ``weightinit.torch.initialize``. Without rules each
        parameter is compared with the common initializers for its fans.
    layout : str
        Axis convention for fans (``"torch"``, ``"keras"``, ``"jax"``, ``"lasagne"``).
    block_bytes : int
        Bytes read at a time: the memory the audit needs beyond its bookkeeping.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> np.save("w.npy", wi.GlorotNormal(layout="torch").sample((256, 512), rng=0))
    >>> r = wi.audit("w.npy")
    >>> r["w"].matches, r["w"].flags
    (('glorot (normal)',), ())
    """
    block_bytes = check.positive_int(block_bytes, "block_bytes")
    layout = check.layout(layout) or "lasagne"
    parsed: list[tuple[str, Initializer | None]] | None = None
    if rules is not None:
        items = list(rules.items()) if isinstance(rules, Mapping) else list(rules)
        parsed = []
        for item in items:
            try:
                key, value = item
            except (TypeError, ValueError):
                raise TypeError(
                    f"rules must be a mapping or (pattern, initializer) pairs, got {item!r}"
                ) from None
            if not isinstance(key, str):
                raise TypeError(f"rules: keys must be name patterns (str), got {key!r}")
            # None: the parameter is left alone (a recipe's rule); nothing expected.
            init = None if value is None else as_initializer(value, f"rules[{key!r}]")
            parsed.append((key, None if init is None else relayout(init, layout)))
    if hasattr(source, "named_parameters"):
        tensors, label = _from_module(source, block_bytes), type(source).__name__
    elif isinstance(source, (str, os.PathLike)):
        tensors, label = _from_path(Path(source), block_bytes), os.fspath(source)
    else:
        raise TypeError(
            f"source must be a torch model or a path to a .safetensors, .npz or .npy file "
            f"or a directory of them, got {type(source).__name__}"
        )
    reports = []
    for t in tensors:
        if t.blocks is None:
            reports.append(
                ParameterReport(
                    t.name,
                    t.shape,
                    t.dtype,
                    "",
                    flags=("unmaterialized",),
                    notes=("still on the meta device: no values",),
                )
            )
            continue
        m, sha = _measure(t)
        reports.append(_judge(t, m, sha, layout, parsed))
    reports = _mark_identical(reports)
    return AuditReport(label, tuple(reports))


def _mark_identical(reports: list[ParameterReport]) -> list[ParameterReport]:
    by_hash: dict[str, list[int]] = {}
    for i, p in enumerate(reports):
        constant = p.min is not None and p.min == p.max
        if p.sha256 and not constant and p.size > 1:
            by_hash.setdefault(p.sha256, []).append(i)
    out = list(reports)
    for group in by_hash.values():
        for i in group if len(group) > 1 else ():
            others = ", ".join(reports[j].name for j in group if j != i)
            p = out[i]
            out[i] = ParameterReport(
                **{
                    **asdict(p),
                    "flags": (*p.flags, "identical"),
                    "notes": (*p.notes, f"the same values as {others}"),
                }
            )
    return out
