"""PyTorch adapter: fill tensors in place, initialize whole modules.

PyTorch is not a dependency of weightinit: it is imported on first use, and
a clear ImportError says how to install it if it is missing.

Examples
--------
>>> import torch, weightinit as wi, weightinit.torch as wit
>>> w = torch.empty(256, 784)                                 # nn.Linear(784, 256).weight
>>> _ = wit.init_(w, wi.HeNormal(gain="relu"), rng=0, stream="fc1.weight")
>>> model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(),
...                             torch.nn.Linear(256, 10))
>>> _ = wit.initialize(model, {"*.weight": wi.HeNormal(gain="relu"), "*.bias": wi.Zeros()},
...                    rng=0)

Sharded tensors (``torch.distributed.tensor.DTensor``, what FSDP2's
``fully_shard`` and tensor parallelism produce) are filled shard by shard:
each rank generates only its own block of the logical tensor through
``region=``, so the gathered values equal the unsharded ones bit for bit for
every world size and placement, with no communication. :func:`materialize`
turns a model built on the meta device into a real one. See
docs/distributed.md.
"""

from __future__ import annotations

import fnmatch
import functools
import itertools
import math
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from . import _adapters
from . import _validation as check
from . import initializers as _init
from ._adapters import as_initializer, check_framework_layout, relayout
from ._base import Initializer, Stream
from ._errors import ShapeError, ZeroElementWarning
from ._rng import RngLike
from .lookup import InitializerLike

if TYPE_CHECKING:
    from torch import Tensor
    from torch import device as torch_device
    from torch.distributed.tensor import DTensor
    from torch.nn import Module

__all__ = ["init_", "initialize", "local_region", "lsuv", "materialize"]

# ``initialize``'s rules: keys are name patterns or module types (see its docstring).
Rules: TypeAlias = "Mapping[Any, Any] | Iterable[tuple[Any, Any]]"
# Index runs (start, length) along one axis of a logical tensor.
_Runs: TypeAlias = "list[tuple[int, int]]"
# (qualified name, parameter, initializer) of each parameter a rule gives one.
_Plan: TypeAlias = "list[tuple[str, Any, Initializer]]"

_torch: ModuleType | None = None
# torch dtype -> numpy dtype filled straight into the tensor's memory
_DIRECT: dict[Any, type[np.inexact[Any]]] = {}


def _framework() -> ModuleType:
    global _torch
    if _torch is None:
        torch = _adapters.import_framework(
            "torch", "torch", "pip install torch (CPU builds: see pytorch.org)"
        )
        _DIRECT.update(
            {
                torch.float16: np.float16,
                torch.float32: np.float32,
                torch.float64: np.float64,
                torch.complex64: np.complex64,
                torch.complex128: np.complex128,
            }
        )
        _torch = torch
    return _torch


def init_(
    tensor: Tensor,
    initializer: InitializerLike,
    rng: RngLike = None,
    stream: Stream = None,
    *,
    layout: str | None = "torch",
) -> Tensor:
    """Fill ``tensor`` in place with ``initializer``'s values and return it.

    Parameters
    ----------
    tensor : torch.Tensor
        Any floating dtype: float16/32/64 (and complex64/128, for the
        initializers that support them) are filled directly; bfloat16 gets the
        float32 values rounded to nearest even, written in place by the core's
        bfloat16 kernels for the element-wise and fan-based initializers (the
        others, Orthogonal among them, compute float32 blocks of bounded size
        and round each once). A CPU tensor is written through the memory it shares
        with numpy, with no copy (strided views included). A tensor on another
        device (CUDA, ...) is generated into **one host buffer** of its size
        and copied with **one** ``copy_``; it gets the same bits as on the CPU.
        Meta and zero-element tensors are returned untouched (as torch does);
        for a zero-element tensor the He family and :class:`~weightinit.FanInUniform`
        (torch's ``kaiming_*_`` and layer defaults) warn, as torch does, with
        :class:`~weightinit.ZeroElementWarning`.
        A ``DTensor`` (``torch.distributed.tensor``) gets, on each rank, the
        block of the logical tensor its placements give that rank, generated
        alone (see :func:`local_region`): ``full_tensor()`` equals this
        function's result on a plain tensor of the global shape.
    initializer : weightinit.Initializer, name or config dict
        E.g. ``wi.HeNormal(gain="relu")``, ``"glorot_uniform"``.
    rng, stream
        As in every weightinit sampling call: int seed, ``Generator``, numpy
        generator or None (global generator); stream int or name such as
        ``"encoder.0.weight"``.
    layout : str or None
        Layout used when the initializer did not choose one: ``"torch"``
        (default: ``(out, in, *kernel)``, 2-D ``(out, in)``), or any layout
        name; ``None`` uses the initializer as it is (Lasagne's default).

    Returns
    -------
    torch.Tensor
        ``tensor``. Its values equal ``init.sample(tensor.shape, rng=rng,
        stream=stream)`` with the torch layout (bfloat16: that float32 result
        rounded), and the Keras/JAX adapters give the transposed numbers for
        ``(*kernel, in, out)`` kernels.

    Examples
    --------
    >>> import torch, weightinit as wi, weightinit.torch as wit
    >>> conv = torch.nn.Conv2d(3, 64, 3)
    >>> _ = wit.init_(conv.weight, wi.HeNormal(gain="relu"), rng=7, stream="conv.weight")
    """
    torch = _framework()
    _check_type(tensor, torch.Tensor, "tensor", "torch.Tensor")
    init = relayout(as_initializer(initializer), check_framework_layout(layout))
    dtype = tensor.dtype
    if dtype not in _DIRECT and dtype != torch.bfloat16:
        raise TypeError(
            "tensor must have a floating dtype (float16, bfloat16, float32, float64) or a "
            f"complex one (complex64, complex128), got {dtype}"
        )
    shape = tuple(tensor.shape)
    # Errors even for meta/empty tensors; bfloat16 is checked as the float32 it rounds.
    init._check_call(shape, np.dtype(_DIRECT.get(dtype, np.float32)))
    if 0 in shape and isinstance(init, (_init.He, _init.FanInUniform)):
        # torch's kaiming_*_ warn here (and so nn.Linear/nn.ConvNd's defaults do).
        warnings.warn("Initializing zero-element tensors is a no-op", ZeroElementWarning, 2)
    dtensor = _dtensor_type(torch)
    if dtensor is not None and isinstance(tensor, dtensor):
        return _init_dtensor(torch, tensor, init, rng, stream)
    if tensor.is_meta or tensor.numel() == 0:
        return tensor
    if tensor.device.type != "cpu":
        return _fill_through_host(torch, tensor, init, rng, stream)
    data = tensor.detach()
    if dtype == torch.bfloat16:
        _adapters.fill_bfloat16_bits(init, data.view(torch.int16).numpy(), rng, stream)
    else:
        init.fill(data.numpy(), rng=rng, stream=stream)
    _bump_version(torch, tensor)
    return tensor


def _check_type(value: object, cls: type, name: str, what: str) -> None:
    # A function, not an inline isinstance: the classes come from the imported
    # module (typed Any), and narrowing to them would erase the argument's type.
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {what}, got {type(value).__name__}")


def _fill_through_host(
    torch: ModuleType, tensor: Tensor, init: Initializer, rng: RngLike, stream: Stream
) -> Tensor:
    # Generation runs on the CPU; the device receives one copy of the result.
    shape = tuple(tensor.shape)
    if tensor.dtype == torch.bfloat16:
        bits = np.empty(shape, dtype=np.int16)
        _adapters.fill_bfloat16_bits(init, bits, rng, stream)
        host = torch.from_numpy(bits).view(torch.bfloat16)
    else:
        host = torch.from_numpy(
            init.sample(shape, dtype=_DIRECT[tensor.dtype], rng=rng, stream=stream)
        )
    with torch.no_grad():
        tensor.copy_(host)
    return tensor


# --- DTensor ----------------------------------------------------------------------


@functools.cache
def _dtensor_type(torch: ModuleType) -> type[DTensor] | None:
    """``torch.distributed.tensor.DTensor``, or None when this torch has no distributed
    (looked up once: an import statement per call costs more than a small fill)."""
    if not torch.distributed.is_available():
        return None
    try:
        from torch.distributed.tensor import DTensor as found
    except ImportError:
        return None
    dtensor: type[DTensor] = found  # also where mypy sees no torch (found is Any)
    return dtensor


def _placement_types(torch: ModuleType) -> tuple[Any, Any, Any]:
    from torch.distributed.tensor import placement_types as pt

    # FSDP2 + tensor parallelism shard one dimension "right to left" and record
    # it as the private _StridedShard(dim, split_factor); it is looked up by
    # name so a torch without it still works (and one that renames it gives
    # the "cannot map" error below, never wrong values).
    return pt.Shard, pt.Replicate, getattr(pt, "_StridedShard", None)


def _take(runs: _Runs, lo: int, hi: int) -> _Runs:
    """Positions [lo, hi) of the index sequence ``runs`` (a list of (start, length))."""
    out: _Runs = []
    pos = 0
    for start, length in runs:
        a, b = max(lo, pos), min(hi, pos + length)
        if a < b:
            out.append((start + a - pos, b - a))
        pos += length
    return out


def _chunk(runs: _Runs, num_chunks: int, index: int) -> _Runs:
    """``torch.chunk`` of the index sequence into ``num_chunks``; the ``index``-th piece.

    Chunks hold ceil(n / num_chunks) indices, the last ones fewer or none
    (torch.chunk semantics, which ``Shard(d)`` follows).
    """
    n = sum(length for _, length in runs)
    size = -(-n // num_chunks)
    return _take(runs, min(index * size, n), min((index + 1) * size, n))


def _strided_chunk(runs: _Runs, num_chunks: int, index: int, split_factor: int) -> _Runs:
    """``_StridedShard``: chunk into ``split_factor`` pieces, each of those into
    ``num_chunks``, and concatenate the ``index``-th piece of each."""
    out: _Runs = []
    for j in range(split_factor):
        out += _chunk(_chunk(runs, split_factor, j), num_chunks, index)
    return out


def _merge(runs: _Runs) -> _Runs:
    merged: _Runs = []
    for start, length in runs:
        if merged and merged[-1][0] + merged[-1][1] == start:
            merged[-1] = (merged[-1][0], merged[-1][1] + length)
        elif length:
            merged.append((start, length))
    return merged


def local_region(
    shape: Sequence[int],
    mesh_shape: Sequence[int],
    coordinate: Sequence[int],
    placements: Sequence[Any],
) -> list[_Runs]:
    """Which indices of a logical tensor one rank holds, as torch lays a DTensor out.

    Parameters
    ----------
    shape : tuple of int
        The global (logical) shape.
    mesh_shape : tuple of int
        The device mesh's shape (``mesh.shape``).
    coordinate : tuple of int
        This rank's coordinate in the mesh (``mesh.get_coordinate()``).
    placements : sequence of Placement
        One per mesh dimension: ``Shard(d)``, ``Replicate()`` or FSDP2's
        ``_StridedShard(d, split_factor)``; mesh dimensions are applied left
        to right, as torch does.

    Returns
    -------
    list of list of (int, int)
        Per tensor dimension, the global index runs ``(start, length)`` that
        make up the local tensor's axis, in order. ``Shard`` always gives one
        run (or none: an empty local shard); ``_StridedShard`` may give several.
    """
    torch = _framework()
    shard_t, replicate_t, strided_t = _placement_types(torch)
    if len(placements) != len(mesh_shape) or len(coordinate) != len(mesh_shape):
        raise ValueError(
            f"placements {tuple(placements)} and coordinate {tuple(coordinate)} must have one "
            f"entry per mesh dimension of mesh shape {tuple(mesh_shape)}"
        )
    runs: list[_Runs] = [[(0, int(n))] if n else [] for n in shape]
    for mesh_dim, p in enumerate(placements):
        k, c = int(mesh_shape[mesh_dim]), int(coordinate[mesh_dim])
        if strided_t is not None and isinstance(p, strided_t):
            d = _shard_dim(p, shape)
            runs[d] = _strided_chunk(runs[d], k, c, int(p.split_factor))
        elif isinstance(p, shard_t):
            d = _shard_dim(p, shape)
            runs[d] = _chunk(runs[d], k, c)
        elif not isinstance(p, replicate_t):
            raise ValueError(
                f"cannot initialize a DTensor with placement {p!r} (mesh dimension {mesh_dim} "
                f"of {tuple(placements)}): only Shard, Replicate and FSDP2's _StridedShard map "
                "to a block of the logical tensor (a Partial tensor's local values are not a "
                "block of it; redistribute to Shard or Replicate first)"
            )
    return [_merge(r) for r in runs]


def _shard_dim(placement: Any, shape: Sequence[int]) -> int:
    d = int(placement.dim)
    if not -len(shape) <= d < len(shape):
        raise ValueError(f"placement {placement!r} shards dim {d} of a {len(shape)}-d tensor")
    return d % len(shape)


def _init_dtensor(
    torch: ModuleType, tensor: DTensor, init: Initializer, rng: RngLike, stream: Stream
) -> DTensor:
    mesh = tensor.device_mesh
    shape = tuple(tensor.shape)
    coordinate = mesh.get_coordinate()
    placements = tuple(tensor.placements)
    if coordinate is None:  # this rank is not in the mesh: it holds nothing
        local_region(shape, mesh.shape, (0,) * mesh.ndim, placements)  # still check placements
        return tensor
    runs = local_region(shape, mesh.shape, coordinate, placements)
    with torch.no_grad():
        local = tensor.to_local()
    have = tuple(local.shape)
    want = tuple(sum(n for _, n in r) for r in runs)
    if have != want:
        raise ValueError(
            f"DTensor of global shape {shape} with placements {placements} on mesh "
            f"{tuple(mesh.shape)} (coordinate {tuple(coordinate)}) has a local tensor of shape "
            f"{have}, but torch's layout gives {want}: cannot tell which block it holds"
        )
    if local.is_meta or local.numel() == 0:
        return tensor
    gen, sid = _adapters.pinned(rng, stream)
    bf16 = local.dtype == torch.bfloat16
    on_cpu = local.device.type == "cpu"
    if on_cpu:
        data = local.detach()
        dst = data.view(torch.int16).numpy() if bf16 else data.numpy()
    else:  # one host buffer of the local size, one copy (as for plain device tensors)
        dst = np.empty(have, dtype=np.int16 if bf16 else _DIRECT[local.dtype])
    for pieces in itertools.product(*[_with_local_offsets(r) for r in runs]):
        where = tuple(slice(lo, lo + n) for lo, _, n in pieces)
        region = tuple(slice(g, g + n) for _, g, n in pieces)
        if bf16:
            origin = [r.start for r in region]
            _adapters.fill_bfloat16_bits(init, dst[where], gen, sid, shape, origin)
        else:
            init.fill(dst[where], rng=gen, stream=sid, shape=shape, region=region)
    if on_cpu:
        _bump_version(torch, local)
    else:
        host = torch.from_numpy(dst)
        with torch.no_grad():
            local.copy_(host.view(torch.bfloat16) if bf16 else host)
    return tensor


def _with_local_offsets(runs: _Runs) -> list[tuple[int, int, int]]:
    """(local start, global start, length) for each run of one axis."""
    out: list[tuple[int, int, int]] = []
    pos = 0
    for start, length in runs:
        out.append((pos, start, length))
        pos += length
    return out


def _bump_version(torch: ModuleType, tensor: Tensor) -> None:
    # Writes through numpy bypass autograd's version counter; bump it so a
    # graph that saved the old values fails loudly instead of using new ones.
    try:
        torch.autograd.graph.increment_version(tensor)
    except (AttributeError, RuntimeError):  # inference tensors have no version counter
        pass


def initialize(
    module: Module,
    rules: Rules,
    rng: RngLike = None,
    stream: Stream = None,
    *,
    layout: str | None = "torch",
    strict: bool = False,
) -> Module:
    """Initialize the parameters of ``module`` by rules; returns ``module``.

    Parameters
    ----------
    module : torch.nn.Module
    rules : mapping or sequence of (key, value) pairs
        Tried in order; the first rule that matches a parameter decides.
        A key is

        * a pattern (``fnmatch``) on the qualified parameter name:
          ``"*.weight"``, ``"encoder.*"``, ``"head.bias"``; or
        * a module type or tuple of types (``torch.nn.Conv2d``): it matches
          the parameters that belong directly to modules of that type.

        A value is an initializer (instance, name or config dict), ``None``
        (match and leave untouched), or -- for a type key -- a mapping from
        local names to initializers, e.g.
        ``{nn.Linear: {"weight": wi.GlorotUniform(), "bias": wi.Zeros()}}``.
    rng : seed, Generator, numpy generator or None
        Resolved once for the whole module (the global generator if None).
    stream : str or int, optional
        Prefix of the streams. Each parameter's stream is its qualified name
        (``"layer1.0.conv1.weight"``), or ``f"{stream}.{name}"``: initializing
        ``model.encoder`` with ``stream="encoder"`` gives what initializing
        ``model`` does. Values therefore do not depend on the order of
        initialization or on which parameters are skipped.
    layout : str or None
        As in :func:`init_` (default ``"torch"``).
    strict : bool
        Raise ``ValueError`` listing the parameters no rule matched (default:
        leave them as they are).

    Examples
    --------
    >>> import torch, weightinit as wi, weightinit.torch as wit
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(),
    ...                           torch.nn.Flatten(), torch.nn.Linear(8 * 30 * 30, 10))
    >>> _ = wit.initialize(net, {torch.nn.Conv2d: {"weight": wi.HeNormal(gain="relu"),
    ...                                            "bias": wi.Zeros()},
    ...                          "*.weight": wi.GlorotUniform(), "*.bias": None}, rng=0)
    """
    torch = _framework()
    _check_type(module, torch.nn.Module, "module", "torch.nn.Module")
    plan, unmatched, _ = _plan(torch, module, rules, layout)
    prefix = _prefix(stream)
    # Every check before the first parameter is written.
    if strict and unmatched:
        raise ValueError(f"no rule matched the parameters {unmatched}")
    _check_plan(torch, plan)
    gen = None if rng is None else _adapters.pinned(rng, 0)[0]
    for name, param, init in plan:
        init_(param, init, rng=gen, stream=prefix + name, layout=None)
    return module


def materialize(
    module: Module,
    rules: Rules,
    device: str | torch_device = "cpu",
    rng: RngLike = None,
    stream: Stream = None,
    *,
    layout: str | None = "torch",
    fallback: str | Callable[[Module], object] | None = None,
) -> Module:
    """Make a model built on the meta device real, every value defined; returns ``module``.

    ``module.to_empty(device=device)`` allocates storage (on a sharded model
    -- FSDP2's ``fully_shard``, ``distribute_tensor``, ``parallelize_module``
    -- each rank allocates only its own shards), then every parameter is
    filled by its rule exactly as :func:`initialize` fills it: the result
    equals building the model eagerly and calling ``initialize(model, rules,
    rng=rng, stream=stream)``, bit for bit, for every world size and placement.

    Nothing is left holding the uninitialized memory ``to_empty`` returns:

    * **Parameters**: each needs a rule giving it an initializer. The names
      of all that have none (no rule, or a rule mapping to None) are listed
      in one ``ValueError`` raised before anything is allocated.
    * **Buffers** of torch's normalization layers (BatchNorm*, SyncBatchNorm,
      InstanceNorm* running statistics) get their defaults from the module's
      own ``reset_running_stats()``. Any other buffer on the meta device
      (a rotary embedding's ``inv_freq``, ...) has no known default: it is
      listed in the same error.
    * Tensors that are already real (not on the meta device) keep their values.

    Parameters
    ----------
    module : torch.nn.Module
    rules, rng, stream, layout
        As in :func:`initialize`. Pass an int seed (or the same seeded
        Generator on every rank): ``rng=None`` draws from each process's own
        global generator.
    device : str or torch.device
        Where the storage goes (``"cpu"``, ``"cuda"``, ...).
    fallback : None, "reset_parameters" or callable
        What to do with the tensors the rules and the known buffers leave
        uncovered. None (default): the error above. ``"reset_parameters"``:
        call ``reset_parameters()`` of every module owning such a tensor; a
        callable: call ``fallback(module)`` for each such module. The
        fallback runs before the rules fill their parameters, so the rules
        win. Floating tensors it must set are filled with NaN first and
        checked afterwards: one it leaves unset is a ``RuntimeError``.
        **Values a fallback writes are the module's own** (torch's global
        generator, DTensor random ops): they are not reproducible across
        world sizes, placements or devices, unlike the rules' values.

    Examples
    --------
    >>> import torch, weightinit as wi, weightinit.torch as wit
    >>> with torch.device("meta"):
    ...     net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8))
    >>> rules = {"0.weight": wi.GlorotUniform(), "1.weight": wi.Ones(), "*.bias": wi.Zeros()}
    >>> _ = wit.materialize(net, rules, rng=0)
    >>> net[1].running_var.tolist() == [1.0] * 8
    True
    """
    torch = _framework()
    _check_type(module, torch.nn.Module, "module", "torch.nn.Module")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device must be a torch device or its name, got {device!r}") from None
    if fallback is not None and fallback != "reset_parameters" and not callable(fallback):
        raise ValueError(
            f"fallback must be None, 'reset_parameters' or a callable, got {fallback!r}"
        )
    plan, unmatched, skipped = _plan(torch, module, rules, layout)
    prefix = _prefix(stream)
    _check_plan(torch, plan)
    uncovered_params = [n for n in unmatched + skipped if _local(torch, _get(module, n)).is_meta]
    stats_modules, uncovered_buffers = _meta_buffers(torch, module)
    uncovered = uncovered_params + uncovered_buffers
    if uncovered and fallback is None:
        what = []
        if uncovered_params:
            what.append(f"parameters no rule gives an initializer: {uncovered_params}")
        if uncovered_buffers:
            what.append(f"buffers with no known default: {uncovered_buffers}")
        raise ValueError(
            "materialize would leave uninitialized memory in "
            + "; and in ".join(what)
            + ". Add rules for the parameters, or pass fallback='reset_parameters' (or a "
            "callable) to let their modules set them (not reproducible across world sizes)"
        )
    owners = _owners(module, uncovered)
    if fallback == "reset_parameters":
        missing = [n for n, m in owners.items() if not callable(getattr(m, "reset_parameters", 0))]
        if missing:
            raise ValueError(
                f"fallback='reset_parameters', but the modules {missing} owning uncovered "
                f"tensors have no reset_parameters()"
            )
    gen = None if rng is None else _adapters.pinned(rng, 0)[0]

    # Checks are done: from here on the module changes.
    real = [
        (owner, local, t.detach())
        for owner, local, t in _tensors(module)
        if not _local(torch, t).is_meta
    ]
    tied = _tied_parameters(module)
    module.to_empty(device=device)
    # to_empty gives plain parameters new Parameter objects, one per module
    # that holds them (DTensors are swapped in place): tie them again, as an
    # eagerly built model has them, and look every parameter up anew.
    for (owner, local), others in tied:
        param = getattr(owner, local)
        for other, other_local in others:
            if getattr(other, other_local) is not param:
                setattr(other, other_local, param)
    with torch.no_grad():
        for owner, local, old in real:
            getattr(owner, local).copy_(old)
        for mod in stats_modules:
            mod.reset_running_stats()
        if uncovered:
            for name in uncovered:
                t = _local(torch, _get(module, name))
                if t.is_floating_point():
                    t.fill_(float("nan"))
    for mod in owners.values():
        if fallback == "reset_parameters":
            mod.reset_parameters()
        elif callable(fallback):  # the only other choice left by the checks above
            fallback(mod)
    unset = [
        n
        for n in uncovered
        if _local(torch, _get(module, n)).is_floating_point()
        and bool(torch.isnan(_local(torch, _get(module, n))).any())
    ]
    if unset:
        raise RuntimeError(f"the fallback {fallback!r} left {unset} unset (still NaN)")
    for name, _, init in plan:
        init_(_get(module, name), init, rng=gen, stream=prefix + name, layout=None)
    return module


def _tied_parameters(
    module: Module,
) -> list[tuple[tuple[Module, str], list[tuple[Module, str]]]]:
    """[((owner, local name), [(other owner, local name), ...])] for shared parameters."""
    groups: dict[int, list[tuple[Module, str]]] = {}
    for _, mod in module.named_modules(remove_duplicate=False):
        for local, param in mod.named_parameters(recurse=False, remove_duplicate=False):
            places = groups.setdefault(id(param), [])
            if (mod, local) not in places:
                places.append((mod, local))
    return [(places[0], places[1:]) for places in groups.values() if len(places) > 1]


# Modules whose meta buffers have a known default, set by their reset_running_stats().
def _running_stats_types(torch: ModuleType) -> tuple[type, ...]:
    nn = torch.nn
    return (
        nn.BatchNorm1d,
        nn.BatchNorm2d,
        nn.BatchNorm3d,
        nn.SyncBatchNorm,
        nn.InstanceNorm1d,
        nn.InstanceNorm2d,
        nn.InstanceNorm3d,
    )


_RUNNING_STATS = ("running_mean", "running_var", "num_batches_tracked")


def _meta_buffers(torch: ModuleType, module: Module) -> tuple[list[Any], list[str]]:
    """Modules whose running statistics to reset, and the other meta buffers' names."""
    stats_types = _running_stats_types(torch)
    stats: list[Any] = []  # normalization layers, with reset_running_stats()
    unknown: list[str] = []
    seen: set[int] = set()
    for mod_name, mod in module.named_modules():
        for local, buf in mod.named_buffers(recurse=False):
            if buf is None or id(buf) in seen or not _local(torch, buf).is_meta:
                continue
            seen.add(id(buf))
            if isinstance(mod, stats_types) and local in _RUNNING_STATS:
                if not stats or stats[-1] is not mod:
                    stats.append(mod)
            else:
                unknown.append(f"{mod_name}.{local}" if mod_name else local)
    return stats, unknown


def _tensors(module: Module) -> list[tuple[Module, str, Tensor]]:
    """(owning module, local name, tensor) for every parameter and buffer, shared ones once."""
    out: list[tuple[Module, str, Tensor]] = []
    seen: set[int] = set()
    for _, mod in module.named_modules():
        items = itertools.chain(
            mod.named_parameters(recurse=False), mod.named_buffers(recurse=False)
        )
        for local, t in items:
            if t is not None and id(t) not in seen:
                seen.add(id(t))
                out.append((mod, local, t))
    return out


def _get(module: Module, name: str) -> Any:
    owner, _, local = name.rpartition(".")
    return getattr(module.get_submodule(owner) if owner else module, local)


def _owners(module: Module, names: Iterable[str]) -> dict[str, Any]:
    """{qualified module name: module} owning ``names``, in ``named_modules()`` order."""
    wanted = {n.rpartition(".")[0] for n in names}
    return {n: m for n, m in module.named_modules() if n in wanted}


def _local(torch: ModuleType, t: Tensor) -> Tensor:
    dtensor = _dtensor_type(torch)
    if dtensor is not None and isinstance(t, dtensor):
        with torch.no_grad():
            return t.to_local()
    return t


def _plan(
    torch: ModuleType, module: Module, rules: Rules, layout: str | None
) -> tuple[_Plan, list[str], list[str]]:
    """Which initializer each parameter of ``module`` gets.

    Returns ``(plan, unmatched, skipped)``: ``(name, param, initializer)``
    for the parameters a rule gives an initializer, the names no rule
    matched, and the names a rule maps to None. A parameter shared by
    several modules (tied weights) appears once, under its first qualified
    name in ``named_modules()`` order. Shared with weightinit.checkpoint.
    """
    rules = _parse_rules(torch, rules)
    layout = check_framework_layout(layout)
    plan: _Plan = []
    unmatched: list[str] = []
    skipped: list[str] = []
    relaid: dict[int, Initializer] = {}
    seen: set[int] = set()
    for mod_name, mod in module.named_modules():
        for local, param in mod.named_parameters(recurse=False):
            if id(param) in seen:  # tied weights: the first name owns the parameter
                continue
            seen.add(id(param))
            name = f"{mod_name}.{local}" if mod_name else local
            matched, value = _match(rules, name, mod, local)
            if not matched:
                unmatched.append(name)
            elif value is None:
                skipped.append(name)
            else:
                if id(value) not in relaid:  # one rebuilt initializer per rule, not per parameter
                    relaid[id(value)] = relayout(value, layout)
                plan.append((name, param, relaid[id(value)]))
    return plan, unmatched, skipped


def _check_plan(torch: ModuleType, plan: _Plan) -> None:
    for name, param, init in plan:
        if isinstance(param, torch.nn.parameter.UninitializedParameter):
            raise ValueError(
                f"parameter {name!r} of a lazy module is not materialized yet: run one "
                "forward pass (or materialize it) before initialize()"
            )
        try:
            init._check_shape(tuple(param.shape))
        except ShapeError as e:
            raise ShapeError(f"parameter {name!r} with {init!r}: {e}") from None
        if param.dtype.is_complex and param.dtype in _DIRECT:
            try:
                init._check_complex(np.dtype(_DIRECT[param.dtype]))
            except (TypeError, ValueError) as e:
                raise type(e)(f"parameter {name!r}: {e}") from None
        try:  # bfloat16 (and any other dtype) through float32, as it is filled
            dt = check.range_dtype(np.dtype(_DIRECT.get(param.dtype, np.float32)))
            init._check_values(tuple(param.shape), dt)
        except ValueError as e:
            raise ValueError(f"parameter {name!r} with {init!r}: {e}") from None


def _prefix(stream: object) -> str:
    if stream is None:
        return ""
    if isinstance(stream, bool) or not isinstance(stream, (str, int)):
        raise TypeError(f"stream must be a str or an int prefix, got {stream!r}")
    return f"{stream}."


def _parse_rules(torch: ModuleType, rules: Rules) -> list[tuple[Any, Any]]:
    """``(key, value)`` pairs; a value is None, an Initializer or {local name: that}."""
    items = list(rules.items()) if isinstance(rules, Mapping) else list(rules)
    parsed: list[tuple[Any, Any]] = []
    for item in items:
        try:
            key, value = item
        except (TypeError, ValueError):
            raise TypeError(
                f"rules must be a mapping or (key, value) pairs, got {item!r}"
            ) from None
        if isinstance(key, str):
            if isinstance(value, Mapping):
                raise TypeError(f"rule {key!r}: a name pattern maps to one initializer, not a dict")
        elif _is_module_type(torch, key):
            if isinstance(value, Mapping):
                value = {k: _value(v) for k, v in value.items()}
        else:
            raise TypeError(
                f"rule key must be a name pattern (str) or an nn.Module type, got {key!r}"
            )
        parsed.append((key, value if isinstance(value, dict) else _value(value)))
    return parsed


def _is_module_type(torch: ModuleType, key: object) -> bool:
    types = key if isinstance(key, tuple) else (key,)
    return bool(types) and all(
        isinstance(t, type) and issubclass(t, torch.nn.Module) for t in types
    )


def _value(value: Any) -> Initializer | None:
    return None if value is None else as_initializer(value)


def _match(
    rules: list[tuple[Any, Any]], name: str, module: Module, local: str
) -> tuple[bool, Initializer | None]:
    for key, value in rules:
        if isinstance(key, str):
            if fnmatch.fnmatchcase(name, key):
                return True, value
        elif isinstance(module, key):
            if not isinstance(value, dict):
                return True, value
            for pattern, init in value.items():
                if fnmatch.fnmatchcase(local, pattern):
                    return True, init
    return False, None


# --- LSUV ------------------------------------------------------------------------


class _StopForward(Exception):
    """Raised by LSUV's hook once the layer being scaled has produced its output."""


def lsuv(
    module: Module,
    batch: Any,
    tol: float = 0.1,
    max_iter: int = 10,
    rng: RngLike = None,
    stream: Stream = None,
) -> Module:
    """Layer-sequential unit-variance initialization (Mishkin & Matas 2016); returns ``module``.

    Algorithm 1 of "All you need is a good init": the weights of every
    ``nn.Linear`` and ``nn.Conv1d/2d/3d`` layer that runs on ``batch`` are
    drawn orthonormal (:class:`~weightinit.Orthogonal`, Saxe et al. 2014)
    and their biases set to zero; then, **in the order the layers run**
    (recorded with forward hooks), each layer's weight is divided by the
    standard deviation of its output on ``batch`` until the output variance
    is within ``1 +- tol``, at most ``max_iter`` times per layer. A layer
    still outside the band after that keeps its last scale and is named in a
    ``RuntimeWarning``. docs/recipes.md shows where LSUV fits.

    The forward passes run under ``torch.no_grad()`` with the module in eval
    mode (dropout off, normalization layers on their running statistics; the
    training flag is restored afterwards), and each stops at the layer being
    scaled, so only the layers before it run again.

    Parameters
    ----------
    module : torch.nn.Module
    batch : torch.Tensor or tuple of tensors
        What ``module(batch)`` (or ``module(*batch)``) is called with: one
        representative minibatch.
    tol : float
        Target band of the output variance, 0 < tol < 1.
    max_iter : int
        Rescalings per layer at most.
    rng, stream
        As in :func:`initialize`: the orthonormal pre-initialization equals
        ``initialize(module, {"<layer>.weight": Orthogonal(), "<layer>.bias":
        Zeros()}, rng=rng, stream=stream)``, so the same seed gives the same
        weights, bit for bit.

    Examples
    --------
    >>> import torch, weightinit.torch as wit
    >>> net = torch.nn.Sequential(torch.nn.Linear(32, 64), torch.nn.Tanh(),
    ...                           torch.nn.Linear(64, 64))
    >>> x = torch.randn(256, 32, generator=torch.Generator().manual_seed(0))
    >>> _ = wit.lsuv(net, x, rng=0)
    >>> v = net(x).var(unbiased=False).item()
    >>> abs(v - 1) <= 0.1
    True
    """
    import warnings

    from .diagnostics._lsuv import check_lsuv_args
    from .initializers import Zeros
    from .orthogonal import Orthogonal

    torch = _framework()
    _check_type(module, torch.nn.Module, "module", "torch.nn.Module")
    tol, max_iter = check_lsuv_args(tol, max_iter)
    args = tuple(batch) if isinstance(batch, (tuple, list)) else (batch,)
    if not args or not all(isinstance(a, torch.Tensor) for a in args):
        raise TypeError(
            f"batch must be a torch.Tensor or a tuple of tensors, got {type(batch).__name__}"
        )
    _prefix(stream)  # checked before anything changes
    nn = torch.nn
    layer_types = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    names = {id(m): n for n, m in module.named_modules() if isinstance(m, layer_types)}
    if not names:
        raise ValueError("module has no nn.Linear or nn.Conv1d/2d/3d layer for LSUV to scale")

    order: list[Any] = []  # layers in the order of their first call
    target: list[Any] = [None]  # the layer being scaled, and its output
    captured: list[Any] = []

    def hook(layer: Any, inputs: Any, output: Any) -> None:
        if target[0] is None:
            if all(layer is not m for m in order):
                order.append(layer)
        elif layer is target[0]:
            captured.append(output)
            raise _StopForward

    handles = [m.register_forward_hook(hook) for m in module.modules() if id(m) in names]
    was_training = module.training
    try:
        module.eval()
        with torch.no_grad():
            module(*args)
            if not order:
                raise ValueError("no Linear or Conv layer of module ran on batch")
            rules: dict[str, Initializer] = {}
            for layer in order:
                rules[f"{names[id(layer)]}.weight"] = Orthogonal()
                if layer.bias is not None:
                    rules[f"{names[id(layer)]}.bias"] = Zeros()
            initialize(module, rules, rng=rng, stream=stream)

            def output_var(layer: Any) -> float:
                target[0] = layer
                captured.clear()
                try:
                    module(*args)
                except _StopForward:
                    pass
                out = captured[0]
                return float(out.detach().to(torch.float64).var(unbiased=False))

            missed = []
            for layer in order:
                for it in range(max_iter + 1):
                    var = output_var(layer)
                    if abs(var - 1.0) <= tol or not var > 0 or not math.isfinite(var):
                        break
                    if it == max_iter:
                        missed.append(f"{names[id(layer)]} (variance {var:.4g})")
                        break
                    layer.weight.mul_(1.0 / math.sqrt(var))
    finally:
        for h in handles:
            h.remove()
        module.train(was_training)
    if missed:
        warnings.warn(
            f"LSUV: after max_iter={max_iter} rescalings the output variance of {missed} is "
            f"still outside 1 +- {tol}",
            RuntimeWarning,
            stacklevel=2,
        )
    return module
