"""Figures in the style of Glorot & Bengio (2010, figs. 6-7) and He et al. (2015, fig. 2)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ._propagation import Propagation

# Figure geometry (inches at ``dpi``): one column per activation; rows are the
# activation-variance curve, the gradient-variance curve, then one histogram
# panel per initializer.
COLUMN_WIDTH = 4.0
ROW_HEIGHT = 2.4

_INSTALL_HINT = "pip install matplotlib (a dependency of weightinit, missing here)"


def figure_size(n_activations: int, n_initializers: int, dpi: int = 100) -> tuple[int, int]:
    """(width, height) in pixels of the PNG :func:`plot` writes."""
    return (
        round(COLUMN_WIDTH * n_activations * dpi),
        round(ROW_HEIGHT * (2 + n_initializers) * dpi),
    )


def _grouped(results: Any) -> tuple[list[str], list[str], dict[tuple[str, str], Propagation]]:
    if isinstance(results, Propagation):
        results = [results]
    results = list(getattr(results, "results", results))
    if not results or not all(isinstance(r, Propagation) for r in results):
        raise TypeError("plot needs Propagation results (from propagate or run_demo)")
    acts = list(dict.fromkeys(r.activation for r in results))
    labels = list(dict.fromkeys(r.label for r in results))
    table = {(r.activation, r.label): r for r in results}
    return acts, labels, table


def _hist_range(r: Propagation) -> tuple[float, float]:
    if r.activation == "tanh":
        return -1.0, 1.0
    if r.activation == "sigmoid":
        return 0.0, 1.0
    s = r.act_samples[np.isfinite(r.act_samples)]
    lo, hi = np.percentile(s, [0.5, 99.5]) if s.size else (-1.0, 1.0)
    return (float(lo), float(hi)) if hi > lo else (float(lo) - 1, float(lo) + 1)


def plot(
    results: Any, path: str | os.PathLike[str], *, dpi: int = 100, title: str | None = None
) -> str:
    """Write a PNG comparing initializers: variance versus depth and activation histograms.

    One column per activation. Row 1: Var(a_l)/Var(x) against layer l on a log
    scale, measured (solid) and predicted by :func:`predict` (dashed), one
    colour per initializer. Row 2: the same for the back-propagated gradient
    Var(dC/da_l). Then, down each column, one panel per initializer run with
    that activation (the demo's default runs differ by activation; the
    figure has as many such rows as the longest list) with the histogram of every
    layer's activations (darker = deeper), as Glorot & Bengio's fig. 6:
    a signal that vanishes piles up in one spike, a saturated one at the ends.

    Parameters
    ----------
    results : Propagation, sequence of Propagation, or DemoResult
    path : str or path-like
        Where to write the PNG (size: :func:`figure_size`).
    dpi : int
    title : str, optional

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ImportError
        Without matplotlib (the ``plot`` extra).

    Examples
    --------
    >>> from weightinit.diagnostics import plot, run_demo
    >>> plot(run_demo(layers=4, width=64), "demo.png")
    'demo.png'
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            f"weightinit.diagnostics.plot needs matplotlib: {_INSTALL_HINT}"
        ) from None
    acts, labels, table = _grouped(results)
    # Each activation has its own initializers (the demo's default runs the ones
    # recommended for it): histogram row i of column j is activation j's i-th.
    per_act: dict[str, list[str]] = {a: [] for a in acts}
    for act, label in table:  # in the order of the results
        per_act[act].append(label)
    rows = max(len(v) for v in per_act.values())
    width_px, height_px = figure_size(len(acts), rows, dpi)
    # Figure + Agg canvas, not pyplot: no global state, no GUI backend, safe in threads.
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2 + rows, len(acts), squeeze=False)
    # One colour and line style per initializer across all columns (tab10 has 10
    # colours; beyond that the style tells them apart).
    styles = {lab: (f"C{i % 10}", "o-" if i < 10 else "s-") for i, lab in enumerate(labels)}
    for j, act in enumerate(acts):
        fwd, bwd = axes[0, j], axes[1, j]
        for label in per_act[act]:
            colour, marker = styles[label]
            r = table[(act, label)]
            layer = r.layers.layer
            p = r.predicted.layers
            fwd.semilogy(
                layer,
                np.maximum(r.layers.act_var / r.input_var, 1e-300),
                marker,
                color=colour,
                ms=3,
                label=label,
            )
            fwd.semilogy(
                layer, np.maximum(p.act_var / r.input_var, 1e-300), "--", color=colour, lw=1
            )
            bwd.semilogy(
                layer,
                np.maximum(r.layers.grad_act_var / r.output_grad_var, 1e-300),
                marker,
                color=colour,
                ms=3,
            )
            bwd.semilogy(
                layer,
                np.maximum(p.grad_act_var / r.output_grad_var, 1e-300),
                "--",
                color=colour,
                lw=1,
            )
        fwd.set_title(f"{act}: Var(a_l) / Var(x)", fontsize=9)
        bwd.set_title(f"{act}: Var(dC/da_l) / Var(dC/da_L)", fontsize=9)
        for ax in (fwd, bwd):
            ax.set_xlabel("layer l", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(True, which="major", alpha=0.3)
        # The gradient curves rise from left to right to 1 at the last layer, so the
        # lower right of their panel is where a legend hides the least.
        handles, names = fwd.get_legend_handles_labels()
        bwd.legend(
            handles,
            names,
            fontsize=6,
            title="solid: measured, dashed: predicted",
            title_fontsize=6,
            loc="lower right",
            framealpha=0.8,
        )
        for i in range(rows):
            ax = axes[2 + i, j]
            if i >= len(per_act[act]):
                ax.set_axis_off()
                continue
            label = per_act[act][i]
            r = table[(act, label)]
            lo, hi = _hist_range(r)
            bins = np.linspace(lo, hi, 61)
            shades = np.linspace(0.25, 1.0, r.depth)
            for layer in range(r.depth):
                s = r.act_samples[layer]
                s = s[np.isfinite(s)]
                ax.hist(
                    np.clip(s, lo, hi),
                    bins=bins,
                    histtype="step",
                    density=True,
                    color=(0.0, 0.2, 0.6, shades[layer]),
                    lw=0.8,
                )
            ax.set_title(f"{act}, {label}: activations by layer", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    fig.savefig(os.fspath(path), dpi=dpi, format="png")
    return os.fspath(path)
