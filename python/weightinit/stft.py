"""Keras 3's ``STFT`` initializer: windowed DFT kernels for a convolution.

Deterministic. For a kernel of shape ``(T, ..., F)`` (Keras: ``(T, 1, F)``,
the frame length, the input channel and ``F = fft_length // 2 + 1``
frequencies) with ``N = 2 (F - 1)``:

    real: W[t, ..., f] = cos(2 pi t f / N) w[t] / s
    imag: W[t, ..., f] = -sin(2 pi t f / N) w[t] / s

with ``w`` the window (``None``: all ones and ``s = 1``) and ``s`` its L2
norm (``scaling="density"``), its L1 norm (``"spectrum"``) or 1 (``None``).
The axes between the first and the last are broadcast, so a 2-D ``(T, F)``
shape works too. ``F = 1`` has only the zero frequency (Keras divides by
``N = 0`` there and returns NaN).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _validation as check
from ._base import Array, Initializer
from ._errors import ShapeError

__all__ = ["STFT"]

_SIDES = ("real", "imag")
_SCALINGS = ("density", "spectrum")


def get_window(name: str, length: int, periodic: bool) -> Array:
    """``scipy.signal.get_window(name, length, fftbins=periodic)``; hann and hamming
    without scipy (generalised cosine windows, Harris 1978)."""
    if name in ("hann", "hamming"):
        a = 0.5 if name == "hann" else 0.54
        denominator = length if periodic else length - 1
        if length <= 1:
            return np.ones(length)
        t = np.arange(length)
        return a - (1 - a) * np.cos(2 * math.pi * t / denominator)
    try:  # optional, like the frameworks (imported by name: scipy is not a dependency)
        signal = importlib.import_module("scipy.signal")
    except ImportError as e:
        raise ImportError(
            f"window={name!r} needs scipy (scipy.signal.get_window); 'hann', 'hamming', an "
            "array or None work without it"
        ) from e
    return np.asarray(signal.get_window(name, length, fftbins=periodic), dtype=np.float64)


class STFT(Initializer):
    """Kernels of a short-time Fourier transform (Keras 3 ``keras.initializers.STFT``).

    Parameters
    ----------
    side : {"real", "imag"}
        Which part of the DFT the kernel computes.
    window : str, array_like or None
        A window name (``"hann"`` default, ``"hamming"``; other
        ``scipy.signal.get_window`` names need scipy), the window's values
        (length T), or None for none.
    scaling : {"density", "spectrum"} or None
        Divide by the window's L2 norm (``"density"``), L1 norm, or not at all.
    periodic : bool
        Periodic (DFT-even) window rather than symmetric, as scipy's ``fftbins``.

    See :mod:`weightinit.stft` for the formula.

    >>> import weightinit as wi
    >>> w = wi.STFT(window=None)((4, 1, 3))   # T = 4, N = 4
    >>> w[:, 0, 1].round(12).tolist()          # cos(2 pi t / 4)
    [1.0, 0.0, -1.0, -0.0]
    """

    def __init__(
        self,
        side: str = "real",
        window: Any = "hann",
        scaling: str | None = "density",
        periodic: bool = False,
    ) -> None:
        self.side = check.choice(side, "side", _SIDES)
        self.scaling = None if scaling is None else check.choice(scaling, "scaling", _SCALINGS)
        if not isinstance(periodic, (bool, np.bool_)):
            raise TypeError(f"periodic must be True or False, got {periodic!r}")
        self.periodic = bool(periodic)
        config_window: Any = window
        self.window: str | Array | None
        if window is None or isinstance(window, str):
            self.window = window.lower() if isinstance(window, str) else None
            if self.window is not None:
                try:
                    get_window(self.window, 4, self.periodic)
                except ValueError as e:
                    raise ValueError(f"unknown window {window!r}: {e}") from None
        else:
            values = np.array(window, dtype=np.float64)
            if values.ndim != 1 or not np.isfinite(values).all():
                raise ValueError(
                    f"window must be a name, None or a 1-D array of finite values, got {window!r}"
                )
            self.window = values
            config_window = values.tolist()
        self._config = {
            "side": side,
            "window": config_window,
            "scaling": scaling,
            "periodic": self.periodic,
        }

    def _window(self, length: int) -> Array | None:
        if self.window is None:
            return None
        if isinstance(self.window, str):
            return get_window(self.window, length, self.periodic)
        if self.window.shape[0] != length:
            raise ShapeError(
                f"window has {self.window.shape[0]} values but the frame length "
                f"(shape[0]) is {length}"
            )
        return self.window

    def _scale(self, w: Array) -> float:
        if self.scaling == "density":
            return math.sqrt(float(w @ w))
        if self.scaling == "spectrum":
            return float(np.abs(w).sum())
        return 1.0

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) < 2:
            raise ShapeError(
                f"STFT needs a shape (frame_length, ..., frequencies) of rank >= 2, got {shape}"
            )
        w = self._window(shape[0])
        if w is not None and shape[0] and self._scale(w) == 0:
            raise ShapeError(
                f"the window for frame length {shape[0]} is all zeros: scaling={self.scaling!r} "
                "would divide by zero"
            )

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        frames, freqs = shape[0], shape[-1]
        t = np.arange(start[0], start[0] + out.shape[0], dtype=np.float64)
        f = np.arange(start[-1], start[-1] + out.shape[-1], dtype=np.float64)
        n = 2 * (freqs - 1)
        angle = 2 * math.pi * np.outer(t, f) / n if n else np.zeros((t.size, f.size))
        kernel = np.cos(angle) if self.side == "real" else -np.sin(angle)
        w = self._window(frames)
        if w is not None:
            kernel *= (w[start[0] : start[0] + out.shape[0]] / self._scale(w))[:, None]
        out[...] = kernel.reshape((out.shape[0],) + (1,) * (out.ndim - 2) + (out.shape[-1],))
