"""The nonlinearities the diagnostics understand, with their derivatives.

Each is written so it neither overflows nor loses precision in float32:
the logistic function goes through tanh, SELU's negative branch through
``expm1`` of a clipped argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.floating[Any]]

# SELU constants from Klambauer et al. (2017), eq. (14): the fixed point
# (mean 0, variance 1) of the layer map for weights with variance 1/fan_in.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# GELU, tanh form (Hendrycks & Gimpel 2016, as torch's approximate="tanh"):
# numpy has no erf, and the tanh form differs from x*Phi(x) by < 1e-3.
_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715

# A unit counts as saturated when its derivative is below this fraction of
# the derivative's peak: tanh'(z) < 0.1 <=> |z| > atanh(sqrt(0.9)) = 1.818,
# logistic'(z) < 0.025 <=> |z| > 2 atanh(sqrt(0.9)) = 3.637.
SATURATION_FRACTION = 0.1
_TANH_SATURATION = math.atanh(math.sqrt(1.0 - SATURATION_FRACTION))

ACTIVATIONS = ("linear", "tanh", "sigmoid", "relu", "leaky_relu", "selu", "gelu")

# Lasagne's and torch's spellings of the same functions.
_ALIASES = {
    "identity": "linear",
    "none": "linear",
    "logistic": "sigmoid",
    "rectify": "relu",
    "leaky_rectify": "leaky_relu",
    "leakyrelu": "leaky_relu",
}


@dataclass(frozen=True)
class Activation:
    """A nonlinearity f with its derivative, by name.

    ``saturation_threshold`` is the |pre-activation| beyond which the unit is
    counted as saturated (``None`` for functions that do not saturate on both
    sides); ``negative_slope`` is leaky ReLU's slope for z < 0.
    """

    name: str
    negative_slope: float = 0.01

    @property
    def rectifier(self) -> bool:
        """True for relu and leaky_relu, whose units can be inactive (z <= 0) or dead."""
        return self.name in ("relu", "leaky_relu")

    @property
    def saturation_threshold(self) -> float | None:
        if self.name == "tanh":
            return _TANH_SATURATION
        if self.name == "sigmoid":
            return 2.0 * _TANH_SATURATION
        return None

    def __call__(self, z: FloatArray) -> FloatArray:
        name = self.name
        if name == "linear":
            return cast(FloatArray, z.copy())
        if name == "tanh":
            return np.tanh(z)
        if name == "sigmoid":
            # 1/(1+exp(-z)) overflows for z < -88 in float32; the tanh form cannot.
            return cast(FloatArray, 0.5 + 0.5 * np.tanh(0.5 * z))
        if name == "relu":
            return np.maximum(z, 0)
        if name == "leaky_relu":
            return np.where(z > 0, z, z * z.dtype.type(self.negative_slope))
        if name == "selu":
            neg = SELU_ALPHA * np.expm1(np.minimum(z, 0))
            return SELU_SCALE * np.where(z > 0, z, neg).astype(z.dtype, copy=False)
        if name == "gelu":
            return cast(FloatArray, 0.5 * z * (1 + np.tanh(_GELU_C * (z + _GELU_K * z**3))))
        raise AssertionError(name)

    def derivative(self, z: FloatArray) -> FloatArray:
        name = self.name
        if name == "linear":
            return np.ones_like(z)
        if name == "tanh":
            t = np.tanh(z)
            return 1 - t * t
        if name == "sigmoid":
            s = 0.5 + 0.5 * np.tanh(0.5 * z)
            return cast(FloatArray, s * (1 - s))
        if name == "relu":
            return (z > 0).astype(z.dtype)
        if name == "leaky_relu":
            return np.where(z > 0, 1, self.negative_slope).astype(z.dtype)
        if name == "selu":
            neg = SELU_ALPHA * np.exp(np.minimum(z, 0))
            return SELU_SCALE * np.where(z > 0, 1, neg).astype(z.dtype, copy=False)
        if name == "gelu":
            z3 = z**3
            t = np.tanh(_GELU_C * (z + _GELU_K * z3))
            return cast(
                FloatArray,
                0.5 * (1 + t) + 0.5 * z * (1 - t * t) * _GELU_C * (1 + 3 * _GELU_K * z * z),
            )
        raise AssertionError(name)


def get_activation(activation: str | Activation, negative_slope: float = 0.01) -> Activation:
    """An :class:`Activation` from a name (``'tanh'``, ``'rectify'``, ...) or an Activation."""
    if isinstance(activation, Activation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a name, got {activation!r}")
    key = activation.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; use one of {', '.join(ACTIVATIONS)}")
    slope = float(negative_slope)
    if not math.isfinite(slope) or slope < 0:
        raise ValueError(f"negative_slope must be finite and >= 0, got {negative_slope!r}")
    return Activation(key, slope)
