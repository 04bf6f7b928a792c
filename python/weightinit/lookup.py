"""Initializers by name or config: ``get``, ``serialize``, ``deserialize``.

Names are matched without case or underscores, so Keras' snake_case
(``"glorot_uniform"``), CamelCase (``"GlorotUniform"``) and our class names
all work, plus the peers' aliases (``"random_normal"``, ``"xavier_uniform"``,
``"kaiming_normal"``, ``"eye"``, ...).

The *name* selects our class with **its defaults, which are Lasagne's**:
``get("he_normal")`` is Lasagne's ``HeNormal()`` (std 1/sqrt(fan_in), gain 1),
not Keras' (truncated, scale 2), and ``get("normal")`` has std 0.01, not
Keras' 0.05. For Keras' exact presets use ``VarianceScaling``, e.g.
``VarianceScaling(2.0, "fan_in", "truncated_normal", layout="keras")``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np

from . import initializers as _init
from ._base import Initializer

# What every ``init=``/``initializer=`` argument accepts: see :func:`as_initializer`.
InitializerLike: TypeAlias = "Initializer | str | Mapping[str, Any] | type[Initializer]"

__all__ = ["as_initializer", "get", "serialize", "deserialize", "names"]

# Peer spellings that are not just a class name in another case.
_ALIASES = {
    "zero": "Zeros",
    "one": "Ones",
    "random_normal": "Normal",
    "random_uniform": "Uniform",
    "xavier_normal": "GlorotNormal",
    "xavier_uniform": "GlorotUniform",
    "kaiming_normal": "HeNormal",
    "kaiming_uniform": "HeUniform",
    "eye": "Identity",
    "identity_initializer": "Identity",
    "orthogonal_initializer": "Orthogonal",
    "delta_orthogonal": "DeltaOrthogonal",
    "trunc_normal": "TruncatedNormal",
    "zero_init": "ZerO",
    "stft_initializer": "STFT",
    "convolutional_orthogonal_1d": "ConvolutionOrthogonal1D",
    "convolutional_orthogonal_2d": "ConvolutionOrthogonal2D",
    "convolutional_orthogonal_3d": "ConvolutionOrthogonal3D",
}

# snake_case names that the CamelCase rule below would spell badly.
_SNAKE = {
    "ZerO": "zero_init",  # "zero" is Keras' alias of Zeros; "ZerO" itself still works
    "STFT": "stft",
    "ConvolutionOrthogonal1D": "convolution_orthogonal_1d",
    "ConvolutionOrthogonal2D": "convolution_orthogonal_2d",
    "ConvolutionOrthogonal3D": "convolution_orthogonal_3d",
}


# Lasagne's composable classes need an initializer class: reachable through a
# config dict, not through a bare name.
_NEEDS_ARGUMENTS = ("Glorot", "He")


def _key(name: str) -> str:
    return name.replace("_", "").lower()


def _snake(name: str) -> str:
    if name in _SNAKE:
        return _SNAKE[name]
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i:
            out.append("_")
        out.append(c.lower())
    return "".join(out)


def _classes() -> dict[str, type[Initializer]]:
    classes = {}
    for name in _init.__all__:
        cls = getattr(_init, name, None)
        if isinstance(cls, type) and issubclass(cls, Initializer) and cls is not Initializer:
            classes[name] = cls
    return classes


def names() -> list[str]:
    """Every accepted snake_case name (CamelCase and case variants also work)."""
    classes = {n: c for n, c in _classes().items() if n not in _NEEDS_ARGUMENTS}
    out = {_snake(n).replace("le_cun", "lecun") for n in classes}
    out.update(a for a, target in _ALIASES.items() if target in classes)
    return sorted(out)


def _lookup(name: str) -> type[Initializer]:
    classes = _classes()
    if name in classes:  # an exact class name first: "ZerO" is not the alias "zero"
        return classes[name]
    table = {_key(n): cls for n, cls in classes.items()}
    table.update({_key(a): classes[t] for a, t in _ALIASES.items() if t in classes})
    cls = table.get(_key(name))
    if cls is None:
        raise ValueError(f"unknown initializer {name!r}; valid names: {', '.join(names())}")
    return cls


def serialize(initializer: Initializer) -> dict[str, Any]:
    """``{"class_name": ..., "config": {...}}`` (Keras' format), for :func:`deserialize`.

    >>> import weightinit as wi
    >>> wi.serialize(wi.GlorotUniform(gain="relu"))
    {'class_name': 'GlorotUniform', 'config': {'gain': 'relu', 'c01b': False}}
    """
    if not isinstance(initializer, Initializer):
        raise TypeError(f"serialize needs an Initializer, got {initializer!r}")
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def deserialize(config: dict[str, Any]) -> Initializer:
    """The initializer a :func:`serialize` (or Keras) config dict describes.

    >>> import weightinit as wi
    >>> wi.deserialize({"class_name": "he_normal", "config": {"gain": "relu"}})
    HeNormal(gain='relu', c01b=False)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            f"an initializer config is a dict with 'class_name' and 'config', got {config!r}"
        )
    name = config["class_name"]
    if not isinstance(name, str):
        raise TypeError(f"config['class_name'] must be a str naming an initializer, got {name!r}")
    cls = _lookup(name)
    args = config.get("config") or {}
    if not isinstance(args, dict):
        raise ValueError(f"'config' must be a dict of constructor arguments, got {args!r}")
    try:
        return cls.from_config(args)
    except TypeError as e:
        raise TypeError(f"cannot build {cls.__name__} from config {args!r}: {e}") from None


def get(identifier: Any) -> Any:
    """An initializer from a name, a config dict, an instance, a class or a callable.

    * ``None`` -> ``None`` (as in Keras);
    * a name such as ``"glorot_uniform"``, ``"GlorotUniform"``, ``"he_normal"``,
      ``"orthogonal"``, ``"lecun_normal"``, ``"truncated_normal"``,
      ``"variance_scaling"``, ``"zeros"`` -> that class with its defaults;
    * a dict ``{"class_name": ..., "config": {...}}`` -> :func:`deserialize`;
    * an :class:`Initializer` instance or any other callable -> itself;
    * an :class:`Initializer` subclass -> a default instance;
    * an array (numpy, torch, JAX) or a numpy scalar -> ``Constant(array)``,
      as ``keras.initializers.get(array)`` (Keras requires the weight's shape to
      equal the array's; ``Constant`` broadcasts it).

    Unknown names raise ``ValueError`` listing the valid ones. Defaults are
    Lasagne's (see the module docstring for where Keras' differ).

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.get("glorot_uniform")
    GlorotUniform(gain=1.0, c01b=False)
    >>> wi.get("Zeros")
    Zeros()
    """
    if identifier is None or isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _lookup(identifier)
        if cls.__name__ in _NEEDS_ARGUMENTS:
            raise ValueError(
                f"{identifier!r} needs an initializer class; use "
                f"'{cls.__name__.lower()}_normal' or '{cls.__name__.lower()}_uniform', or a config "
                "dict"
            )
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if _is_array(identifier):
        return _init.Constant(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer identifier: {identifier!r}")


def _is_array(x: Any) -> bool:
    # numpy arrays and scalars, and tensors that convert to one (torch, JAX, ...).
    if isinstance(x, (np.ndarray, np.generic)):
        return True
    return hasattr(x, "__array__") and hasattr(x, "shape") and not isinstance(x, type)


def as_initializer(value: Any, name: str = "initializer") -> Initializer:
    """An :class:`Initializer` from an instance, a name, a config dict or a class.

    What :func:`get` makes of ``value``, required to be an Initializer: the
    one conversion every function taking ``init=``/``initializer=`` uses
    (adapters, :func:`weightinit.save_npy`, :func:`weightinit.dask.sample`).
    """
    init = get(value)
    if not isinstance(init, Initializer):
        raise TypeError(
            f"{name} must be a weightinit Initializer, a name such as 'he_normal', a config "
            f"dict or an Initializer class, got {value!r}"
        )
    return init
