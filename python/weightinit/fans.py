"""Fan-in and fan-out of a weight tensor under each framework's layout.

Frameworks store the same layer's weights in different axis orders, so
"fan_in" of one array depends on whose convention it follows:

===========  ==========================  ======================================
layout       2-D                         N-D
===========  ==========================  ======================================
``lasagne``  (num_inputs, num_units)     (out, in, *kernel)   -- the default
``c01b``     --                          (in, k0, k1, out)    -- 4-D only
``torch``    (out, in)                   (out, in, *kernel)
``keras``    (in, out)                   (*kernel, in, out);  0-D -> (1, 1), 1-D -> (n, n)
``jax``      (in, out)                   (*kernel, in, out)
===========  ==========================  ======================================

fan_in = (size of the input axes) x (receptive field), fan_out likewise with
the output axes; the receptive field is the product of the remaining axes.
Explicit ``in_axis``, ``out_axis`` and ``batch_axis`` (ints or sequences, as
in ``jax.nn.initializers``) cover grouped, depthwise, transposed and
einsum-style kernels: batch axes count in neither fan. Keras'
``input_axes``/``output_axes`` are the other explicit form: fans are the
products over those axes alone, every other axis counting in neither fan
(Keras' ``compute_fans``; the same as JAX's axes with all the others as
batch axes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import _validation as check
from ._errors import ShapeError
from ._validation import LAYOUTS

__all__ = ["fans", "LAYOUTS"]

#: An ``in_axis``/``out_axis``/``batch_axis`` value: one axis or a sequence of axes.
Axes = int | Sequence[int]

_LASAGNE_RANK = "This initializer only works with shapes of length >= 2"
_C01B_RANK = "If c01b is True, only shapes of length 4 are accepted"


class FanSpec:
    """A validated layout choice: a layout name, or explicit axes."""

    __slots__ = ("layout", "in_axis", "out_axis", "batch_axis", "keras_axes", "_computed")

    layout: str | None
    in_axis: int | tuple[int, ...] | None
    out_axis: int | tuple[int, ...] | None
    batch_axis: int | tuple[int, ...] | None
    keras_axes: tuple[tuple[int, ...], tuple[int, ...]] | None

    def __init__(
        self,
        layout: str | None = None,
        c01b: bool = False,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        self.keras_axes = None
        if input_axes is not None or output_axes is not None:
            self.keras_axes = _keras_axes(
                input_axes, output_axes, layout, c01b, (in_axis, out_axis, batch_axis)
            )
        explicit = in_axis is not None or out_axis is not None or batch_axis is not None
        layout = check.layout(layout)
        if c01b:
            if layout not in (None, "lasagne", "c01b") or explicit:
                raise ValueError("c01b=True is a layout: do not combine it with layout= or axes")
            layout = "c01b"
        if explicit:
            if layout is not None:
                raise ValueError(
                    f"give either layout={layout!r} or in_axis/out_axis/batch_axis, not both"
                )
            self.in_axis = check.axes(-2 if in_axis is None else in_axis, "in_axis")
            self.out_axis = check.axes(-1 if out_axis is None else out_axis, "out_axis")
            self.batch_axis = check.axes(() if batch_axis is None else batch_axis, "batch_axis")
        else:
            self.in_axis = self.out_axis = self.batch_axis = None
        self.layout = "lasagne" if layout is None and not explicit else layout
        # Fans of shapes seen before: the spec never changes, and a small call asks up
        # to three times (shape check, value check, fill).
        self._computed: dict[tuple[int, ...], tuple[int, int]] = {}

    def check(self, shape: Sequence[int]) -> None:
        """Raise ShapeError if ``shape`` has no fans under this layout."""
        self.compute(shape)

    def compute(self, shape: Sequence[int]) -> tuple[int, int]:
        fans = self._computed.get(shape) if type(shape) is tuple else None
        if fans is None:
            fans = self._compute(shape)
            if type(shape) is tuple and len(self._computed) < 256:
                if all(type(d) is int for d in shape):  # as check.shape returns them
                    self._computed[shape] = fans
        return fans

    def _compute(self, shape: Sequence[int]) -> tuple[int, int]:
        n = len(shape)
        if self.keras_axes is not None:
            # Keras' rule: products over the two lists; other axes count in neither fan.
            (fan_in, fan_out), _ = _axis_sizes(
                shape, [("input_axes", self.keras_axes[0]), ("output_axes", self.keras_axes[1])]
            )
            return fan_in, fan_out
        if self.layout is None:
            return _explicit(shape, self.in_axis, self.out_axis, self.batch_axis)
        if self.layout == "c01b":
            if n != 4:
                raise ShapeError(_C01B_RANK)
            rf = shape[1] * shape[2]
            return shape[0] * rf, shape[3] * rf
        if self.layout == "keras" and n < 2:
            return (1, 1) if n == 0 else (shape[0], shape[0])
        if n < 2:
            raise ShapeError(
                {
                    "lasagne": _LASAGNE_RANK,
                    "torch": "Fan in and fan out can not be computed for tensor with fewer "
                    "than 2 dimensions",
                    "jax": f"Can't compute input and output sizes of a {n}-dimensional weights "
                    "tensor with layout='jax'. Must be at least 2D or specify in_axis "
                    "explicitly.",
                }[self.layout]
                + f" (got shape {tuple(shape)})"
            )
        if self.layout in ("keras", "jax"):
            rf = math.prod(shape[:-2])
            return shape[-2] * rf, shape[-1] * rf
        rf = math.prod(shape[2:])
        if self.layout == "lasagne" and n == 2:
            return shape[0], shape[1]
        return shape[1] * rf, shape[0] * rf

    def __repr__(self) -> str:
        if self.keras_axes is not None:
            return f"FanSpec(input_axes={self.keras_axes[0]!r}, output_axes={self.keras_axes[1]!r})"
        if self.layout is None:
            return (
                f"FanSpec(in_axis={self.in_axis!r}, out_axis={self.out_axis!r}, "
                f"batch_axis={self.batch_axis!r})"
            )
        return f"FanSpec(layout={self.layout!r})"


def _keras_axes(
    input_axes: Any, output_axes: Any, layout: Any, c01b: bool, jax_axes: tuple[Any, ...]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Keras' ``input_axes``/``output_axes``: both, and nothing else that places the fans."""
    if input_axes is None or output_axes is None:
        raise ValueError(
            "input_axes and output_axes go together (Keras ignores one given without the "
            f"other), got input_axes={input_axes!r}, output_axes={output_axes!r}"
        )
    if layout is not None or c01b or any(a is not None for a in jax_axes):
        raise ValueError(
            "give either input_axes/output_axes (Keras) or layout/c01b/in_axis/out_axis/"
            "batch_axis, not both"
        )
    ins = check.axes(input_axes, "input_axes")
    outs = check.axes(output_axes, "output_axes")
    return (ins if isinstance(ins, tuple) else (ins,)), (
        outs if isinstance(outs, tuple) else (outs,)
    )


def _axis_sizes(
    shape: Sequence[int], specs: Sequence[tuple[str, Any]]
) -> tuple[list[int], set[int]]:
    """Product of ``shape`` over each named axis spec (an axis may appear in one spec
    only), and the axes used."""
    n = len(shape)
    used: dict[int, str] = {}
    sizes = []
    for name, spec in specs:
        size = 1
        for a in spec if isinstance(spec, tuple) else (spec,):
            if not -n <= a < n:
                raise ShapeError(
                    f"{name}={spec!r} is out of range for shape {tuple(shape)} of rank {n}"
                )
            a %= n
            if a in used:
                raise ShapeError(f"axis {a} of shape {tuple(shape)} is both {used[a]} and {name}")
            used[a] = name
            size *= shape[a]
        sizes.append(size)
    return sizes, set(used)


def _explicit(
    shape: Sequence[int], in_axis: Any, out_axis: Any, batch_axis: Any
) -> tuple[int, int]:
    """JAX's rule: the axes in none of the three are the receptive field."""
    (size_in, size_out, _), used = _axis_sizes(
        shape, [("in_axis", in_axis), ("out_axis", out_axis), ("batch_axis", batch_axis)]
    )
    rf = math.prod(d for i, d in enumerate(shape) if i not in used)
    return size_in * rf, size_out * rf


def fans(
    shape: Any,
    layout: str | None = None,
    *,
    c01b: bool = False,
    in_axis: Axes | None = None,
    out_axis: Axes | None = None,
    batch_axis: Axes | None = None,
    input_axes: Axes | None = None,
    output_axes: Axes | None = None,
) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight tensor of ``shape``.

    Parameters
    ----------
    shape : tuple of ints
    layout : {"lasagne", "c01b", "torch", "keras", "jax"}, optional
        Axis convention (see the module docstring); default ``"lasagne"``:
        2-D ``(num_inputs, num_units)``, N-D ``(out, in, *kernel)``.
    c01b : bool
        Lasagne's flag for cuda-convnet ``(in, k0, k1, out)`` weights
        (same as ``layout="c01b"``).
    in_axis, out_axis, batch_axis : int or sequence of ints, optional
        Explicit axes as in ``jax.nn.initializers``; unset ones default to
        ``-2``, ``-1`` and ``()``. fan_in = prod(shape[in_axis]) x rf,
        fan_out = prod(shape[out_axis]) x rf, rf = product of the axes in none
        of the three.
    input_axes, output_axes : int or sequence of ints, optional
        Keras' ``compute_fans(shape, input_axes, output_axes)`` (both or
        neither): fan_in = prod(shape[input_axes]), fan_out =
        prod(shape[output_axes]); the other axes count in **neither** fan.
        This is what Keras' ``EinsumDense`` and ``MultiHeadAttention`` pass.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.fans((784, 256))                      # Dense (in, out)
    (784, 256)
    >>> wi.fans((64, 32, 3, 3))                  # conv (out, in, k, k)
    (288, 576)
    >>> wi.fans((3, 3, 32, 64), layout="keras")  # conv (k, k, in, out)
    (288, 576)
    >>> wi.fans((3, 3, 32, 1), batch_axis=2, in_axis=(), out_axis=3)  # depthwise
    (9, 9)
    >>> wi.fans((3, 3, 16, 32), input_axes=[2], output_axes=[3])    # Keras' compute_fans
    (16, 32)
    """
    spec = FanSpec(layout, c01b, in_axis, out_axis, batch_axis, input_axes, output_axes)
    return spec.compute(check.shape(shape))
