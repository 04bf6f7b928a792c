"""What the torch, JAX and Keras adapters share.

* **Layout.** An initializer that was given no layout gets the framework's
  (``relayout``); one that chose a layout, axes or ``c01b`` keeps its choice.
* **One element order for every framework.** Values are a pure function of
  (seed, stream, element index), so the *index order* decides which weight
  gets which value. The canonical order is torch's ``(out, in, *kernel)``:
  torch tensors are filled in their own order (in place, no copy), and a
  Keras/JAX kernel ``(*kernel, in, out)`` is generated as the torch-shaped
  tensor and transposed (``keras_from_torch``). So for one initializer, seed
  and stream, torch's ``nn.Linear`` weight ``(out, in)`` is the transpose of
  Keras' ``Dense`` kernel ``(in, out)`` and of Flax's ``Dense`` kernel, and
  conv kernels agree after ``(out, in, kh, kw) -> (kh, kw, in, out)``.
* **bfloat16.** The float32 values rounded to nearest even
  (weightinit/_bfloat16.py): every adapter writes the bits through
  :func:`fill_bfloat16_bits`, one call into the core per block of the
  destination (the kernels round in registers), so every path gives the
  same bits.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from . import _bfloat16
from . import _validation as check
from . import initializers as _init
from ._base import Array, Initializer
from ._bfloat16 import float32_to_bfloat16_bits
from ._rng import RngLike, pinned
from .lookup import as_initializer

__all__ = [
    "as_initializer",
    "check_framework_layout",
    "check_order",
    "chosen_layout",
    "fill_bfloat16_bits",
    "float32_to_bfloat16_bits",
    "import_framework",
    "keras_from_torch",
    "pinned",
    "relayout",
    "sample_numpy",
    "takes_layout",
    "torch_order_plan",
    "torch_shape",
    "with_layout",
]

# Initializers without a layout whose values still follow the torch order
# meaningfully: element-wise ones (Zeros and Ones are Constants), and the
# structural ones defined on torch's (out, in, *kernel) (Identity on 2-D, Dirac).
_TORCH_ORDERED = (
    _init.Constant,
    _init.Normal,
    _init.Uniform,
    _init.TruncatedNormal,
    _init.Identity,
    _init.Dirac,
)
_AXIS_KEYS = ("in_axis", "out_axis", "batch_axis", "column_axis", "input_axes", "output_axes")


def import_framework(name: str, adapter: str, install: str) -> ModuleType:
    """Import ``name`` or raise an ImportError that says how to get it."""
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ImportError(
            f"weightinit.{adapter} needs {name}, which is not installed "
            f"(it is not a dependency of weightinit): {install}"
        ) from e


def chosen_layout(init: Initializer) -> str | None:
    """The layout ``init`` was explicitly given: a name, ``"axes"``, ``"c01b"``, or None."""
    # The constructor's arguments as given (get_config's plain copy costs more than a
    # small fill; these tests read the same truth values, Nones and strings).
    cfg: dict[str, Any] = getattr(init, "_config", {})
    if cfg.get("c01b"):
        return "c01b"
    for k in _AXIS_KEYS:
        if cfg.get(k) is not None:
            return "axes"
    layout = cfg.get("layout")
    return layout.lower() if isinstance(layout, str) else None


def takes_layout(init: Initializer) -> bool:
    cls = type(init)
    known = _TAKES_LAYOUT.get(cls)
    if known is None:  # once per class: inspect.signature costs more than a small fill
        try:
            known = "layout" in inspect.signature(cls).parameters
        except (TypeError, ValueError):
            known = False
        _TAKES_LAYOUT[cls] = known
    return known


_TAKES_LAYOUT: dict[type, bool] = {}


def with_layout(init: Initializer, layout: str, force: bool = False) -> Initializer:
    """``init`` rebuilt with ``layout`` when it takes one and chose none (or ``force``)."""
    if not takes_layout(init) or (chosen_layout(init) is not None and not force):
        return init
    config = {**init.get_config(), "layout": layout}
    # Rebuilt once per configuration (an adapter call per tensor would otherwise build
    # a new initializer every time); the rebuilt one never leaves the adapters.
    try:
        key: Any = (type(init), tuple(config.items()))
        hash(key)
    except TypeError:  # an unhashable argument (an array Constant): rebuilt every time
        return type(init).from_config(config)
    rebuilt = _REBUILT.get(key)
    if rebuilt is None:
        if len(_REBUILT) >= 256:
            _REBUILT.clear()
        rebuilt = _REBUILT[key] = type(init).from_config(config)
    return rebuilt


_REBUILT: dict[Any, Initializer] = {}


def relayout(init: Initializer, layout: str | None) -> Initializer:
    """The framework's default layout for an initializer that chose none."""
    return init if layout is None else with_layout(init, layout)


def torch_order_plan(
    init: Initializer, shape: tuple[int, ...], layout: str | None
) -> tuple[Initializer, tuple[int, ...]] | None:
    """How a framework using ``layout`` generates ``shape`` in the canonical torch order.

    Returns ``(init, torch_shape)`` when ``shape`` is a Keras/JAX
    ``(*kernel, in, out)`` kernel whose values can be generated as the torch
    tensor ``(out, in, *kernel)`` and transposed back (see
    :func:`keras_from_torch`), or None when it is generated in its own order.
    """
    if layout not in ("keras", "jax") or len(shape) < 2:
        return None
    chosen = chosen_layout(init)
    if takes_layout(init):
        if chosen not in (None, "keras", "jax"):
            return None  # the user said which layout these arrays have: keep it
        init = with_layout(init, "torch", force=True)
    elif not isinstance(init, _TORCH_ORDERED) or not _is_ours(init) or _own_order(init):
        return None
    return init, torch_shape(shape)


def _own_order(init: Initializer) -> bool:
    # An array Constant and a batched Identity are laid out on the array's own axes.
    array = isinstance(init, _init.Constant) and isinstance(init.val, np.ndarray)
    return array or (isinstance(init, _init.Identity) and init.batched)


def _is_ours(init: Initializer) -> bool:
    return type(init).__module__.startswith(__package__ + ".")


def torch_shape(keras_shape: Iterable[int]) -> tuple[int, ...]:
    """``(*kernel, in, out)`` -> ``(out, in, *kernel)``."""
    s = tuple(keras_shape)
    return (s[-1], s[-2], *s[:-2])


def keras_from_torch(ndim: int) -> tuple[int, ...]:
    """Axis permutation taking a torch ``(out, in, *kernel)`` array to ``(*kernel, in, out)``."""
    return (*range(2, ndim), 1, 0)


# --- bfloat16 ------------------------------------------------------------------


def fill_bfloat16_bits(
    init: Initializer,
    dst: Array,
    rng: RngLike,
    stream: int | str | None,
    shape: Sequence[int] | None = None,
    start: Sequence[int] | None = None,
) -> Array:
    """Fill the uint16/int16 array ``dst`` (any strides) with bfloat16 bits of ``init``.

    ``dst`` is the whole tensor, or with ``shape`` and ``start`` the block of
    the tensor of ``shape`` starting at ``start``. The bits are those of the
    float32 tensor rounded to nearest even (:func:`float32_to_bfloat16_bits`),
    written by the core's bfloat16 kernels where ``init`` has them and
    computed in bounded float32 blocks otherwise (weightinit/_bfloat16.py).
    The one bfloat16 path of the torch and JAX adapters and of checkpoints.
    """
    if dst.dtype not in (np.int16, np.uint16):
        raise TypeError(f"dst must be a uint16 or int16 array, got dtype {dst.dtype}")
    full = dst.shape if shape is None else tuple(shape)
    origin = [0] * len(full) if start is None else list(start)
    if dst.size == 0:
        return dst
    init._fill_checked(full, dst.view(np.uint16), origin, [True] * len(full), rng, stream)
    return dst


def sample_numpy(
    init: Initializer,
    shape: Iterable[int],
    dtype: str,
    rng: RngLike,
    stream: int | str | None,
    layout: str | None,
    order: str,
    bfloat16_array: bool = False,
) -> tuple[Array, tuple[int, ...] | None]:
    """A new numpy array for a framework that creates arrays (JAX, Keras).

    ``dtype`` is ``"float16"``, ``"float32"``, ``"float64"`` or ``"bfloat16"``
    (returned as float32 holding bfloat16-rounded values, or with
    ``bfloat16_array`` as an ``ml_dtypes.bfloat16`` array of the bits). Returns
    ``(array, perm)``: the caller transposes ``array`` by ``perm`` (None: no
    transpose) with its framework's own, usually faster, transpose.
    """
    shape = tuple(int(d) for d in shape)
    plan = torch_order_plan(init, shape, layout) if order == "torch" else None
    perm: tuple[int, ...] | None
    if plan is None:
        init, gen_shape, perm = relayout(init, layout), shape, None
    else:
        init, gen_shape = plan
        perm = keras_from_torch(len(shape))
    if dtype == "bfloat16":
        bits = np.empty(gen_shape, dtype=np.uint16)
        fill_bfloat16_bits(init, bits, rng, stream)
        if bfloat16_array:
            out = bits.view(_bfloat16.numpy_dtype())
        else:
            out = (bits.astype(np.uint32) << 16).view(np.float32)
    else:
        out = init.sample(gen_shape, dtype=dtype, rng=rng, stream=stream)
    return out, perm


def check_order(order: Any) -> str:
    return check.choice(order, "order", ("torch", "native"))


def check_framework_layout(layout: Any) -> str | None:
    return check.layout(layout, check.FRAMEWORK_LAYOUTS)
