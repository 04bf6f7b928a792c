"""Random-weight checkpoints written straight to safetensors files.

A checkpoint of a model far larger than memory is written without ever
holding it: every value is a pure function of (seed, stream, element index),
so each tensor is generated block by block straight into a memory map of its
bytes in the file (the machinery of :mod:`weightinit.npy`). The files are
standard safetensors, sharded the way Hugging Face shards them, and equal bit
for bit what ``weightinit.torch.initialize`` puts into the same model. The
format and the manifest are described in ``docs/checkpoints.md``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import struct
import sys
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias, TypeGuard

import numpy as np

from . import _adapters, _rng, _tempfiles
from . import _validation as check
from ._base import Array, Initializer, get_default_dtype
from ._errors import ShapeError
from .lookup import as_initializer
from .npy import (
    _c_strides,
    _fill_block_in_file,
    _progress_bar,
    _remove,
    _reserve,
    _size,
    plan_blocks,
)

if TYPE_CHECKING:
    from torch.nn import Module

    from .torch import Rules

__all__ = ["Manifest", "read_manifest", "save_safetensors", "write_manifest"]

# safetensors dtype names, and the rank its reference writer sorts tensors by
# (larger alignment first, so every tensor stays aligned; then by name).
_DTYPES = {
    "float64": ("F64", 8, 3),
    "float32": ("F32", 4, 2),
    "bfloat16": ("BF16", 2, 1),
    "float16": ("F16", 2, 0),
}
# Hugging Face's size units (huggingface_hub parse_size_to_int) plus binary ones.
_UNITS = {
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 1 << 10,
    "MIB": 1 << 20,
    "GIB": 1 << 30,
    "TIB": 1 << 40,
}
SINGLE_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
_SHARD_NAME = re.compile(r"model-\d{5}-of-\d{5}\.safetensors")
MANIFEST_FORMAT = "weightinit-checkpoint-manifest"
# Smaller than save_npy's 256 MiB: a 4 GiB checkpoint then stays far under 300 MiB
# of peak RSS (the interpreter, numpy and the core take ~50 MiB), and 64 MiB blocks
# are still large enough that the per-block cost (a mmap, a munmap) does not show.
DEFAULT_CHUNK_BYTES = 64 << 20


@dataclass(frozen=True)
class _Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str  # a key of _DTYPES
    init: Initializer

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * _DTYPES[self.dtype][1]


def parse_size(size: int | str, argument: str = "max_shard_size") -> int:
    """Bytes from an int or a string such as ``"5GB"`` (10**9, as Hugging Face) or ``"512MiB"``."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        value = int(size)
    elif isinstance(size, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([KMGT]I?B)?\s*", size.upper())
        if m is None:
            raise ValueError(
                f"{argument} must be a number of bytes or a size such as '5GB' or '512MiB', "
                f"got {size!r}"
            )
        value = int(float(m.group(1)) * _UNITS.get(m.group(2) or "", 1))
    else:
        raise TypeError(f"{argument} must be an int or a size string such as '5GB', got {size!r}")
    if value < 1:
        raise ValueError(f"{argument} must be positive, got {size!r}")
    return value


def _dtype_name(dtype: Any, where: str) -> str:
    if dtype is None:
        default: str = np.dtype(get_default_dtype()).name
        return default
    text = str(dtype)
    text = text[len("torch.") :] if text.startswith("torch.") else text
    if text.lower() in _DTYPES:
        return text.lower()
    name: str | None
    try:
        name = np.dtype(dtype).name
    except TypeError:
        name = None
    if name in _DTYPES:
        return name
    raise TypeError(f"{where}: dtype must be float16, bfloat16, float32 or float64, got {dtype!r}")


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"tensor names must be non-empty strings, got {name!r}")
    if name == "__metadata__":
        raise ValueError("'__metadata__' is reserved by safetensors and cannot name a tensor")


def _tensors_from_mapping(params: Mapping[Any, Any]) -> list[_Tensor]:
    out: list[_Tensor] = []
    for name, value in params.items():
        _check_name(name)
        try:
            shape, dtype, init = value
        except (TypeError, ValueError):
            raise TypeError(
                f"params[{name!r}] must be a (shape, dtype, initializer) tuple, got {value!r}"
            ) from None
        try:
            init = as_initializer(init)
        except (TypeError, ValueError) as e:
            raise type(e)(f"params[{name!r}]: {e}") from None
        out.append(_checked(name, shape, _dtype_name(dtype, f"params[{name!r}]"), init))
    return out


def _checked(name: str, shape: Any, dtype: str, init: Initializer) -> _Tensor:
    try:
        shape = check.shape(shape)
        init._check_shape(shape)
    except ShapeError as e:
        raise ShapeError(f"tensor {name!r} of shape {shape!r} with {init!r}: {e}") from None
    try:  # bfloat16 is rounded from float32
        init._check_values(
            shape, np.dtype("float32" if dtype == "bfloat16" else dtype)
        )  # its range
    except ValueError as e:
        raise ValueError(f"tensor {name!r} with {init!r}: {e}") from None
    return _Tensor(name, shape, dtype, init)


def _is_torch_module(obj: object) -> TypeGuard[Module]:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _tensors_from_module(module: Module, rules: Rules) -> tuple[list[_Tensor], dict[str, str]]:
    """The tensors ``weightinit.torch.initialize(module, rules)`` fills, and the tied aliases.

    Same rules, same order, same streams (qualified names) and the same torch
    layout as ``initialize``; a parameter shared by several names is filled
    once under its first name, as ``initialize`` does, and its other names
    are returned as ``{alias: owner}``.
    """
    from . import torch as wit

    torch = wit._framework()
    plan, unmatched, skipped = wit._plan(torch, module, rules, "torch")
    if unmatched or skipped:
        # A checkpoint cannot leave a parameter "as it is": it would have no values.
        raise ValueError(
            f"no rule gives an initializer (none matched, or the rule is None) to the "
            f"parameters {unmatched + skipped}"
        )
    tensors: list[_Tensor] = []
    owners: dict[int, str] = {}
    for name, param, init in plan:
        if isinstance(param, torch.nn.parameter.UninitializedParameter):
            raise ValueError(
                f"parameter {name!r} of a lazy module has no shape yet: materialize it first"
            )
        owners[id(param)] = name
        dtype = _dtype_name(param.dtype, f"parameter {name!r}")
        tensors.append(_checked(name, tuple(param.shape), dtype, init))
    aliases: dict[str, str] = {}
    for name, param in module.named_parameters(remove_duplicate=False):
        if owners.get(id(param), name) != name:
            aliases[name] = owners[id(param)]
    return tensors, aliases


def _resolve_params(params: Params, rules: Rules | None) -> tuple[list[_Tensor], dict[str, str]]:
    """``(tensors, default metadata)`` from a mapping or a torch model plus rules."""
    if _is_torch_module(params):
        if rules is None:
            raise TypeError("a torch model needs rules= (as weightinit.torch.initialize)")
        tensors, aliases = _tensors_from_module(params, rules)
        # Hugging Face's conventions: "format": "pt", and each dropped alias of a
        # shared tensor recorded as alias -> kept name.
        return tensors, {"format": "pt", **aliases}
    if rules is not None:
        raise TypeError("rules= applies to a torch model, not to a mapping of tensors")
    if isinstance(params, Manifest):
        return _tensors_from_mapping(params.params), dict(params.metadata)
    if not isinstance(params, Mapping):
        raise TypeError(
            "params must be a mapping name -> (shape, dtype, initializer), a Manifest or a "
            f"torch.nn.Module, got {type(params).__name__}"
        )
    tensors = _tensors_from_mapping(params)
    return tensors, {}


def _check_metadata(metadata: object) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise TypeError(f"metadata must be a mapping str -> str, got {metadata!r}")
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(
                f"metadata must map str to str (safetensors' __metadata__), got {k!r}: {v!r}"
            )
    return dict(metadata)


def split_into_shards(
    tensors: Iterable[tuple[str, int]], max_shard_size: int
) -> list[list[tuple[str, int]]]:
    """Group ``(name, nbytes)`` pairs into shards the way Hugging Face does.

    In order: a tensor goes into the current shard unless that would take the
    shard past ``max_shard_size``, which closes the shard first; a tensor
    larger than ``max_shard_size`` gets a shard of its own, placed at the
    point where it was met (before the shard still being filled)
    (``huggingface_hub.split_state_dict_into_shards_factory``).
    """
    shards: list[list[tuple[str, int]]] = []
    current: list[tuple[str, int]] = []
    current_size = 0
    for item in tensors:
        size = item[1]
        if size > max_shard_size:
            shards.append([item])
            continue
        if current_size + size > max_shard_size:
            shards.append(current)
            current, current_size = [], 0
        current.append(item)
        current_size += size
    if current:
        shards.append(current)
    return shards


def shard_names(count: int) -> list[str]:
    """``model.safetensors``, or ``model-00001-of-00003.safetensors`` ... for ``count`` shards."""
    if count == 1:
        return [SINGLE_FILE]
    return [f"model-{i:05d}-of-{count:05d}.safetensors" for i in range(1, count + 1)]


def _layout(
    tensors: Iterable[_Tensor], metadata: Mapping[str, str]
) -> tuple[bytes, list[tuple[_Tensor, int]], int]:
    """Header bytes and ``[(tensor, begin)]`` of one file, in the reference writer's order."""
    order = sorted(tensors, key=lambda t: (-_DTYPES[t.dtype][2], t.name))
    header: dict[str, Any] = {}
    placed: list[tuple[_Tensor, int]] = []
    offset = 0
    if metadata:
        header["__metadata__"] = metadata
    for t in order:
        header[t.name] = {
            "dtype": _DTYPES[t.dtype][0],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + t.nbytes],
        }
        placed.append((t, offset))
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the data start 8-byte aligned, as safetensors pads
    return struct.pack("<Q", len(text)) + text, placed, offset


def _write_tensor(
    f: IO[bytes], offset: int, t: _Tensor, gen: _rng.Generator, chunk_bytes: int, bar: Any
) -> None:
    sid = _rng.stream_id(t.name)
    shape, init = t.shape, t.init
    fill: Callable[[Array, Sequence[int]], None] | None = None
    blocks: Iterable[tuple[list[int], list[int]]]
    if t.dtype == "bfloat16":
        # As weightinit.torch does: the bits written into the mapped block (_adapters).
        dt = np.dtype(np.uint16)

        def fill_bfloat16(block: Array, start: Sequence[int]) -> None:
            _adapters.fill_bfloat16_bits(init, block, gen, sid, shape, start)

        fill = fill_bfloat16
    else:
        dt = np.dtype(t.dtype)
    blocks = plan_blocks(init, shape, dt, chunk_bytes)
    strides = _c_strides(shape, dt.itemsize)
    for start, extent in blocks:
        _fill_block_in_file(f, offset, shape, strides, dt, start, extent, init, gen, sid, fill=fill)
        if bar is not None:
            bar.update(math.prod(extent) * dt.itemsize)


def _free_bytes(directory: Path) -> int:
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


def _make_directory(directory: Path, created: list[Path]) -> None:
    """Create ``directory`` and missing parents, appending each one created to ``created``."""
    missing: list[Path] = []
    p = directory
    while not p.exists() and p.parent != p:
        missing.append(p)
        p = p.parent
    for p in reversed(missing):
        p.mkdir()
        created.append(p)
    if not directory.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(directory))


def save_safetensors(
    directory: str | os.PathLike[str],
    params: Params,
    rng: _rng.RngLike = None,
    *,
    rules: Rules | None = None,
    max_shard_size: int | str = "5GB",
    metadata: Mapping[str, str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    progress: bool | None = None,
) -> list[Path]:
    """Write a random-weight checkpoint as safetensors files, never holding it in memory.

    Each tensor is generated block by block straight into a memory map of its
    bytes in the file, so the working set stays near ``chunk_bytes`` whatever
    the checkpoint's size. The values are those of ``init.sample(shape, dtype,
    rng=rng, stream=name)`` -- the stream of each tensor is its name -- so a
    torch model's checkpoint equals ``weightinit.torch.initialize(model,
    rules, rng=rng)`` bit for bit.

    Parameters
    ----------
    directory : str or os.PathLike
        Created if missing. Receives ``model.safetensors`` when everything fits
        in one shard, else ``model-00001-of-0000N.safetensors`` ... and
        ``model.safetensors.index.json`` (``{"metadata": {"total_size": N,
        ...}, "weight_map": {name: file}}``), Hugging Face's layout; files of
        an earlier checkpoint there with these names are replaced or removed.
    params : mapping, Manifest or torch.nn.Module
        * a mapping ``name -> (shape, dtype, initializer)``: dtype
          ``"float16"``, ``"bfloat16"``, ``"float32"`` or ``"float64"`` (numpy
          and torch dtypes too; None: :func:`weightinit.get_default_dtype`),
          initializer an :class:`Initializer`, a name or a config dict, used
          as given (its own layout); tensors are sharded in mapping order;
        * a :class:`Manifest` (:func:`read_manifest`), the same plus its metadata;
        * a torch model, typically built on the meta device (only the names,
          shapes and dtypes of its parameters are read), with ``rules``.
          Initializers without a layout get torch's, as in ``initialize``.
          Every parameter must get an initializer (no rule, or a ``None``
          rule, is an error listing the names). Buffers are not written.
          A parameter shared by several names (a tied embedding and output
          head) is written once, under its first name in
          ``model.named_parameters()`` (the name ``initialize`` gives its
          stream); each other name is recorded in ``__metadata__`` as
          ``alias -> kept name``, as Hugging Face does (safetensors forbids
          shared storage). ``__metadata__`` also gets ``"format": "pt"``.
    rng : int, Generator, numpy generator or None
        Resolved once for the whole checkpoint (the global generator if None,
        whose state is not advanced: every tensor has an explicit stream).
    rules : mapping or sequence of (key, value) pairs
        For a torch model: exactly as :func:`weightinit.torch.initialize`.
    max_shard_size : int or str
        Largest shard, in bytes of tensor data: an int or ``"5GB"`` (default;
        KB/MB/GB/TB are powers of 10 as in Hugging Face, KiB/MiB/GiB/TiB
        powers of 2). A tensor larger than this goes alone into its own shard.
    metadata : mapping str -> str, optional
        Written to every file's ``__metadata__`` and (except ``"format"``)
        to the index's ``"metadata"``; it wins over the defaults above.
    chunk_bytes : int
        Working-set limit per block (default 64 MiB), as in :func:`save_npy`;
        bfloat16 is written into the mapped block directly (an initializer
        without a bfloat16 kernel, such as Orthogonal, adds at most 2 MiB of
        float32 scratch). A tensor slice larger than the limit is one block.
    progress : bool, optional
        tqdm progress bar on stderr; default: on a terminal, for writes
        lasting over a second.

    Returns
    -------
    list of pathlib.Path
        The files written: the safetensors files, then the index if sharded.

    Raises
    ------
    OSError
        If the directory cannot be written or lacks space: free space is
        checked first (the error names the directory and the bytes needed),
        then reserved file by file. Every file is written under a temporary
        name in ``directory`` and renamed only when all are complete; on any
        error, ``KeyboardInterrupt`` or SIGTERM the temporary files (and a
        directory created by this call) are removed, as for :func:`save_npy`
        (then SIGTERM, unless the program handles it, ends the process as
        killed by SIGTERM). Temporaries left by a writer killed with SIGKILL
        are removed by the next ``save_safetensors`` into ``directory``.
    TypeError, ValueError, ShapeError
        For bad arguments, before any file exists.

    Examples
    --------
    >>> import weightinit as wi
    >>> params = {"embed.weight": ((32000, 4096), "bfloat16", wi.Normal(std=0.02)),
    ...           "norm.weight": ((4096,), "float32", "ones")}
    >>> files = wi.save_safetensors("ckpt", params, rng=0, max_shard_size="100MB",
    ...                             metadata={"format": "pt"})      # doctest: +SKIP
    >>> [f.name for f in files]                                      # doctest: +SKIP
    ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors',
     'model-00003-of-00003.safetensors', 'model.safetensors.index.json']
    """
    tensors, default_metadata = _resolve_params(params, rules)
    if not tensors:
        raise ValueError("params has no tensors: a checkpoint needs at least one")
    seen: set[str] = set()
    for t in tensors:
        if t.name in seen:
            raise ValueError(f"tensor name {t.name!r} appears twice")
        seen.add(t.name)
    metadata = {**default_metadata, **_check_metadata(metadata)}
    max_shard_size = parse_size(max_shard_size)
    chunk_bytes = check.positive_int(chunk_bytes, "chunk_bytes")
    gen = _adapters.pinned(rng, 0)[0]  # the key once; streams are the names

    by_name = {t.name: t for t in tensors}
    groups = split_into_shards([(t.name, t.nbytes) for t in tensors], max_shard_size)
    names = shard_names(len(groups))
    files: list[_File] = []
    for filename, group in zip(names, groups, strict=True):
        header, placed, data_bytes = _layout([by_name[n] for n, _ in group], metadata)
        files.append((filename, header, placed, data_bytes))
    total = sum(t.nbytes for t in tensors)
    index: bytes | None = None
    if len(files) > 1:
        weight_map = {n: filename for filename, group in zip(names, groups) for n, _ in group}
        # As huggingface_hub: "format" describes each file, the rest goes to the index too.
        shared = {k: v for k, v in metadata.items() if k != "format"}
        index = json.dumps(
            {"metadata": {"total_size": total, **shared}, "weight_map": weight_map}, indent=2
        ).encode("utf-8")

    directory = check.path(directory, "directory")
    with _tempfiles.interruptible():
        if directory.is_dir():
            _tempfiles.remove_stale(directory, _is_checkpoint_file)
        try:
            return _write_checkpoint(directory, files, index, gen, chunk_bytes, progress, total)
        except KeyboardInterrupt:
            # Shown as raised here, not from deep inside numpy's memory map.
            raise KeyboardInterrupt(
                f"writing {directory} was interrupted; nothing was left"
            ) from None


def _is_checkpoint_file(name: str) -> bool:
    return name in (SINGLE_FILE, INDEX_FILE) or _SHARD_NAME.fullmatch(name) is not None


def _write_checkpoint(
    directory: Path,
    files: list[_File],
    index: bytes | None,
    gen: _rng.Generator,
    chunk_bytes: int,
    progress: bool | None,
    total: int,
) -> list[Path]:
    needed = sum(len(h) + n for _, h, _, n in files) + len(index or b"")
    created: list[Path] = []
    temporaries: list[tuple[Path, Path]] = []
    bar: Any = None  # a tqdm bar, or None
    try:
        _make_directory(directory, created)
        free = _free_bytes(directory)
        if needed > free:
            raise OSError(
                errno.ENOSPC,
                f"{os.strerror(errno.ENOSPC)}: writing {directory} needs {_size(needed)} "
                f"({needed} bytes), {_size(free)} free",
                str(directory),
            )
        bar = _progress_bar(progress, total, os.fspath(directory))
        for filename, header, placed, data_bytes in files:
            tmp, fd = _tempfiles.create(directory / filename)
            temporaries.append((tmp, directory / filename))
            with os.fdopen(fd, "r+b") as f:
                f.write(header)
                f.flush()
                _reserve(f.fileno(), len(header), data_bytes, directory / filename)
                for t, begin in placed:
                    _write_tensor(f, len(header) + begin, t, gen, chunk_bytes, bar)
        if index is not None:
            tmp, fd = _tempfiles.create(directory / INDEX_FILE)
            temporaries.append((tmp, directory / INDEX_FILE))
            with os.fdopen(fd, "wb") as f:
                f.write(index)
        # All files are complete: only now do they take their names (index last),
        # all of them (a signal waits for the last rename).
        _tempfiles.commit(temporaries)
    except BaseException as e:
        for tmp, _ in temporaries:
            _tempfiles.discard(tmp)
        for p in reversed(created):
            with contextlib.suppress(OSError):
                p.rmdir()
        if (
            isinstance(e, OSError)
            and e.errno in (errno.ENOSPC, errno.EDQUOT)
            and e.filename is None
        ):
            raise OSError(
                e.errno,
                f"{os.strerror(e.errno)}: writing {directory} needs {_size(needed)}",
                str(directory),
            ) from None
        if isinstance(e, OSError) and e.errno is not None and e.filename is None:
            # EFBIG under RLIMIT_FSIZE, EIO, ...: name the file being written.
            target = temporaries[-1][1] if temporaries else directory
            raise OSError(e.errno, f"{os.strerror(e.errno)}: writing {target}", str(target)) from e
        raise
    finally:
        if bar is not None:
            bar.close()
    written = [target for _, target in temporaries]
    _remove_stale(directory, {p.name for p in written})
    return written


def _remove_stale(directory: Path, kept: Container[str]) -> None:
    # An earlier checkpoint's shards or index would make loaders mix two checkpoints.
    for p in directory.iterdir():
        if p.name in kept:
            continue
        if p.name in (SINGLE_FILE, INDEX_FILE) or _SHARD_NAME.fullmatch(p.name):
            _remove(p)


# --- manifest ------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    """A checkpoint's description: what :func:`read_manifest` returns.

    ``params`` is the mapping ``name -> (shape, dtype, Initializer)`` that
    :func:`save_safetensors` takes; ``seed`` (int or None) and ``metadata``
    (str -> str, for ``__metadata__``) come from the file.
    """

    params: dict[str, tuple[tuple[int, ...], str, Initializer]]
    seed: int | None = None
    metadata: dict[str, str] = field(default_factory=dict)


# What save_safetensors and write_manifest take as ``params``: a mapping
# name -> (shape, dtype, initializer), a Manifest, or a torch model (with rules).
Params: TypeAlias = "Mapping[str, tuple[Any, Any, Any]] | Manifest | Module"
# One file of a checkpoint: (name, header bytes, [(tensor, data offset)], data bytes).
_File: TypeAlias = "tuple[str, bytes, list[tuple[_Tensor, int]], int]"


def _initializer_config(t: _Tensor) -> dict[str, Any]:
    from .lookup import deserialize, serialize

    config = serialize(t.init)
    try:
        again = deserialize(json.loads(json.dumps(config)))
    except (TypeError, ValueError):
        again = None
    if again != t.init:
        raise ValueError(
            f"tensor {t.name!r}: {t.init!r} has no JSON config that rebuilds it "
            f"(serialize gives {config!r}); use an initializer whose arguments are "
            "numbers, strings and booleans"
        )
    return config


def write_manifest(
    path: str | os.PathLike[str],
    params: Params,
    *,
    rules: Rules | None = None,
    seed: int | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write a checkpoint manifest (JSON) for :func:`save_safetensors` and ``init-checkpoint``.

    Parameters
    ----------
    path : str or os.PathLike
        The JSON file to write (replaced atomically).
    params, rules, metadata
        As for :func:`save_safetensors`: a mapping ``name -> (shape, dtype,
        initializer)`` or a (meta-device) torch model with ``rules``. Each
        tensor is recorded with its initializer's config after the torch
        layout was applied, so the manifest alone reproduces the checkpoint.
    seed : int, optional
        Recorded as the default seed of ``weightinit init-checkpoint``.

    Returns
    -------
    pathlib.Path
        ``path``. The format is documented in ``docs/checkpoints.md``.

    Examples
    --------
    >>> import torch, weightinit as wi
    >>> with torch.device("meta"):
    ...     model = torch.nn.Sequential(torch.nn.Linear(4096, 4096), torch.nn.LayerNorm(4096))
    >>> wi.write_manifest("m.json", model, rules={"0.weight": "glorot_uniform",
    ...                   "*.bias": "zeros", "1.weight": "ones"}, seed=0)  # doctest: +SKIP
    """
    tensors, default_metadata = _resolve_params(params, rules)
    metadata = {**default_metadata, **_check_metadata(metadata)}
    if seed is not None:
        seed = check.non_negative_int(seed, "seed")
    doc: dict[str, Any] = {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "seed": seed,
        "metadata": metadata,
        "tensors": [
            {
                "name": t.name,
                "shape": list(t.shape),
                "dtype": t.dtype,
                "initializer": _initializer_config(t),
            }
            for t in tensors
        ],
    }
    if rules is not None:  # for the reader: which rule gave what (not read back)
        doc["rules"] = [[_rule_key(k), _rule_value(v)] for k, v in _rule_items(rules)]
    path = Path(path)
    tmp: Path | None = None
    try:
        tmp, fd = _tempfiles.create(path)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, indent=2) + "\n")
        _tempfiles.commit([(tmp, path)])
    except BaseException:
        if tmp is not None:
            _tempfiles.discard(tmp)
        raise
    return path


def _rule_items(rules: Rules) -> list[tuple[Any, Any]]:
    return list(rules.items()) if isinstance(rules, Mapping) else list(rules)


def _rule_value(value: Any) -> str | dict[Any, Any] | None:
    from .lookup import get

    if isinstance(value, Mapping):
        return {local: _rule_value(v) for local, v in value.items()}
    return None if value is None else repr(get(value))


def _rule_key(key: str | type | tuple[type, ...]) -> str:
    if isinstance(key, str):
        return key
    types = key if isinstance(key, tuple) else (key,)
    return " | ".join(f"{t.__module__}.{t.__qualname__}" for t in types)


def read_manifest(path: str | os.PathLike[str]) -> Manifest:
    """Read a checkpoint manifest written by :func:`write_manifest` (or by hand).

    Raises ``ValueError`` naming the file and the faulty entry for anything
    that is not a valid manifest (``OSError`` if it cannot be read).
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not JSON ({e})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not JSON (not UTF-8 text)") from None
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT:
        raise ValueError(f'{path}: not a weightinit manifest (no "format": {MANIFEST_FORMAT!r})')
    if doc.get("version") != 1:
        raise ValueError(f"{path}: unsupported manifest version {doc.get('version')!r}")
    seed = doc.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"{path}: seed must be a non-negative integer or null, got {seed!r}")
    try:
        metadata = _check_metadata(doc.get("metadata") or {})
    except TypeError as e:
        raise ValueError(f"{path}: {e}") from None
    entries = doc.get("tensors")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f'{path}: "tensors" must be a non-empty list')
    params: dict[str, tuple[tuple[int, ...], str, Initializer]] = {}
    for i, entry in enumerate(entries):
        where = f"{path}: tensors[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object, got {entry!r}")
        missing = [k for k in ("name", "shape", "dtype", "initializer") if k not in entry]
        if missing:
            raise ValueError(f"{where} lacks {', '.join(map(repr, missing))}")
        name = entry["name"]
        if not isinstance(name, str) or not name or name in params:
            raise ValueError(f"{where}: name must be a new non-empty string, got {name!r}")
        where = f"{path}: tensor {name!r}"
        shape = entry["shape"]
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise ValueError(f"{where}: shape must be a list of non-negative ints, got {shape!r}")
        if entry["dtype"] not in _DTYPES:
            raise ValueError(
                f"{where}: dtype must be one of {', '.join(_DTYPES)}, got {entry['dtype']!r}"
            )
        try:
            init = as_initializer(entry["initializer"])
            init._check_shape(tuple(shape))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: {e}") from None
        params[name] = (tuple(shape), entry["dtype"], init)
    return Manifest(params=params, seed=seed, metadata=metadata)
