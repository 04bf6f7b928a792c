"""Keras 3 adapter: ``weightinit.keras.Initializer(init)`` is a ``keras.initializers.Initializer``.

Keras is not a dependency of weightinit: the class is built on first access
(``weightinit.keras.Initializer``), and a clear ImportError says how to
install Keras if it is missing. It works with every Keras backend: values
are generated on the host by the C++ core and handed to the backend once.

Examples
--------
>>> import os
>>> _ = os.environ.setdefault("KERAS_BACKEND", "jax")  # Keras 3's default is TensorFlow
>>> import keras, weightinit as wi, weightinit.keras as wik
>>> layer = keras.layers.Dense(256, kernel_initializer=wik.Initializer(wi.HeNormal(gain="relu"),
...                                                                    seed=0))
"""

from __future__ import annotations

import random
from typing import Any

from . import _adapters
from ._adapters import as_initializer, check_framework_layout, check_order

__all__ = ["Initializer"]  # noqa: F822 - built on first access (module __getattr__)

_class: type | None = None
_CLASS_TAG = "__weightinit_class__"


def __getattr__(name: str) -> type:
    if name == "Initializer":
        return _initializer_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _initializer_class() -> type:
    global _class
    if _class is None:
        keras = _adapters.import_framework("keras", "keras", "pip install keras (Keras 3)")
        _class = _build(keras)
    return _class


def _to_json(value: Any) -> Any:
    """A weightinit config made JSON-safe (Glorot/He hold a class)."""
    if isinstance(value, type):
        return {_CLASS_TAG: value.__name__}
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any) -> Any:
    import weightinit

    if isinstance(value, dict):
        if set(value) == {_CLASS_TAG}:
            return getattr(weightinit, value[_CLASS_TAG])
        return {k: _from_json(v) for k, v in value.items()}
    return value


def _with_keras_axes(init: Any, input_axes: Any, output_axes: Any) -> Any:
    """``init`` with Keras' fan axes, if it computes fans and chose no layout or axes."""
    if input_axes is None and output_axes is None:
        return init
    if input_axes is None or output_axes is None:
        raise ValueError(
            "input_axes and output_axes go together (Keras ignores one given without the "
            f"other), got input_axes={input_axes!r}, output_axes={output_axes!r}"
        )
    if not hasattr(init, "fans") or _adapters.chosen_layout(init) is not None:
        return init
    config = {**init.get_config(), "input_axes": list(input_axes), "output_axes": list(output_axes)}
    return type(init).from_config(config)


def _build(keras: Any) -> type:
    import weightinit

    # A VarianceScaling subclass only so that Keras' EinsumDense (and so
    # MultiHeadAttention) hands it the einsum's input/output axes, as it does to
    # its own VarianceScaling; nothing of VarianceScaling's is used.
    @keras.saving.register_keras_serializable(package="weightinit", name="Initializer")
    class Initializer(keras.initializers.VarianceScaling):  # type: ignore[misc]
        # (keras has no type information: its base class is Any to mypy)
        """A weightinit initializer as a Keras initializer.

        Parameters
        ----------
        initializer : weightinit.Initializer, name or config dict
        seed : int, weightinit.Generator or None
            Keras' semantics: an int gives the same values on every call
            (stateless); ``None`` draws a seed from Python's ``random`` at
            construction (so ``keras.utils.set_random_seed`` makes it
            reproducible) and stores ``None`` in the config, as Keras'
            initializers do; a ``weightinit.Generator`` gives a new stream on
            every call (like a ``keras.random.SeedGenerator``).
        stream : int or str, optional
            Stream id (default 0 with an int seed), e.g. ``"dense_1.kernel"``.
        layout : str or None
            Layout used when the initializer chose none: ``"keras"``
            (default: Dense ``(in, out)``, conv ``(*kernel, in, out)``).
        order : {"torch", "native"}
            ``"torch"`` (default): a kernel gets the values of the torch tensor
            ``(out, in, *kernel)`` transposed, so torch, JAX and Keras agree;
            ``"native"``: this array's own order (``init.sample(shape)``).
        input_axes, output_axes : list of int, optional
            Keras' fan axes (``compute_fans``): a fan-based initializer that
            chose no layout or axes uses ``fan_in = prod(shape[input_axes])``,
            ``fan_out = prod(shape[output_axes])`` and the array's own order.
            ``EinsumDense`` and ``MultiHeadAttention`` set them from the einsum
            equation, as for Keras' own ``VarianceScaling`` (this class is one,
            for that reason); other initializers ignore them.

        Serializable: ``get_config``/``from_config``, ``keras.initializers.
        serialize``/``deserialize`` and model saving (registered as
        ``"weightinit>Initializer"``).
        """

        def __init__(
            self,
            initializer: Any,
            seed: int | weightinit.Generator | None = None,
            stream: int | str | None = None,
            layout: str | None = "keras",
            order: str = "torch",
            input_axes: list[int] | None = None,
            output_axes: list[int] | None = None,
        ) -> None:
            self.initializer = as_initializer(_from_json(initializer))
            self.layout = check_framework_layout(layout)
            self.order = check_order(order)
            self.stream = stream
            if seed is not None and not isinstance(seed, weightinit.Generator):
                if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                    raise ValueError(
                        f"seed must be a non-negative int, a weightinit.Generator or None, "
                        f"got {seed!r}"
                    )
            self.seed = seed
            self._rng = random.randint(1, 10**9) if seed is None else seed
            self.input_axes, self.output_axes = input_axes, output_axes
            self._with_axes = _with_keras_axes(self.initializer, input_axes, output_axes)

        def __call__(self, shape: Any, dtype: Any = None) -> Any:
            dtype = keras.backend.standardize_dtype(dtype or keras.config.floatx())
            if dtype not in ("float16", "bfloat16", "float32", "float64"):
                raise TypeError(f"dtype must be float16, bfloat16, float32 or float64, got {dtype}")
            arr, perm = _adapters.sample_numpy(
                self._with_axes,
                tuple(shape),
                dtype,
                self._rng,
                self.stream,
                self.layout,
                self.order,
            )
            # bfloat16 arrives as float32 holding exactly representable values:
            # the backend's cast is exact, so every backend gets the same bits.
            out = keras.ops.convert_to_tensor(arr, dtype=dtype)
            return out if perm is None else keras.ops.transpose(out, perm)

        def get_config(self) -> dict[str, Any]:
            return {
                "initializer": _to_json(weightinit.serialize(self.initializer)),
                "seed": self.seed if isinstance(self.seed, int) else None,
                "stream": self.stream,
                "layout": self.layout,
                "order": self.order,
                **({"input_axes": self.input_axes} if self.input_axes is not None else {}),
                **({"output_axes": self.output_axes} if self.output_axes is not None else {}),
            }

        def __repr__(self) -> str:
            return f"weightinit.keras.Initializer({self.initializer!r}, seed={self.seed!r})"

    Initializer.__module__ = __name__
    Initializer.__qualname__ = "Initializer"
    return Initializer
