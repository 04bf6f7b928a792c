"""μP without a base model instance: per-parameter init and learning-rate multipliers.

The Maximal Update Parametrization (Yang, Hu et al. 2021, "Tensor Programs V:
Tuning Large Neural Networks via Zero-Shot Hyperparameter Transfer", Table 3)
scales each parameter's initialization and learning rate with the width
multipliers of its dimensions, so hyperparameters tuned on a small base model
transfer to wide ones. Here the multipliers come from *shapes* — dicts of
names to shapes, or models on the meta device — so neither model needs to be
materialized; the ``mup`` package needs real base and target modules.

A dimension is a *width* dimension when its size differs between ``base`` and
``target`` (or between ``base`` and ``delta`` when given), as in ``mup``'s
``set_base_shapes``; its width multiplier is target / base. Shapes follow
torch's layout, ``(out, in, *kernel)``: index 1 is fan_in, index 0 fan_out.
Each parameter is one of (see docs/mup.md for the table and its derivation):

========  =====================================  ==========  ==========  ===========
kind      which                                  init std    Adam LR     SGD LR
========  =====================================  ==========  ==========  ===========
fixed     no width dimension                     1           1           1
vector    one width dimension: input weights,    1           1           m
          embeddings, biases, norm weights
hidden    two width dimensions                   1/sqrt(mi)  1/mi        mo/mi
output    the readout: in = width, out fixed     1/m         1/m         1/m
========  =====================================  ==========  ==========  ===========

m is the width multiplier of the parameter's one width dimension, mi and mo
those of fan_in and fan_out. The init multiplier is relative to the parameter's
std in the base model (a constant-std init such as N(0, 0.02) at the base
widths becomes std x multiplier at the target widths); the learning-rate ones
are relative to the base learning rate. ``zero_readout=True`` (the default of
:func:`init_rules`) initializes the readout to zeros instead, as recommended by
the paper (Appendix D.2).

These are Table 3's values, where no forward pass changes. The ``mup``
package implements the equivalent Table 8 form with a ``MuReadout`` layer that
divides its input by m: with it, the readout's init and Adam multipliers are 1
and its SGD one is m, and ``output_multiplier`` below is 1/m
(``style="mup"``). The two give the same function and the same training
trajectory (tests/test_mup.py checks the multipliers against ``mup`` itself).
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._base import Initializer
from .initializers import Normal, Ones, Zeros

if TYPE_CHECKING:
    from torch.nn import Module

__all__ = ["CoordCheck", "Multiplier", "coord_check", "init_rules", "multipliers", "param_groups"]


@dataclass(frozen=True)
class Multiplier:
    """How one parameter scales from the base widths to the target widths."""

    name: str
    shape: tuple[int, ...]
    base_shape: tuple[int, ...]
    kind: Literal["fixed", "vector", "hidden", "output"]
    #: width multiplier of each dimension (1.0 for a non-width one)
    dims: tuple[float, ...]
    #: std multiplier, relative to the parameter's std in the base model
    init: float
    #: learning-rate multipliers, relative to the base learning rate
    lr_adam: float
    lr_sgd: float
    #: factor on the readout's input in the forward pass (1 except for style="mup")
    output_multiplier: float = 1.0


def _shapes(x: Any, name: str) -> dict[str, tuple[int, ...]]:
    if hasattr(x, "named_parameters"):
        return {n: tuple(p.shape) for n, p in x.named_parameters()}
    if isinstance(x, Mapping):
        out = {}
        for k, v in x.items():
            try:
                shape = tuple(int(d) for d in v)
            except TypeError:
                raise TypeError(
                    f"{name}[{k!r}] must be a shape (a sequence of ints), got {v!r}"
                ) from None
            if any(d < 0 for d in shape):
                raise ValueError(f"{name}[{k!r}] has a negative dimension: {shape}")
            out[str(k)] = shape
        return out
    raise TypeError(f"{name} must be a dict of names to shapes or a torch model, got {x!r}")


def _readout_names(target: Any, shapes: dict[str, tuple[int, ...]], readout: Any) -> set[str]:
    if readout is None:
        if not hasattr(target, "named_modules"):
            return set()
        # The readout of a model: a Linear whose input is a width dimension and
        # whose output is not (mup's MuReadout); embeddings are input weights.
        import torch

        return {
            f"{prefix}.weight" if prefix else "weight"
            for prefix, m in target.named_modules()
            if isinstance(m, torch.nn.Linear)
        }
    patterns = [readout] if isinstance(readout, str) else list(readout)
    for p in patterns:
        if not isinstance(p, str):
            raise TypeError(f"readout must be a name pattern or a list of them, got {p!r}")
    return {n for n in shapes if any(fnmatch.fnmatchcase(n, p) for p in patterns)}


def multipliers(
    base: Any,
    target: Any,
    *,
    delta: Any = None,
    readout: str | Iterable[str] | None = None,
    style: Literal["table3", "mup"] = "table3",
) -> dict[str, Multiplier]:
    """Each parameter's μP multipliers from the base to the target widths.

    Parameters
    ----------
    base, target : dict of names to shapes, or torch models (the meta device is enough)
        The same parameter names in both; shapes in torch's ``(out, in, ...)`` layout.
    delta : same kind, optional
        A third set of shapes that only tells which dimensions are widths (those
        that differ from ``base``), for when the target happens to equal the base
        in a width dimension (``mup``'s ``delta``).
    readout : name pattern or patterns, optional
        The output layer's weight. For models, every ``nn.Linear`` weight whose
        input is a width dimension and whose output is not; for dicts, none
        unless named (a (fixed, width) matrix is then an input weight).
    style : {"table3", "mup"}
        The readout as in the paper's Table 3, or as ``mup``'s ``MuReadout``
        (see the module docstring).

    Examples
    --------
    >>> import weightinit as wi
    >>> base = {"fc1.weight": (64, 32), "fc2.weight": (64, 64), "out.weight": (10, 64)}
    >>> wide = {"fc1.weight": (256, 32), "fc2.weight": (256, 256), "out.weight": (10, 256)}
    >>> m = wi.mup.multipliers(base, wide, readout="out.weight")
    >>> for name, v in m.items():
    ...     print(name, v.kind, v.init, v.lr_adam, v.lr_sgd)
    fc1.weight vector 1.0 1.0 4.0
    fc2.weight hidden 0.5 0.25 1.0
    out.weight output 0.25 0.25 0.25
    """
    if style not in ("table3", "mup"):
        raise ValueError(f"style must be 'table3' or 'mup', got {style!r}")
    b, t = _shapes(base, "base"), _shapes(target, "target")
    d = _shapes(delta, "delta") if delta is not None else t
    for other, label in ((t, "target"), (d, "delta")):
        if set(other) != set(b):
            extra, missing = sorted(set(other) - set(b)), sorted(set(b) - set(other))
            raise ValueError(
                f"base and {label} name different parameters: only in {label} {extra}, "
                f"only in base {missing}"
            )
    readouts = _readout_names(target, t, readout)
    out = {}
    for name, bs in b.items():
        ts, ds = t[name], d[name]
        if not len(bs) == len(ts) == len(ds):
            raise ValueError(f"{name}: base shape {bs} and target shape {ts} differ in rank")
        dims = tuple(
            (td / bd if bd else 1.0) if bd != dd else 1.0 for bd, td, dd in zip(bs, ts, ds)
        )
        width = [i for i, (bd, dd) in enumerate(zip(bs, ds)) if bd != dd]
        if len(width) > 2:
            raise ValueError(f"{name}: {len(width)} width dimensions; μP defines at most 2")
        kind: Literal["fixed", "vector", "hidden", "output"]
        out_mult = 1.0
        if not width:
            kind, init, adam, sgd = "fixed", 1.0, 1.0, 1.0
        elif len(width) == 2:
            mi, mo = dims[1], dims[0]
            kind, init, adam, sgd = "hidden", mi**-0.5, 1.0 / mi, mo / mi
        else:
            m = dims[width[0]]
            is_readout = name in readouts and len(bs) >= 2 and width == [1]
            if is_readout and style == "table3":
                kind, init, adam, sgd = "output", 1.0 / m, 1.0 / m, 1.0 / m
            elif is_readout:
                kind, init, adam, sgd, out_mult = "output", 1.0, 1.0, m, 1.0 / m
            else:
                kind, init, adam, sgd = "vector", 1.0, 1.0, m
        out[name] = Multiplier(name, ts, bs, kind, dims, init, adam, sgd, out_mult)
    return out


def init_rules(
    mults: Mapping[str, Multiplier],
    std: float | Mapping[str, float] | Callable[[str, tuple[int, ...]], float],
    *,
    zero_readout: bool = True,
) -> dict[str, Initializer]:
    """Initializers for the target model: N(0, base std x init multiplier) per parameter.

    ``std`` is each parameter's std in the base model: one number, a dict by
    name, or a function of (name, base shape) — e.g. ``lambda n, s: s[1] ** -0.5``
    for a fan-in init. With ``zero_readout`` the readout is ``Zeros()``. The
    result is a rules dict for :func:`weightinit.torch.initialize` (exact
    names) or for plain shape dicts.
    """
    rules: dict[str, Initializer] = {}
    for name, m in mults.items():
        if zero_readout and m.kind == "output":
            rules[name] = Zeros()
            continue
        if callable(std):
            s = float(std(name, m.base_shape))
        elif isinstance(std, Mapping):
            s = float(std[name])
        else:
            s = float(std)
        if not s >= 0 or not math.isfinite(s):
            raise ValueError(f"std for {name!r} must be a finite number >= 0, got {s!r}")
        rules[name] = Normal(std=s * m.init) if s > 0 else Zeros()
    return rules


def param_groups(
    model: Module,
    mults: Mapping[str, Multiplier],
    lr: float,
    optimizer: Literal["adam", "sgd"] = "adam",
) -> list[dict[str, Any]]:
    """torch optimizer parameter groups with each parameter's μP learning rate."""
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    groups: dict[float, list[Any]] = {}
    for name, p in model.named_parameters():
        if name not in mults:
            raise ValueError(f"parameter {name!r} has no multiplier (shapes from another model?)")
        m = mults[name]
        groups.setdefault(m.lr_adam if optimizer == "adam" else m.lr_sgd, []).append(p)
    return [{"params": ps, "lr": lr * k} for k, ps in groups.items()]


# --- coordinate check --------------------------------------------------------------------


@dataclass(frozen=True)
class CoordCheck:
    """Mean |activation| per module, width and step, and the fitted slopes."""

    #: (width, step, module, mean |output|) after each optimizer step (step 0: at init)
    records: tuple[tuple[int, int, str, float], ...]
    #: per module: slope of log(mean |output|) against log(width) at the last step
    slopes: dict[str, float]

    def plot(self, path: str) -> None:
        """One panel per step: activation scale against width, a line per module."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        steps = sorted({r[1] for r in self.records})
        modules = sorted({r[2] for r in self.records})
        fig, axes = plt.subplots(1, len(steps), figsize=(3.2 * len(steps), 3), sharey=True)
        for ax, step in zip(list(axes) if len(steps) > 1 else [axes], steps):
            for mod in modules:
                pts = sorted((w, v) for w, s, m, v in self.records if s == step and m == mod)
                ax.plot([w for w, _ in pts], [v for _, v in pts], marker="o", label=mod)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_title(f"step {step}")
            ax.set_xlabel("width")
        axes_list = list(axes) if len(steps) > 1 else [axes]
        axes_list[0].set_ylabel("mean |activation|")
        axes_list[-1].legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)


def coord_check(
    model_fn: Callable[[int], Module],
    widths: Sequence[int],
    batch: tuple[Any, Any],
    *,
    steps: int = 3,
    lr: float = 1e-2,
    parametrization: Literal["mup", "sp"] = "mup",
    optimizer: Literal["adam", "sgd"] = "adam",
    std: float | Callable[[str, tuple[int, ...]], float] | None = None,
    loss_fn: Callable[[Any, Any], Any] | None = None,
    readout: str | Iterable[str] | None = None,
    rng: int = 0,
    plot: str | None = None,
) -> CoordCheck:
    """Activation scale against width over a few optimizer steps (Yang et al. 2021, §D).

    Builds ``model_fn(width)`` for each width and initializes its weights of rank
    2 and more (μP: the smallest width is the base, :func:`init_rules` with
    ``std`` at the base shapes and a zero readout; SP: ``std`` at each model's own
    shapes, every learning rate ``lr``); ``std`` defaults to 1/sqrt(fan_in).
    Biases are zeros and other vectors (norm weights) ones. It then takes
    ``steps`` optimizer steps on ``batch = (x, y)`` and records each leaf
    module's mean |output| on ``x`` before every step and after the last. Under
    μP the curves are flat in width; under SP they grow.
    """
    import torch

    from . import torch as wit

    widths = sorted(int(w) for w in widths)
    if len(widths) < 2:
        raise ValueError(f"widths needs at least two widths, got {widths!r}")
    if parametrization not in ("mup", "sp"):
        raise ValueError(f"parametrization must be 'mup' or 'sp', got {parametrization!r}")
    x, y = batch
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    from .fans import fans

    def weight_std(name: str, shape: tuple[int, ...]) -> float:
        if std is None:
            return float(fans(shape, "torch")[0] ** -0.5)
        return float(std(name, shape) if callable(std) else std)

    with torch.device("meta"):
        # The widest model only tells which dimensions are widths, so that the
        # base model itself gets the readout's treatment too (mup's ``delta``).
        base, delta = model_fn(widths[0]), model_fn(widths[-1])
    records = []
    for w in widths:
        model = model_fn(w)
        vectors = {
            n: Zeros() if n.endswith("bias") else Ones()
            for n, p in model.named_parameters()
            if p.dim() < 2
        }
        if parametrization == "mup":
            mults = multipliers(base, model, delta=delta, readout=readout)
            rules = init_rules({n: m for n, m in mults.items() if n not in vectors}, weight_std)
            groups = param_groups(model, mults, lr, optimizer)
        else:
            rules = {
                n: Normal(std=weight_std(n, tuple(p.shape)))
                for n, p in model.named_parameters()
                if n not in vectors
            }
            groups = [{"params": list(model.parameters()), "lr": lr}]
        wit.initialize(model, {**rules, **vectors}, rng=rng)
        opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(groups, lr=lr)
        leaves = [(n, m) for n, m in model.named_modules() if n and not list(m.children())]
        scale: dict[str, float] = {}
        hooks = [
            m.register_forward_hook(
                lambda _m, _i, out, n=n, scale=scale: scale.__setitem__(
                    n, float(out.detach().abs().mean())
                )
            )
            for n, m in leaves
        ]
        for step in range(steps + 1):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            records += [(w, step, n, scale[n]) for n, _ in leaves if n in scale]
            if step < steps:
                loss.backward()
                opt.step()
        for h in hooks:
            h.remove()
    last = [r for r in records if r[1] == steps]
    slopes = {}
    for mod in sorted({r[2] for r in last}):
        pts = [(math.log(r[0]), math.log(max(r[3], 1e-30))) for r in last if r[2] == mod]
        mx = sum(p[0] for p in pts) / len(pts)
        my = sum(p[1] for p in pts) / len(pts)
        sxx = sum((p[0] - mx) ** 2 for p in pts)
        slopes[mod] = sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx
    result = CoordCheck(tuple(records), slopes)
    if plot is not None:
        result.plot(plot)
    return result
