"""Forward and backward passes through a randomly initialized stack, in numpy."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _rng
from .. import random as _random
from .._errors import ShapeError
from ._activations import Activation, get_activation
from ._theory import PREDICTION_FIELDS, Prediction, Records, predict_from_weight_var

Array = np.ndarray[Any, np.dtype[Any]]

MEASURED_FIELDS = (
    "layer",
    "fan_in",
    "fan_out",
    "weight_var",
    "pre_mean",
    "pre_var",
    "act_mean",
    "act_var",
    "mean_derivative",
    "saturated",
    "inactive",
    "dead",
    "grad_act_var",
    "grad_pre_var",
    "weight_grad_var",
)
_INT_FIELDS = ("layer", "fan_in", "fan_out")
# Predicted columns joined to the measured ones by to_records() / to_dict().
_PRED_COLUMNS = tuple(f for f in PREDICTION_FIELDS if f not in _INT_FIELDS + ("weight_var",))

INPUT_STREAM = "diagnostics.inputs"
OUTPUT_GRAD_STREAM = "diagnostics.output_grad"


def weight_stream(layer: int) -> str:
    """Stream name of layer ``layer``'s weights (1-based), as ``propagate`` draws them."""
    return f"layer{layer}.W"


def _fmt(x: Any) -> str:
    return "-" if isinstance(x, float) and math.isnan(x) else f"{x:.3g}"


@dataclass(frozen=True)
class Propagation:
    """Per-layer statistics measured by :func:`propagate`, with the predictions beside them.

    Attributes
    ----------
    label : str
        The initializer (its repr, or the ``label=`` given).
    activation : str
    widths : tuple of int
        (n_0, n_1, ..., n_L): inputs, then the width of each layer.
    batch : int
        Number of input examples.
    dtype : str
    saturation_threshold : float or None
        |pre-activation| beyond which a unit counts as saturated.
    layers : numpy record array
        One row per layer with the fields in ``MEASURED_FIELDS``; moments are
        taken over all (example, unit) pairs of the layer, as in a histogram
        of its values. ``grad_act_var`` = Var(dC/da_l), ``grad_pre_var`` =
        Var(dC/dz_l), ``weight_grad_var`` = Var of the per-example weight
        gradient dC/dW_l = a_{l-1}^T dC/dz_l; ``inactive`` = fraction of
        (example, unit) with z <= 0 and ``dead`` = fraction of units with
        z <= 0 on every example (rectifiers only, NaN otherwise).
    predicted : Prediction
        :func:`predict` for the same weights, input second moment and output
        gradient (``predicted.layers`` has the fields ``PREDICTION_FIELDS``).
    input_var, input_second_moment, output_grad_var, input_grad_var : float
        Var(x), E[x^2], Var(dC/da_L) and Var(dC/dx).
    act_samples : ndarray, shape (L, k)
        The first k activation values of each layer, for histograms.
    """

    label: str
    activation: str
    widths: tuple[int, ...]
    batch: int
    dtype: str
    saturation_threshold: float | None
    layers: Records
    predicted: Prediction
    input_var: float
    input_second_moment: float
    output_grad_var: float
    input_grad_var: float
    act_samples: Array = field(repr=False)

    def __getitem__(self, name: str) -> Any:
        return self.layers[name]

    @property
    def depth(self) -> int:
        return len(self.widths) - 1

    def to_records(self) -> Records:
        """Measured fields plus ``pred_<field>`` predicted ones, as a numpy record array."""
        dt: list[tuple[str, Any]] = [(f, self.layers.dtype[f]) for f in MEASURED_FIELDS]
        dt += [("pred_" + f, "f8") for f in _PRED_COLUMNS]
        out: Records = np.zeros(self.depth, dtype=dt).view(np.recarray)
        for f in MEASURED_FIELDS:
            out[f] = self.layers[f]
        for f in _PRED_COLUMNS:
            out["pred_" + f] = self.predicted.layers[f]
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain Python types only: metadata plus ``layers``, a dict of columns (lists).

        ``pandas.DataFrame(result.to_dict()["layers"])`` gives one row per layer.
        """
        rec = self.to_records()
        layers = {name: rec[name].tolist() for name in rec.dtype.names or ()}
        return dict(
            label=self.label,
            activation=self.activation,
            widths=list(self.widths),
            batch=self.batch,
            dtype=self.dtype,
            saturation_threshold=self.saturation_threshold,
            input_var=self.input_var,
            input_second_moment=self.input_second_moment,
            output_grad_var=self.output_grad_var,
            input_grad_var=self.input_grad_var,
            predicted_input_grad_var=self.predicted.input_grad_var,
            layers=layers,
        )

    def __str__(self) -> str:
        m: Any = self.layers  # record arrays: fields by attribute
        p: Any = self.predicted.layers
        rect = self.activation in ("relu", "leaky_relu")
        sat_head = "dead%" if rect else "sat%"
        head = (
            "layer",
            "fan_in",
            "fan_out",
            "Var(z)",
            "pred",
            "Var(a)",
            "pred",
            sat_head,
            "E[f']",
            "Var(dC/da)",
            "pred",
            "Var(dC/dW)",
            "pred",
        )
        rows = []
        for i in range(self.depth):
            sat = m.dead[i] if rect else m.saturated[i]
            rows.append(
                (
                    str(m.layer[i]),
                    str(m.fan_in[i]),
                    str(m.fan_out[i]),
                    _fmt(m.pre_var[i]),
                    _fmt(p.pre_var[i]),
                    _fmt(m.act_var[i]),
                    _fmt(p.act_var[i]),
                    _fmt(100 * sat),
                    _fmt(m.mean_derivative[i]),
                    _fmt(m.grad_act_var[i]),
                    _fmt(p.grad_act_var[i]),
                    _fmt(m.weight_grad_var[i]),
                    _fmt(p.weight_grad_var[i]),
                )
            )
        widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(head)]

        def line(cells: Sequence[str]) -> str:
            return "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))

        title = (
            f"{self.label} | {self.activation} | widths {_widths_text(self.widths)} | "
            f"batch {self.batch} {self.dtype}"
        )
        foot = (
            f"Var(x) {_fmt(self.input_var)}, Var(dC/dx) {_fmt(self.input_grad_var)} "
            f"(pred {_fmt(self.predicted.input_grad_var)}), "
            f"Var(dC/da_L) {_fmt(self.output_grad_var)}"
        )
        if self.saturation_threshold is not None:
            foot += f"; saturated: |z| > {self.saturation_threshold:.3g}"
        return "\n".join([title, line(head), *map(line, rows), foot])


def _widths_text(widths: Sequence[int]) -> str:
    w = list(widths)
    hidden = w[1:]
    if len(set(hidden)) == 1 and len(hidden) > 1:
        return f"{w[0]}-{hidden[0]}x{len(hidden)}"
    return "-".join(map(str, w))


def check_widths(widths: Any) -> tuple[int, ...]:
    """(n_0, ..., n_L) as a tuple of positive ints, or a ValueError naming the bad entry."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"widths must be a sequence of ints (n_0, n_1, ..., n_L), got {widths!r}")
    widths = tuple(widths)
    if len(widths) < 2:
        raise ValueError(f"widths needs the input width and at least one layer, got {widths!r}")
    for i, w in enumerate(widths):
        if isinstance(w, bool) or not isinstance(w, numbers.Integral):
            raise TypeError(f"widths[{i}] must be an int, got {w!r}")
        if w <= 0:
            raise ValueError(f"widths[{i}] must be positive, got {w}")
    return tuple(int(w) for w in widths)


def _data_dependent(initializer: Any) -> bool:
    """An initializer fitted to the inputs, such as LSUV: its
    ``fit(widths, activation, inputs, *, dtype, rng)`` returns every layer's weights."""
    return callable(getattr(initializer, "fit", None)) and not hasattr(initializer, "sample")


def resolve_initializer(initializer: Any) -> Any:
    """An object with ``sample`` or a callable ``f(shape)``; a name goes through ``get``."""
    if isinstance(initializer, str):
        from ..lookup import get

        try:
            return get(initializer)
        except (KeyError, ValueError) as e:
            raise ValueError(f"unknown initializer {initializer!r}: {e}") from None
    if _data_dependent(initializer) or hasattr(initializer, "sample") or callable(initializer):
        return initializer
    raise TypeError(
        f"initializer must be an initializer, a callable f(shape) or a name, got {initializer!r}"
    )


def _stream_rng(rng: Any) -> _rng.Generator | int:
    # With explicit streams an int seed or a Generator is stateless; anything
    # else (None, numpy generators) is turned into one Generator once, so that
    # all layers of one call share its key.
    if rng is None:
        return _rng.global_generator()
    if isinstance(rng, _rng.Generator) or (
        isinstance(rng, numbers.Integral) and not isinstance(rng, bool)
    ):
        return rng if isinstance(rng, _rng.Generator) else int(rng)
    return _rng.as_generator(rng)


def draw_weights(
    initializer: Any, shape: tuple[int, ...], dtype: Any, rng: Any, stream: int | str
) -> Array:
    """One weight array from ``initializer``, reproducibly when it takes ``rng``/``stream``."""
    if hasattr(initializer, "sample"):
        drawn = initializer.sample(shape, dtype=dtype, rng=rng, stream=stream)
    else:  # a plain callable f(shape): Lasagne's contract, with its own randomness
        drawn = initializer(shape)
    w: Array = np.asarray(drawn, dtype=dtype)
    if w.shape != tuple(shape):
        raise ShapeError(f"initializer returned shape {w.shape} for requested shape {shape}")
    if not np.isfinite(w).all():
        raise ValueError(f"initializer returned non-finite weights for shape {shape}")
    return w


def _prepare_inputs(
    inputs: Any, widths: tuple[int, ...], batch: Any, dtype: np.dtype[Any], rng: Any
) -> Array:
    if inputs is None:
        if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 2:
            raise ValueError(f"batch must be an int >= 2, got {batch!r}")
        return _random.normal((int(batch), widths[0]), dtype=dtype, rng=rng, stream=INPUT_STREAM)
    x: Array = np.asarray(inputs)
    if x.ndim != 2:
        raise ShapeError(
            f"inputs must be 2-D (examples, features), got an array of shape {x.shape}"
        )
    if x.shape[1] != widths[0]:
        raise ShapeError(f"inputs have {x.shape[1]} features but widths[0] is {widths[0]}")
    if x.shape[0] < 2:
        raise ValueError(f"inputs need at least 2 examples, got {x.shape[0]}")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise TypeError(f"inputs must be real numbers, got dtype {x.dtype}")
    x = x.astype(dtype, copy=False)
    if not np.isfinite(x).all():
        raise ValueError("inputs contain NaN or infinity")
    return x


def _dtype(dtype: Any) -> np.dtype[Any]:
    dt: np.dtype[Any] = np.dtype(dtype)
    if dt not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def propagate(
    initializer: Any,
    widths: Sequence[int],
    activation: str | Activation = "tanh",
    inputs: Any = None,
    *,
    batch: int = 1024,
    dtype: Any = "float32",
    rng: Any = 0,
    negative_slope: float = 0.01,
    saturation_threshold: float | None = None,
    label: str | None = None,
    keep_samples: int = 4096,
) -> Propagation:
    """Send signals forward and gradients backward through a freshly initialized stack.

    The stack is fully connected, with Lasagne's weight layout ``(fan_in, fan_out)``
    and zero biases: z_l = a_{l-1} W_l, a_l = f(z_l), a_0 = x. The backward pass
    starts from a random output gradient dC/da_L ~ N(0, 1) and applies
    dC/dz_l = dC/da_l * f'(z_l), dC/da_{l-1} = dC/dz_l W_l^T,
    dC/dW_l = a_{l-1}^T dC/dz_l (per example). Theory (see :func:`predict`):

        Var(z_l) ~ fan_in * Var(w) * E[a_{l-1}^2],
        Var(dC/da_{l-1}) ~ fan_out * Var(w) * E[f'(z_l)^2] * Var(dC/da_l).

    Parameters
    ----------
    initializer : initializer, callable, str or LSUV
        Anything with ``sample(shape, dtype=, rng=, stream=)`` (every weightinit
        initializer), a plain callable ``f(shape)``, a name for ``weightinit.get``,
        or :class:`LSUV` (fitted to ``inputs``: see :func:`lsuv`).
        Layer l's weights are drawn with ``stream=f"layer{l}.W"``, so two
        initializers compared with the same ``rng`` share their random numbers.
    widths : sequence of int
        (n_0, n_1, ..., n_L): the number of input features, then each layer's width.
    activation : str
        linear, tanh, sigmoid, relu, leaky_relu, selu or gelu (tanh form);
        Lasagne's names (rectify, leaky_rectify, ...) work too.
    inputs : array of shape (batch, n_0), optional
        Default: ``batch`` examples of N(0, 1) noise (stream ``"diagnostics.inputs"``).
    batch : int
        Number of examples when ``inputs`` is not given.
    dtype : float32 or float64
        Dtype of the passes; statistics are accumulated in float64.
    rng : int, weightinit.Generator, numpy generator or None
        Seed of weights, inputs and output gradient (default 0: reproducible).
    negative_slope : float
        Leaky ReLU's slope for z < 0.
    saturation_threshold : float, optional
        |z| beyond which a unit is saturated. Default for tanh 1.818 and for the
        logistic sigmoid 3.637, where the derivative falls to 1/10 of its peak;
        for other activations no saturation is counted unless this is given.
    label : str, optional
        Name shown in tables and plots (default: ``repr(initializer)``).
    keep_samples : int
        Activation values kept per layer for histograms.

    Returns
    -------
    Propagation
        Prints as a table (measured next to predicted); ``to_records()``,
        ``to_dict()``.

    Examples
    --------
    >>> import weightinit as wi
    >>> from weightinit.diagnostics import propagate
    >>> r = propagate(wi.HeNormal(gain="relu"), [512] * 11, "relu", batch=512, rng=5)
    >>> ratio = r.layers.pre_var / r.layers.pre_var[0]  # He: stays within a factor 2
    >>> bool(((0.5 < ratio) & (ratio < 2)).all())
    True
    >>> print(r)  # doctest: +ELLIPSIS
    HeNormal(gain='relu', c01b=False) | relu | widths 512-512x10 | batch 512 float32
    layer  fan_in  fan_out  Var(z)  pred  Var(a) ...
    """
    widths = check_widths(widths)
    act = get_activation(activation, negative_slope)
    dt = _dtype(dtype)
    init = resolve_initializer(initializer)
    rng = _stream_rng(rng)
    if saturation_threshold is None:
        thr = act.saturation_threshold
    else:
        thr = float(saturation_threshold)
        if not thr > 0 or not math.isfinite(thr):
            raise ValueError(f"saturation_threshold must be positive, got {saturation_threshold!r}")
    x = _prepare_inputs(inputs, widths, batch, dt, rng)
    n_batch = x.shape[0]
    if _data_dependent(init):  # LSUV: fitted to the inputs sent through
        weights = list(init.fit(widths, act, x, dtype=dt, rng=rng))
    else:
        weights = [
            draw_weights(init, (widths[i], widths[i + 1]), dt, rng, weight_stream(i + 1))
            for i in range(len(widths) - 1)
        ]
    grad_out = _random.normal((n_batch, widths[-1]), dtype=dt, rng=rng, stream=OUTPUT_GRAD_STREAM)
    return _run(
        init if label is None else label,
        act,
        thr,
        widths,
        x,
        weights,
        grad_out,
        keep_samples,
        label is not None,
    )


def _run(
    init_or_label: Any,
    act: Activation,
    thr: float | None,
    widths: tuple[int, ...],
    x: Array,
    weights: list[Array],
    grad_out: Array,
    keep_samples: int,
    has_label: bool,
) -> Propagation:
    n_layers, n_batch = len(weights), x.shape[0]
    rows: Any = np.zeros(
        n_layers, dtype=[(f, "i8" if f in _INT_FIELDS else "f8") for f in MEASURED_FIELDS]
    ).view(np.recarray)
    keep = int(keep_samples)
    samples = np.empty((n_layers, min(keep, n_batch * max(widths[1:]))), dtype=x.dtype)
    samples.fill(np.nan)
    f64 = np.float64
    # Per-example sums of a_{l-1} and a_{l-1}^2 are all the weight-gradient
    # statistics need (see below), so the activations need not be kept.
    a_sum, a_sq = [], []
    derivs: list[Array | None] = []
    a = x
    for i, w in enumerate(weights):
        a_sum.append(a.sum(axis=1, dtype=f64))
        a_sq.append(np.einsum("ij,ij->i", a, a, dtype=f64))
        z = a @ w
        r = rows[i]
        r.layer, r.fan_in, r.fan_out = i + 1, w.shape[0], w.shape[1]
        r.weight_var = np.mean(np.square(w, dtype=f64))  # E[w^2]: what enters Var(z)
        r.pre_mean, r.pre_var = z.mean(dtype=f64), z.var(dtype=f64)
        r.saturated = np.mean(np.abs(z) > thr) if thr is not None else math.nan
        if act.rectifier:
            off = z <= 0
            r.inactive, r.dead = off.mean(), off.all(axis=0).mean()
        else:
            r.inactive = r.dead = math.nan
        d = act.derivative(z)
        r.mean_derivative = d.mean(dtype=f64)
        derivs.append(d)
        a = act(z)
        del z
        r.act_mean, r.act_var = a.mean(dtype=f64), a.var(dtype=f64)
        flat = a.reshape(-1)[: samples.shape[1]]
        samples[i, : flat.size] = flat
    g = grad_out
    for i in reversed(range(n_layers)):
        r = rows[i]
        r.grad_act_var = g.var(dtype=f64)
        delta = g * derivs[i]
        derivs[i] = None
        r.grad_pre_var = delta.var(dtype=f64)
        # The per-example gradient dC/dW_l[b, i, j] = a[b, i] * delta[b, j]: its mean and
        # mean square over (b, i, j) factor into per-example sums, O(batch * width)
        # instead of materialising batch * fan_in * fan_out numbers.
        d_sum = delta.sum(axis=1, dtype=f64)
        d_sq = np.einsum("ij,ij->i", delta, delta, dtype=f64)
        count = n_batch * r.fan_in * r.fan_out
        mean = float(a_sum[i] @ d_sum) / count
        r.weight_grad_var = max(float(a_sq[i] @ d_sq) / count - mean * mean, 0.0)
        g = delta @ weights[i].T
    label = init_or_label if has_label else repr(init_or_label)
    m0 = float(np.mean(np.square(x, dtype=f64)))
    g_out = float(np.mean(np.square(grad_out, dtype=f64)))
    predicted = predict_from_weight_var(rows.weight_var, widths, act, m0, g_out)
    return Propagation(
        label=str(label),
        activation=act.name,
        widths=widths,
        batch=n_batch,
        dtype=str(x.dtype),
        saturation_threshold=thr,
        layers=rows,
        predicted=predicted,
        input_var=float(x.var(dtype=f64)),
        input_second_moment=m0,
        output_grad_var=float(grad_out.var(dtype=f64)),
        input_grad_var=float(g.var(dtype=f64)),
        act_samples=samples,
    )


def predict(
    initializer: Any,
    widths: Sequence[int],
    activation: str | Activation = "tanh",
    *,
    input_second_moment: float = 1.0,
    output_grad_var: float = 1.0,
    dtype: Any = "float64",
    rng: Any = 0,
    negative_slope: float = 0.01,
) -> Prediction:
    """The per-layer variances the theory predicts for a fully connected stack.

    Forward, for zero-mean weights of variance Var(w_l) and z_l ~ N(0, q_l)::

        q_l = fan_in_l * Var(w_l) * E[f(z_{l-1})^2]         (q_0 term: E[x^2])

    so for linear units q_l = (n Var(w))^l E[x^2] (LeCun 1998, Glorot &
    Bengio 2010 eq. 5) and for ReLU q_l = (n Var(w) / 2)^l ... (He et al.
    2015 eq. 10): Var(w) = 1/fan_in resp. 2/fan_in keep q_l constant.
    Backward::

        Var(dC/da_{l-1}) = fan_out_l * Var(w_l) * E[f'(z_l)^2] * Var(dC/da_l)

    The per-layer factors are returned as ``forward_gain`` and
    ``backward_gain``; 1 means the signal neither vanishes nor explodes.
    Linear, relu and leaky_relu use closed forms; tanh, sigmoid, selu and gelu
    the Gaussian (mean-field) integrals, accurate while pre-activations are
    near Gaussian (wide layers).

    Parameters
    ----------
    initializer : float, sequence of float, or initializer
        Var(w) for every layer, Var(w_l) per layer, or an initializer whose
        weights are drawn as :func:`propagate` draws them (same ``rng`` and
        streams), Var(w_l) being their mean square.
    widths : sequence of int
        (n_0, n_1, ..., n_L).
    activation : str
    input_second_moment : float
        E[x^2] of the inputs (1 for standardized data).
    output_grad_var : float
        Var(dC/da_L).

    Returns
    -------
    Prediction
        ``.layers`` record array with the fields in ``PREDICTION_FIELDS``.

    Examples
    --------
    >>> from weightinit.diagnostics import predict
    >>> p = predict(2 / 512, [512] * 11, "relu")          # He: Var(w) = 2 / fan_in
    >>> [round(float(g), 3) for g in p.layers.backward_gain[:3]]
    [1.0, 1.0, 1.0]
    >>> float(predict(1e-4, [512] * 11, "linear").layers.pre_var[-1]) < 1e-12   # Normal(0.01)
    True
    """
    widths = check_widths(widths)
    act = get_activation(activation, negative_slope)
    n_layers = len(widths) - 1
    m0 = _nonneg(input_second_moment, "input_second_moment")
    g0 = _nonneg(output_grad_var, "output_grad_var")
    if isinstance(initializer, numbers.Real) and not isinstance(initializer, bool):
        weight_var = [_nonneg(initializer, "weight variance")] * n_layers
    elif isinstance(initializer, (list, tuple, np.ndarray)) and all(
        isinstance(v, numbers.Real) for v in np.ravel(initializer)
    ):
        weight_var = [_nonneg(v, "weight variance") for v in np.ravel(initializer)]
        if len(weight_var) != n_layers:
            raise ValueError(f"got {len(weight_var)} weight variances for {n_layers} layers")
    else:
        init, dt, rng = resolve_initializer(initializer), _dtype(dtype), _stream_rng(rng)
        if _data_dependent(init):
            raise ValueError(
                f"initializer {init!r} depends on data: use propagate(LSUV(), ..., inputs) "
                "(its .predicted holds the prediction for the fitted weights)"
            )
        weight_var = [
            float(
                np.mean(
                    np.square(
                        draw_weights(
                            init, (widths[i], widths[i + 1]), dt, rng, weight_stream(i + 1)
                        ),
                        dtype=np.float64,
                    )
                )
            )
            for i in range(n_layers)
        ]
    return predict_from_weight_var(weight_var, widths, act, m0, g0)


def _nonneg(x: Any, name: str) -> float:
    v = float(x)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {x!r}")
    return v
