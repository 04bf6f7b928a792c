"""Layer-sequential unit-variance (LSUV) initialization of the diagnostics' numpy stacks.

Mishkin & Matas (2016), "All you need is a good init", Algorithm 1: draw
orthonormal weights (Saxe et al. 2014), then, layer by layer in forward
order, divide the layer's weights by the standard deviation of its output
on a batch until that variance is within 1 +- tol (at most ``max_iter``
rescalings per layer). docs/diagnostics.md shows it next to the
data-independent initializers.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..orthogonal import Orthogonal
from ._activations import Activation, get_activation
from ._propagation import _dtype, _prepare_inputs, _stream_rng, check_widths, weight_stream

Array = np.ndarray[Any, np.dtype[Any]]


def check_lsuv_args(tol: Any, max_iter: Any) -> tuple[float, int]:
    """``(tol, max_iter)`` checked: 0 < tol < 1 and max_iter a positive int."""
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a number, got {tol!r}")
    if not 0 < float(tol) < 1:
        raise ValueError(f"tol must be in (0, 1), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive int, got {max_iter!r}")
    return float(tol), int(max_iter)


@dataclass(frozen=True)
class LSUV:
    """LSUV as an "initializer" for :func:`~weightinit.diagnostics.propagate` and the demo.

    It is data-dependent: ``propagate`` fits it to the inputs it sends
    through the stack (see :func:`lsuv`).
    """

    tol: float = 0.1
    max_iter: int = 10

    def __post_init__(self) -> None:
        check_lsuv_args(self.tol, self.max_iter)

    def __repr__(self) -> str:
        return f"LSUV(tol={self.tol:g})"

    def fit(
        self, widths: Any, activation: str | Activation, inputs: Any, *, dtype: Any, rng: Any
    ) -> list[Array]:
        """The stack's weights fitted to ``inputs``: :func:`lsuv` with this tol and max_iter."""
        return lsuv(
            widths,
            activation,
            inputs,
            tol=self.tol,
            max_iter=self.max_iter,
            dtype=dtype,
            rng=rng,
        )


def lsuv(
    widths: Any,
    activation: str | Activation,
    inputs: Any,
    *,
    tol: float = 0.1,
    max_iter: int = 10,
    dtype: Any = "float32",
    rng: Any = 0,
    negative_slope: float = 0.01,
) -> list[Array]:
    """LSUV weights for the fully connected stack of :func:`propagate`.

    Parameters
    ----------
    widths : sequence of int
        (n_0, n_1, ..., n_L), as in :func:`propagate`.
    activation : str or Activation
    inputs : array of shape (batch, n_0)
        The batch whose layer outputs are scaled to unit variance.
    tol : float
        Each layer's output variance Var(z_l) ends within 1 +- tol.
    max_iter : int
        Rescalings per layer at most; a layer still outside the band after
        them keeps its last scale (the function never loops forever).
    dtype : float32 or float64
    rng : seed, Generator or None
        Seed of the orthonormal pre-initialization; layer l is drawn with
        ``stream=f"layer{l}.W"``, the stream :func:`propagate` uses.

    Returns
    -------
    list of ndarray
        One ``(n_{l-1}, n_l)`` weight matrix per layer (Lasagne layout,
        z_l = a_{l-1} W_l, zero biases).

    Examples
    --------
    >>> import numpy as np
    >>> from weightinit.diagnostics import lsuv
    >>> x = np.random.default_rng(0).normal(size=(256, 64))
    >>> ws = lsuv([64] + [64] * 5, "tanh", x, rng=0)
    >>> z = np.tanh(x @ ws[0]) @ ws[1]
    >>> bool(abs(z.var() - 1) <= 0.1)
    True
    """
    widths = check_widths(widths)
    act = get_activation(activation, negative_slope)
    tol, max_iter = check_lsuv_args(tol, max_iter)
    dt = _dtype(dtype)
    if inputs is None:
        raise ValueError("lsuv needs inputs: a (batch, n_0) array to scale the layers on")
    x = _prepare_inputs(inputs, widths, None, dt, None)
    gen = _stream_rng(rng)
    ortho = Orthogonal()
    weights: list[Array] = []
    a = x
    for i in range(len(widths) - 1):
        w = ortho.sample((widths[i], widths[i + 1]), dtype=dt, rng=gen, stream=weight_stream(i + 1))
        z = a @ w
        for _ in range(max_iter):
            var = float(z.var(dtype=np.float64))
            if abs(var - 1.0) <= tol or not var > 0 or not math.isfinite(var):
                break
            scale = dt.type(1.0 / math.sqrt(var))
            w *= scale
            z = a @ w
        weights.append(w)
        a = act(z)
    return weights
