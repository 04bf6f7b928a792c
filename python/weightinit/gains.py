"""Gains: the factor a nonlinearity needs on the weights' standard deviation.

``calculate_gain`` reproduces ``torch.nn.init.calculate_gain`` value for value;
``resolve_gain`` turns any ``gain=`` argument (a number, one of those names, or
a ``(name, param)`` pair) into a float.
"""

from __future__ import annotations

import math
from typing import Any

from . import _validation as check

__all__ = ["calculate_gain", "resolve_gain", "GAIN_NAMES", "GainLike"]

#: A ``gain=`` argument: a number, a nonlinearity name, or a (name, param) pair.
GainLike = float | str | tuple[str, float]

_UNIT_GAIN = (
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
GAIN_NAMES = _UNIT_GAIN + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (torch's table, exactly).

    ========================  =================================
    nonlinearity              gain
    ========================  =================================
    linear, conv*, sigmoid    1
    tanh                      5/3
    relu                      sqrt(2)
    leaky_relu                sqrt(2 / (1 + negative_slope**2))
    selu                      3/4
    ========================  =================================

    Parameters
    ----------
    nonlinearity : str
        One of the names above.
    param : float, optional
        The negative slope of ``leaky_relu`` (default 0.01); ignored otherwise.

    The gain multiplies the standard deviation. ReLU's sqrt(2) keeps the
    second moment of pre-activations constant through the layers (He et al.
    2015); tanh's 5/3 and selu's 3/4 are empirical (torch PR #50664: prefer
    ``'linear'`` for self-normalising networks).

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.calculate_gain("relu")
    1.4142135623730951
    >>> round(wi.calculate_gain("leaky_relu", 0.2), 6)
    1.38675
    """
    # torch's messages and its int 1 for the unit gains, value for value.
    if nonlinearity in _UNIT_GAIN:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        else:
            try:  # a number or a 0-d real array (numpy, torch, JAX); never a bool
                slope = check.real(param, "negative_slope")
            except (TypeError, OverflowError):  # OverflowError: an int beyond the float range
                raise ValueError(f"negative_slope {param} not a valid number") from None
            if math.isnan(slope):
                raise ValueError(f"negative_slope {param} not a valid number")
        try:
            return math.sqrt(2.0 / (1 + slope**2))  # torch's formula, bit for bit
        except OverflowError:  # slope**2 beyond the float range (|slope| > 1.3e154)
            return math.sqrt(2.0) / abs(slope)
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"Unsupported nonlinearity {nonlinearity!r}; use one of {', '.join(GAIN_NAMES)}"
    )


def resolve_gain(gain: Any, name: str = "gain") -> float:
    """A float from a ``gain=`` argument.

    Accepts a finite real number, a nonlinearity name understood by
    :func:`calculate_gain` (``'relu'`` gives sqrt(2), as in Lasagne), or a pair
    ``(name, param)`` such as ``("leaky_relu", 0.2)``.

    Examples
    --------
    >>> from weightinit.gains import resolve_gain
    >>> resolve_gain("relu") == 2 ** 0.5
    True
    >>> resolve_gain(0.5)
    0.5
    """
    if isinstance(gain, str) or (
        isinstance(gain, tuple) and len(gain) == 2 and isinstance(gain[0], str)
    ):
        nonlinearity, param = (gain, None) if isinstance(gain, str) else gain
        try:
            return float(calculate_gain(nonlinearity, param))
        except ValueError as e:
            raise ValueError(f"{name}={gain!r}: {e}") from None
    try:
        return check.finite(gain, name)
    except TypeError:
        raise TypeError(
            f"{name} must be a real number, a nonlinearity name or a (name, param) pair, "
            f"got {gain!r}"
        ) from None
