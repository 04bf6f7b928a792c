"""What the variance recursion predicts, layer by layer.

For a fully connected layer z_l = a_{l-1} W_l with independent zero-mean
weights of variance Var(w_l) (LeCun et al. 1998; Glorot & Bengio 2010, eqs.
5-7; He et al. 2015, eqs. 7-14):

    forward    q_l     = fan_in_l  * Var(w_l) * E[a_{l-1}^2],   a_l = f(z_l), z_l ~ N(0, q_l)
    backward   Var(dC/da_{l-1}) = fan_out_l * Var(w_l) * E[f'(z_l)^2] * Var(dC/da_l)
    weights    Var(dC/dW_l) = E[a_{l-1}^2] * Var(dC/dz_l)        (per example)

E[f(z)^2] and E[f'(z)^2] are closed forms for linear (q, 1), ReLU (q/2, 1/2)
and leaky ReLU ((1+s^2) q/2, (1+s^2)/2); for the smooth functions they are
Gaussian integrals (the mean-field approximation of Poole et al. 2016),
evaluated here by quadrature. The predictions hold for wide layers; where the
measured numbers leave them (narrow layers, deep saturation, correlated
inputs) is itself the diagnostic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._activations import Activation

#: Per-layer tables: numpy record arrays, one field per quantity (``layers.pre_var``).
Records = np.recarray[Any, np.dtype[np.record]]

# Trapezoid rule on t in [-10, 10] (the Gaussian tail beyond is < 1e-22);
# h = 0.005 keeps the error below 1e-5 even at SELU's kink.
_T = np.linspace(-10.0, 10.0, 4001)
_W = np.exp(-0.5 * _T * _T) / math.sqrt(2 * math.pi) * (_T[1] - _T[0])

PREDICTION_FIELDS = (
    "layer",
    "fan_in",
    "fan_out",
    "weight_var",
    "pre_var",
    "act_mean",
    "act_var",
    "act_second_moment",
    "mean_derivative",
    "saturated",
    "inactive",
    "grad_act_var",
    "grad_pre_var",
    "weight_grad_var",
    "forward_gain",
    "backward_gain",
)


def gaussian_moments(activation: Activation, q: float) -> dict[str, float]:
    """E[f(z)], E[f(z)^2], E[f'(z)], E[f'(z)^2] and saturated/inactive fractions for z ~ N(0, q)."""
    name, s = activation.name, activation.negative_slope
    if name == "linear":
        m = dict(mean=0.0, second=q, dmean=1.0, d2=1.0)
    elif name in ("relu", "leaky_relu"):
        s = 0.0 if name == "relu" else s
        m = dict(
            mean=(1 - s) * math.sqrt(q / (2 * math.pi)),
            second=(1 + s * s) * q / 2,
            dmean=(1 + s) / 2,
            d2=(1 + s * s) / 2,
        )
    else:
        z = math.sqrt(q) * _T
        f, d = activation(z), activation.derivative(z)
        m = dict(
            mean=float(_W @ f),
            second=float(_W @ (f * f)),
            dmean=float(_W @ d),
            d2=float(_W @ (d * d)),
        )
    thr = activation.saturation_threshold
    m["saturated"] = (
        math.nan if thr is None else (math.erfc(thr / math.sqrt(2 * q)) if q > 0 else 0.0)
    )
    m["inactive"] = 0.5 if activation.rectifier else math.nan
    return m


@dataclass(frozen=True)
class Prediction:
    """Per-layer predictions of :func:`weightinit.diagnostics.predict`.

    Attributes
    ----------
    activation : str
    widths : tuple of int
    layers : numpy record array
        One row per layer, fields ``PREDICTION_FIELDS``: ``pre_var`` = q_l,
        ``act_*`` moments of a_l = f(z_l), ``grad_act_var`` = Var(dC/da_l),
        ``grad_pre_var`` = Var(dC/dz_l), ``weight_grad_var`` = Var(dC/dW_l)
        per example, ``forward_gain`` = q_l / q_{l-1} (q_0 = E[x^2]) and
        ``backward_gain`` = Var(dC/da_{l-1}) / Var(dC/da_l).
    input_grad_var : float
        Var(dC/dx), the gradient that reaches the inputs.
    """

    activation: str
    widths: tuple[int, ...]
    layers: Records
    input_grad_var: float

    def __getitem__(self, field: str) -> Any:
        return self.layers[field]


def predict_from_weight_var(
    weight_var: Sequence[float],
    widths: Sequence[int],
    activation: Activation,
    input_second_moment: float = 1.0,
    output_grad_var: float = 1.0,
) -> Prediction:
    """The recursion for given per-layer weight variances (validated by the caller)."""
    n_layers = len(widths) - 1
    rows = np.zeros(
        n_layers,
        dtype=[
            (f, "i8" if f in ("layer", "fan_in", "fan_out") else "f8") for f in PREDICTION_FIELDS
        ],
    ).view(np.recarray)
    q_prev, m_prev = input_second_moment, input_second_moment
    moments = []
    for i in range(n_layers):
        fan_in, fan_out, v = widths[i], widths[i + 1], weight_var[i]
        q = fan_in * v * m_prev
        m = gaussian_moments(activation, q)
        moments.append(m)
        r = rows[i]
        r.layer, r.fan_in, r.fan_out, r.weight_var = i + 1, fan_in, fan_out, v
        r.pre_var, r.act_mean = q, m["mean"]
        r.act_second_moment, r.act_var = m["second"], max(m["second"] - m["mean"] ** 2, 0.0)
        r.mean_derivative, r.saturated, r.inactive = m["dmean"], m["saturated"], m["inactive"]
        r.forward_gain = q / q_prev if q_prev > 0 else math.nan
        q_prev, m_prev = q, m["second"]
    g = output_grad_var
    for i in reversed(range(n_layers)):
        r = rows[i]
        r.grad_act_var = g
        r.grad_pre_var = moments[i]["d2"] * g
        r.weight_grad_var = (
            rows[i - 1].act_second_moment if i else input_second_moment
        ) * r.grad_pre_var
        r.backward_gain = r.fan_out * r.weight_var * moments[i]["d2"]
        g = r.backward_gain * g
    return Prediction(activation.name, tuple(widths), rows, float(g))
