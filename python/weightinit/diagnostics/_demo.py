"""The ``weightinit demo`` experiment: several initializers x activations on one deep stack."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import random as _random
from .._errors import ShapeError
from ._activations import get_activation
from ._lsuv import LSUV
from ._propagation import Propagation, propagate, resolve_initializer

DEFAULT_ACTIVATIONS = ("tanh", "sigmoid", "relu")
# Every initializer the demo knows, for --inits and the docs.
DEFAULT_INITS = (
    "normal",
    "fan_in_uniform",
    "glorot",
    "glorot_tanh",
    "glorot_logistic",
    "he",
    "orthogonal",
    "orthogonal_relu",
    "lsuv",
)
# The naive initializers every activation is run with, next to its recommended ones.
NAIVE = ("normal", "fan_in_uniform")
# What docs/initializers.md ("Which initializer for which activation") recommends per
# activation: the demo measures whether each recommendation holds on its stack.
RECOMMENDED: dict[str, tuple[str, ...]] = {
    "tanh": ("glorot", "glorot_tanh", "orthogonal"),
    "sigmoid": ("glorot", "glorot_logistic"),
    "relu": ("he", "orthogonal_relu"),
    "leaky_relu": ("he_leaky_relu",),
    "linear": ("glorot", "orthogonal"),
    "selu": ("lecun",),
    "gelu": (),
}
# Shown for an activation the guidance table does not cover, so it is compared with something.
_UNCOVERED = ("he",)

# Demo name -> (label, initializer class name in weightinit.initializers, kwargs).
# He is He *proper* (gain sqrt(2)); Lasagne's HeNormal() alone would be LeCun's 1/fan_in.
_DEMO_INITS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "normal": ("Normal(0.01)", "Normal", {"std": 0.01}),
    "fan_in_uniform": ("U(+-1/sqrt(fan_in))", "FanInUniform", {}),
    "glorot": ("GlorotUniform", "GlorotUniform", {}),
    "glorot_tanh": ("GlorotUniform(gain=5/3)", "GlorotUniform", {"gain": 5 / 3}),
    "glorot_logistic": ("GlorotUniform(gain=4)", "GlorotUniform", {"gain": 4.0}),
    "he": ("HeNormal(relu)", "HeNormal", {"gain": "relu"}),
    "he_leaky_relu": ("HeNormal(leaky_relu)", "HeNormal", {"gain": ("leaky_relu", 0.01)}),
    "lecun": ("LeCunNormal", "LeCunNormal", {}),
    "orthogonal": ("Orthogonal", "Orthogonal", {}),
    "orthogonal_relu": ("Orthogonal(relu)", "Orthogonal", {"gain": "relu"}),
}
# Other spellings; Lasagne/Keras names such as "he_normal" go to weightinit.get instead
# (whose HeNormal has Lasagne's gain 1).
_INIT_ALIASES = {
    "classic": "fan_in_uniform",
    "fan_in": "fan_in_uniform",
    "xavier": "glorot",
    "kaiming": "he",
}

# An initializer "keeps the signal alive" when, over the whole stack, neither the
# activation variance nor the gradient that reaches the inputs changes by more
# than this factor, and at most half of the last layer's units are saturated/dead.
ALIVE_FACTOR = 10.0
ALIVE_SATURATION = 0.5


def demo_initializer(name: str) -> tuple[str, Any]:
    """(label, initializer) for a demo name, or any name ``weightinit.get`` knows."""
    key = name.strip().lower().replace("-", "_")
    key = _INIT_ALIASES.get(key, key)
    if key == "lsuv":
        return "LSUV", LSUV()
    if key in _DEMO_INITS:
        label, cls_name, kwargs = _DEMO_INITS[key]
        import weightinit

        return label, getattr(weightinit, cls_name)(**kwargs)
    try:
        return name, resolve_initializer(name)
    except (KeyError, ValueError):
        pass
    raise ValueError(
        f"unknown initializer {name!r}; use one of {', '.join(DEFAULT_INITS)} "
        "or a name weightinit.get() knows"
    ) from None


def synthetic_inputs(
    n_examples: int, n_features: int, rng: Any = 0, dtype: Any = "float32"
) -> np.ndarray[Any, np.dtype[Any]]:
    """Standardized synthetic data: a few latent factors mixed into many features, plus noise.

    x = z A + 0.5 e with z ~ N(0, I_k) (k = min(16, n_features)), A ~ N(0, 1/k),
    e ~ N(0, I), then each feature is shifted and scaled to mean 0 and
    variance 1 over the examples: correlated like real data, but generated on
    the spot so the demo needs no download.
    """
    k = min(16, n_features)
    z = _random.normal((n_examples, k), rng=rng, stream="demo.latent")
    mixing = _random.normal((k, n_features), std=1 / math.sqrt(k), rng=rng, stream="demo.mixing")
    noise = _random.normal((n_examples, n_features), std=0.5, rng=rng, stream="demo.noise")
    return standardize(z @ mixing + noise).astype(dtype)


def standardize(x: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Per-feature mean 0 and variance 1 (constant features become 0)."""
    a = np.asarray(x, dtype=np.float64)
    sd = a.std(axis=0)
    out: np.ndarray[Any, np.dtype[np.float64]] = (a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return out


def load_data(path: str, standardized: bool = True) -> np.ndarray[Any, np.dtype[Any]]:
    """A user's (examples, features) ``.npy`` array, checked and by default standardized."""
    x = np.load(path, allow_pickle=False)
    if x.ndim != 2:
        raise ShapeError(f"{path}: data must be 2-D (examples, features), got shape {x.shape}")
    if x.shape[0] < 2 or x.shape[1] < 1:
        raise ShapeError(f"{path}: need at least 2 examples and 1 feature, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.iscomplexobj(x):
        raise ValueError(f"{path}: data must be real numbers, got dtype {x.dtype}")
    if not np.isfinite(x).all():
        raise ValueError(f"{path}: data contain NaN or infinity")
    return standardize(x) if standardized else x.astype(np.float64)


@dataclass(frozen=True)
class Summary:
    """What one (activation, initializer) run did to the signal over the whole stack."""

    label: str
    forward: float  # Var(a_L) / Var(a_1)
    backward: float  # Var(dC/dx) / Var(dC/da_L)
    saturated: float  # last layer: saturated fraction (tanh/sigmoid) or dead fraction (relu)
    gain: float  # measured per-layer factor of the gradient variance (geometric mean)
    predicted_gain: float  # fan_out * Var(w) * E[f'(z)^2], geometric mean over layers

    @property
    def alive(self) -> bool:
        return (
            abs(math.log10(self.forward)) <= math.log10(ALIVE_FACTOR)
            and abs(math.log10(self.backward)) <= math.log10(ALIVE_FACTOR)
            and self.saturated <= ALIVE_SATURATION
        )

    @property
    def score(self) -> float:
        # Decades lost or gained, forward plus backward; a fully saturated last layer
        # costs as much as two decades.
        return abs(math.log10(self.forward)) + abs(math.log10(self.backward)) + 2 * self.saturated


def _ratio(num: float, den: float) -> float:
    # Clamp so that a signal that vanished to exactly 0 (or overflowed) still ranks.
    r = num / den if den > 0 else math.inf
    return float(min(max(r, 1e-300), 1e300)) if math.isfinite(r) or r == math.inf else 1e300


def summarize(result: Propagation) -> Summary:
    """Forward and backward change over the stack, last-layer saturation and per-layer gain."""
    m = result.layers
    forward = _ratio(m.act_var[-1], m.act_var[0])
    backward = _ratio(result.input_grad_var, result.output_grad_var)
    sat = m.dead[-1] if result.activation in ("relu", "leaky_relu") else m.saturated[-1]
    gains = result.predicted.layers.backward_gain
    pred = float(np.exp(np.mean(np.log(np.maximum(gains, 1e-300)))))
    return Summary(
        result.label,
        forward,
        backward,
        0.0 if math.isnan(sat) else float(sat),
        backward ** (1 / result.depth),
        pred,
    )


@dataclass(frozen=True)
class DemoResult:
    """All runs of :func:`run_demo`, in (activation, initializer) order."""

    results: tuple[Propagation, ...]
    activations: tuple[str, ...]
    labels: tuple[str, ...]
    layers: int
    width: int
    data: str

    def by_activation(self, activation: str) -> list[Propagation]:
        return [r for r in self.results if r.activation == activation]


def default_inits(activation: str) -> tuple[str, ...]:
    """The demo's initializers for an activation: the naive ones, the recommended ones, LSUV."""
    name = get_activation(activation).name
    return NAIVE + (RECOMMENDED[name] or _UNCOVERED) + ("lsuv",)


def run_demo(
    layers: int = 10,
    width: int = 512,
    activations: Sequence[str] = DEFAULT_ACTIVATIONS,
    inits: Sequence[str] | None = None,
    data: Any = None,
    batch: int = 1024,
    seed: int = 0,
    dtype: Any = "float32",
) -> DemoResult:
    """Run :func:`propagate` for every initializer x activation on one stack.

    Parameters
    ----------
    layers, width : int
        Depth and width of the stack (the input width is the data's).
    activations : sequence of str
    inits : sequence of str, optional
        The same initializers for every activation: demo names
        (``DEFAULT_INITS``: normal, fan_in_uniform, glorot, glorot_tanh,
        glorot_logistic, he, orthogonal, orthogonal_relu, lsuv) or any name
        ``weightinit.get`` knows. Default: per activation, the naive ones
        (Normal(0.01), U(+-1/sqrt(fan_in))), the ones docs/initializers.md
        recommends for it (``RECOMMENDED``) and LSUV.
    data : ndarray (examples, features), optional
        Default: :func:`synthetic_inputs` with ``batch`` examples and ``width`` features.
    """
    for name, v in (("layers", layers), ("width", width), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if batch < 2:
        raise ValueError(f"batch must be at least 2, got {batch}")
    acts = [get_activation(a).name for a in activations]
    if inits is not None:
        inits = list(inits)
        if not inits:
            raise ValueError("need at least one initializer")
    plan = {a: [demo_initializer(n) for n in (inits or default_inits(a))] for a in acts}
    if not acts:
        raise ValueError("need at least one activation")
    if data is None:
        x, source = synthetic_inputs(batch, width, seed, dtype), "synthetic"
    else:
        x, source = np.asarray(data), "user"
        if x.ndim != 2:
            raise ShapeError(f"data must be 2-D (examples, features), got shape {x.shape}")
    widths = (x.shape[1],) + (int(width),) * int(layers)
    results = tuple(
        propagate(init, widths, act, x, dtype=dtype, rng=seed, label=label)
        for act in acts
        for label, init in plan[act]
    )
    labels = tuple(dict.fromkeys(label for act in acts for label, _ in plan[act]))
    return DemoResult(results, tuple(acts), labels, int(layers), int(width), source)


def _short(x: float) -> str:
    if x == 0:
        return "0"
    if 0.01 <= abs(x) < 1000:
        return f"{x:.3g}"
    return f"{x:.0e}".replace("e-0", "e-").replace("e+0", "e+")


def _shown_layers(depth: int, most: int = 10) -> list[int]:
    if depth <= most:
        return list(range(depth))
    return sorted({round(i * (depth - 1) / (most - 1)) for i in range(most)})


def format_table(demo: DemoResult) -> str:
    """Per activation: Var(a_l)/Var(x) by layer, gradient ratio, last-layer saturation, gain."""
    out = []
    for act in demo.activations:
        runs = demo.by_activation(act)
        if not runs:
            continue
        depth = runs[0].depth
        cols = _shown_layers(depth)
        rect = act in ("relu", "leaky_relu")
        sat_name = "dead%" if rect else "sat%"
        thr = runs[0].saturation_threshold
        what = (
            "units with z <= 0 on every example"
            if rect
            else f"|z| > {thr:.3g}, where f' < 1/10 of its peak"
            if thr
            else ""
        )
        out.append(
            f"{act}: Var(a_l)/Var(x) by layer l | grad = Var(dC/dx)/Var(dC/da_L) | "
            f"{sat_name} at layer {depth}: {what} | gain = per-layer gradient factor"
        )
        head = ["init"] + [str(c + 1) for c in cols] + ["grad", sat_name, "gain"]
        rows = []
        for r in runs:
            s = summarize(r)
            ratios = r.layers.act_var / r.input_var
            rows.append(
                [r.label]
                + [_short(ratios[c]) for c in cols]
                + [_short(s.backward), f"{100 * s.saturated:.0f}", f"{s.gain:.2f}"]
            )
        w = [max(len(h), *(len(row[j]) for row in rows)) for j, h in enumerate(head)]
        out += [_aligned(cells, w) for cells in [head, *rows]] + [""]
    return "\n".join(out).rstrip("\n")


def _aligned(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(
        c.ljust(widths[0]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(cells)
    )


def conclusions(demo: DemoResult) -> list[str]:
    """One sentence per activation, computed from the measurements."""
    lines = []
    for act in demo.activations:
        runs = demo.by_activation(act)
        if not runs:
            continue
        summaries = [summarize(r) for r in runs]
        best = min(summaries, key=lambda s: s.score)
        worst = max(summaries, key=lambda s: s.score)
        depth = runs[0].depth
        rect = act in ("relu", "leaky_relu")
        sat_word = "dead" if rect else "saturated"
        detail = (
            f"over {depth} layers the activation variance changes x{_short(best.forward)} "
            f"and the gradient reaching the inputs x{_short(best.backward)}, with "
            f"{100 * best.saturated:.0f}% of the last layer's units {sat_word}"
        )
        why = (
            f"each layer multiplies the gradient variance by {best.gain:.2f} "
            f"(theory: fan_out*Var(w)*E[f'(z)^2] = {best.predicted_gain:.2f})"
        )
        if best.alive:
            head = f"{act}: {best.label} keeps the signal alive: {detail}, because {why}"
        else:
            head = (
                f"{act}: none of these keeps the signal within x{ALIVE_FACTOR:g}; "
                f"{best.label} comes closest: {detail}, because {why}"
            )
        if worst is not best:
            head += (
                f"; {worst.label} is worst (activations x{_short(worst.forward)}, "
                f"gradients x{_short(worst.backward)}, per-layer factor {_short(worst.gain)})"
            )
        lines.append(head + ".")
        guidance = _guidance_sentence(act, runs, summaries)
        if guidance:
            lines.append(guidance)
    return lines


def _label_of(name: str) -> str:
    return demo_initializer(name)[0]


def _verdict(s: Summary, depth: int, rect: bool) -> str:
    """'held (...)' or 'did not hold (...)', with the numbers that decide it."""
    sat_word = "dead" if rect else "saturated"
    numbers = (
        f"activations x{_short(s.forward)}, gradients x{_short(s.backward)}, "
        f"{100 * s.saturated:.0f}% {sat_word}"
    )
    if s.alive:
        return f"{s.label} held ({numbers})"
    why = []
    if abs(math.log10(s.forward)) > math.log10(ALIVE_FACTOR):
        why.append(f"activations x{_short(s.forward)}")
    if abs(math.log10(s.backward)) > math.log10(ALIVE_FACTOR):
        why.append(f"gradients x{_short(s.backward)}")
    if s.saturated > ALIVE_SATURATION:
        why.append(f"{100 * s.saturated:.0f}% {sat_word}")
    return f"{s.label} did not hold ({', '.join(why)} over {depth} layers)"


def _guidance_sentence(act: str, runs: list[Propagation], summaries: list[Summary]) -> str:
    """Whether each initializer recommended for ``act`` kept the signal alive, measured.

    "Held" is :attr:`Summary.alive`: over the whole stack neither the
    activation variance nor the gradient reaching the inputs changed by more
    than ALIVE_FACTOR, and at most ALIVE_SATURATION of the last layer's units
    are saturated or dead.
    """
    by_label = {s.label: s for s in summaries}
    recommended = [
        by_label[lab] for lab in map(_label_of, RECOMMENDED.get(act, ())) if lab in by_label
    ]
    lsuv = by_label.get("LSUV")
    naive = [by_label[lab] for lab in map(_label_of, NAIVE) if lab in by_label]
    if not recommended and lsuv is None:
        return ""
    depth, rect = runs[0].depth, act in ("relu", "leaky_relu")
    parts = []
    if recommended:
        held = sum(s.alive for s in recommended)
        parts.append(
            f"{act}, the guidance (docs/initializers.md) measured: "
            f"{held} of {len(recommended)} recommended held: "
            + "; ".join(_verdict(s, depth, rect) for s in recommended)
        )
    else:
        parts.append(f"{act}, measured")
    if lsuv is not None:
        parts.append("data-dependent " + _verdict(lsuv, depth, rect))
    if naive:
        parts.append(
            "naive: "
            + "; ".join(
                f"{s.label} {'held' if s.alive else 'did not hold'} "
                f"(gradients x{_short(s.backward)})"
                for s in naive
            )
        )
    return ". ".join(parts) + "."
