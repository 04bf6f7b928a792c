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
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

import numpy as np

from . import _adapters
from ._adapters import as_initializer, check_framework_layout, relayout
from ._errors import ShapeError

__all__ = ["init_", "initialize"]

_torch = None
_DIRECT = {}  # torch dtype -> numpy dtype filled straight into the tensor's memory


def _framework():
    global _torch
    if _torch is None:
        torch = _adapters.import_framework(
            "torch", "torch", "pip install torch (CPU builds: see pytorch.org)"
        )
        _DIRECT.update(
            {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}
        )
        _torch = torch
    return _torch


def init_(tensor, initializer, rng=None, stream=None, *, layout="torch"):
    """Fill ``tensor`` in place with ``initializer``'s values and return it.

    Parameters
    ----------
    tensor : torch.Tensor
        Any floating dtype: float16/32/64 are filled directly; bfloat16 is
        generated in float32 (bounded scratch, block by block) and rounded to
        nearest even. A CPU tensor is written through the memory it shares
        with numpy, with no copy (strided views included). A tensor on another
        device (CUDA, ...) is generated into **one host buffer** of its size
        and copied with **one** ``copy_``; it gets the same bits as on the CPU.
        Meta and zero-element tensors are returned untouched (as torch does).
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
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"tensor must be a torch.Tensor, got {type(tensor).__name__}")
    init = relayout(as_initializer(initializer), check_framework_layout(layout))
    dtype = tensor.dtype
    if dtype not in _DIRECT and dtype != torch.bfloat16:
        raise TypeError(
            f"tensor must have a floating dtype (float16, bfloat16, float32, float64), got {dtype}"
        )
    shape = tuple(tensor.shape)
    init._check_shape(shape)  # shape errors even for meta/empty tensors
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


def _fill_through_host(torch, tensor, init, rng, stream):
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


def _bump_version(torch, tensor):
    # Writes through numpy bypass autograd's version counter; bump it so a
    # graph that saved the old values fails loudly instead of using new ones.
    try:
        torch.autograd.graph.increment_version(tensor)
    except (AttributeError, RuntimeError):  # inference tensors have no version counter
        pass


def initialize(module, rules, rng=None, stream=None, *, layout="torch", strict=False):
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
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    rules = _parse_rules(torch, rules)
    layout = check_framework_layout(layout)
    gen = None if rng is None else _adapters.pinned(rng, 0)[0]
    prefix = _prefix(stream)
    plan, unmatched, relaid = [], [], {}
    seen = set()
    for mod_name, mod in module.named_modules():
        for local, param in mod.named_parameters(recurse=False):
            if id(param) in seen:  # tied weights: the first name owns the parameter
                continue
            seen.add(id(param))
            name = f"{mod_name}.{local}" if mod_name else local
            matched, value = _match(rules, name, mod, local)
            if not matched:
                unmatched.append(name)
            elif value is not None:
                if id(value) not in relaid:  # one rebuilt initializer per rule, not per parameter
                    relaid[id(value)] = relayout(value, layout)
                plan.append((name, param, relaid[id(value)]))
    # Every check before the first parameter is written.
    if strict and unmatched:
        raise ValueError(f"no rule matched the parameters {unmatched}")
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
    for name, param, init in plan:
        init_(param, init, rng=gen, stream=prefix + name, layout=None)
    return module


def _prefix(stream) -> str:
    if stream is None:
        return ""
    if isinstance(stream, bool) or not isinstance(stream, (str, int)):
        raise TypeError(f"stream must be a str or an int prefix, got {stream!r}")
    return f"{stream}."


def _parse_rules(torch, rules):
    items = list(rules.items()) if isinstance(rules, Mapping) else list(rules)
    parsed = []
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


def _is_module_type(torch, key) -> bool:
    types = key if isinstance(key, tuple) else (key,)
    return bool(types) and all(
        isinstance(t, type) and issubclass(t, torch.nn.Module) for t in types
    )


def _value(value):
    return None if value is None else as_initializer(value)


def _match(rules, name, module, local):
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
