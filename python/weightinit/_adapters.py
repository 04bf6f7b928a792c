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
* **bfloat16.** Generated in float32 and rounded to nearest even with
  integer operations (``float32_to_bfloat16_bits``); every adapter uses this
  one function, chunk by chunk, so every path gives the same bits.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Iterable
from types import ModuleType
from typing import Any

import numpy as np

from . import _validation as check
from . import initializers as _init
from ._base import Array, Initializer
from ._rng import RngLike, pinned
from .lookup import as_initializer

__all__ = [
    "BF16_BLOCK_BYTES",
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
_AXIS_KEYS = ("in_axis", "out_axis", "batch_axis", "column_axis")

# float32 scratch per block for bfloat16: fits in L2, so the rounding passes
# run from cache; large enough that per-block Python overhead is small.
BF16_BLOCK_BYTES = 1 << 20


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
    cfg = init.get_config()
    if cfg.get("c01b"):
        return "c01b"
    if any(cfg.get(k) is not None for k in _AXIS_KEYS):
        return "axes"
    layout = cfg.get("layout")
    return layout.lower() if isinstance(layout, str) else None


def takes_layout(init: Initializer) -> bool:
    try:
        return "layout" in inspect.signature(type(init)).parameters
    except (TypeError, ValueError):
        return False


def with_layout(init: Initializer, layout: str, force: bool = False) -> Initializer:
    """``init`` rebuilt with ``layout`` when it takes one and chose none (or ``force``)."""
    if not takes_layout(init) or (chosen_layout(init) is not None and not force):
        return init
    return type(init).from_config({**init.get_config(), "layout": layout})


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
    elif not isinstance(init, _TORCH_ORDERED) or not _is_ours(init):
        return None
    return init, torch_shape(shape)


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


def float32_to_bfloat16_bits(src: Array, dst: Array, tmp: Array | None = None) -> Array:
    """Round float32 ``src`` to bfloat16, round-to-nearest-even, into uint16/int16 ``dst``.

    bits = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 on the float32 bit pattern u:
    ties go to the even bfloat16, overflow rounds to infinity as IEEE does;
    NaNs stay (quiet) NaNs. The same integer formula as torch's and
    ml_dtypes' conversions, so the bits agree with ``tensor.to(torch.bfloat16)``.
    """
    src = np.ascontiguousarray(src, dtype=np.float32)
    u = src.reshape(-1).view(np.uint32)
    t = np.empty_like(u) if tmp is None else tmp.reshape(-1)[: u.size]
    np.right_shift(u, 16, out=t)
    np.bitwise_and(t, 1, out=t)
    t += 0x7FFF
    t += u
    t >>= 16
    nan = np.isnan(src.reshape(-1))
    if nan.any():
        t[nan] = (u[nan] >> 16) | 0x40
    np.copyto(dst.view(np.uint16), t.reshape(dst.shape), casting="unsafe")
    return dst


def fill_bfloat16_bits(
    init: Initializer,
    dst: Array,
    rng: RngLike,
    stream: int | str | None,
    block_bytes: int = BF16_BLOCK_BYTES,
) -> Array:
    """Fill the uint16/int16 array ``dst`` (any strides) with bfloat16 bits of ``init``.

    Block by block: float32 into a bounded scratch buffer, then rounded
    (:func:`float32_to_bfloat16_bits`). Each block is what the float32 tensor
    has there, so the result does not depend on the block size.
    """
    shape = dst.shape
    if dst.size == 0:
        return dst
    init._check_shape(shape)  # every check before the stream is taken
    init._check_values(shape, np.dtype(np.float32))  # bfloat16 is rounded from float32
    gen, sid = pinned(rng, stream)
    from ._chunking import slabs, whole_axes

    blocks = list(slabs(shape, 4, block_bytes, whole_axes(init, shape)))
    biggest = max(math.prod(extent) for _, extent in blocks)
    scratch = np.empty(biggest, dtype=np.float32)
    tmp = np.empty(biggest, dtype=np.uint32)
    for start, extent in blocks:
        n = math.prod(extent)
        block = scratch[:n].reshape(extent)
        init.fill(block, rng=gen, stream=sid, shape=shape, offset=start)
        where = tuple(slice(s, s + e) for s, e in zip(start, extent, strict=True))
        float32_to_bfloat16_bits(block, dst[where], tmp[:n])
    return dst


def sample_numpy(
    init: Initializer,
    shape: Iterable[int],
    dtype: str,
    rng: RngLike,
    stream: int | str | None,
    layout: str | None,
    order: str,
) -> tuple[Array, tuple[int, ...] | None]:
    """A new numpy array for a framework that creates arrays (JAX, Keras).

    ``dtype`` is ``"float16"``, ``"float32"``, ``"float64"`` or ``"bfloat16"``
    (returned as float32 holding bfloat16-rounded values). Returns
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
        out = (bits.astype(np.uint32) << 16).view(np.float32)
    else:
        out = init.sample(gen_shape, dtype=dtype, rng=rng, stream=stream)
    return out, perm


def check_order(order: Any) -> str:
    return check.choice(order, "order", ("torch", "native"))


def check_framework_layout(layout: Any) -> str | None:
    return check.layout(layout, check.FRAMEWORK_LAYOUTS)
