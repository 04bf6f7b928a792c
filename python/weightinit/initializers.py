"""The initializers: Lasagne's eleven, and what torch, Keras and JAX add.

Every class is thin: it normalises its arguments, computes fans and the
standard deviation in Python, and leaves every loop over elements to the C++
core. Lasagne's semantics are the default (formulas, fan rules, messages);
the other peers' conventions are options (``layout=``, ``mode=``,
``distribution=``, ``absolute=``).

Examples
--------
>>> import numpy as np, weightinit as init
>>> W = init.GlorotUniform()((784, 256))            # Lasagne: U(+-sqrt(6 / (784 + 256)))
>>> W.dtype, W.shape
(dtype('float64'), (784, 256))
>>> K = init.HeNormal(gain="relu", layout="torch").sample((64, 3, 3, 3), dtype=np.float32, rng=7)
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, cast

import numpy as np

from . import _bfloat16, _complex, _core, _sampling
from . import _validation as check
from ._base import Array, Initializer, fill_block
from ._errors import ShapeError
from .fans import Axes, FanSpec
from .gains import GainLike, resolve_gain

__all__ = [
    "Initializer",
    "Constant",
    "Zeros",
    "Ones",
    "Normal",
    "Uniform",
    "TruncatedNormal",
    "Glorot",
    "GlorotNormal",
    "GlorotUniform",
    "He",
    "HeNormal",
    "HeUniform",
    "VarianceScaling",
    "LeCunNormal",
    "LeCunUniform",
    "FanInUniform",
    "UniformScaling",
    "Identity",
    "Dirac",
    "Sparse",
    "TorchSparse",
    "Orthogonal",
    "DeltaOrthogonal",
    "ConvolutionOrthogonal1D",
    "ConvolutionOrthogonal2D",
    "ConvolutionOrthogonal3D",
    "Hadamard",
    "ZerO",
    "STFT",
]

# Standard deviation of N(0, 1) truncated to [-2, 2]: the constant Keras and
# JAX divide by so that truncated variance-scaling draws have the target variance.
TRUNCATED_STD_2 = 0.87962566103423978
_SQRT3 = math.sqrt(3)  # == np.sqrt(3), the factor Lasagne's Uniform(std=) uses


# --- shared pieces -----------------------------------------------------------


def _layout_config(
    layout: Any,
    in_axis: Any,
    out_axis: Any,
    batch_axis: Any,
    input_axes: Any = None,
    output_axes: Any = None,
) -> dict[str, Any]:
    """The layout arguments that were given, for get_config/repr."""
    given = {
        "layout": layout,
        "in_axis": in_axis,
        "out_axis": out_axis,
        "batch_axis": batch_axis,
        "input_axes": input_axes,
        "output_axes": output_axes,
    }
    return {k: v for k, v in given.items() if v is not None}


def _core_fill(
    kind: _core.Distribution,
    params: list[float],
    shape: Sequence[int],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
) -> None:
    # A uint16 block holds bfloat16 bits (weightinit/_base.py): the core rounds in registers.
    _core.fill(kind, params, key, stream, shape, start, out, out.dtype == _bfloat16.BITS)


def _uniform_fill(
    low: float,
    high: float,
    shape: Sequence[int],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
) -> None:
    if out.dtype.kind == "c":  # a disk with the same mean and E|w - mean|**2
        _complex.uniform(low, high, shape, out, start, key, stream)
    elif low == high:  # a zero-width range (gain 0, range 0) is a constant
        out[...] = _bfloat16.scalar_bits(low) if out.dtype == _bfloat16.BITS else low
    else:
        _core_fill(_sampling.UNIFORM, [low, high], shape, out, start, key, stream)


def _flag(x: Any, name: str) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    raise TypeError(f"{name} must be True or False, got {x!r}")


def _uniform_in_dtype(
    low: float, high: float, dtype: np.dtype[Any], names: tuple[str, str]
) -> None:
    """What _uniform_fill writes fits ``dtype`` (a zero width is the constant ``low``)."""
    if low == high:
        check.within_dtype(low, names[0], dtype)
    else:
        _sampling.uniform_in_dtype(low, high, dtype, names)


def _block_slices(start: Sequence[int], out: Array) -> tuple[slice, ...]:
    return tuple(slice(s, s + n) for s, n in zip(start, out.shape, strict=True))


# --- constants ----------------------------------------------------------------


class Constant(Initializer):
    """Every element equal to ``val``, or ``val`` broadcast to the shape.

    Parameters
    ----------
    val : float or array_like
        The value (Lasagne default 0.0). An array (numpy, torch, JAX, nested
        lists) is broadcast to the requested shape by numpy's rules, as Keras'
        ``Constant(np.ones((3, 3)))`` does; a shape it does not broadcast to
        is a :class:`~weightinit.ShapeError`. A 0-d array is a number.

    Examples
    --------
    >>> import numpy as np, weightinit as wi
    >>> wi.Constant(0.5)((2, 2)).tolist()
    [[0.5, 0.5], [0.5, 0.5]]
    >>> wi.Constant(np.array([1.0, 2.0]))((2, 2)).tolist()
    [[1.0, 2.0], [1.0, 2.0]]
    """

    def __init__(self, val: Any = 0.0) -> None:
        self.val = _constant_value(val)
        # An array as nested lists: JSON-safe for Keras, comparable with ==.
        self._config = {"val": self.val.tolist() if isinstance(self.val, np.ndarray) else val}

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if isinstance(self.val, np.ndarray):
            try:
                fits = np.broadcast_shapes(self.val.shape, shape) == shape
            except ValueError:
                fits = False
            if not fits:
                raise ShapeError(
                    f"val of shape {self.val.shape} does not broadcast to shape {shape}"
                )

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        pass  # the real value, imaginary part 0

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        # The largest magnitude decides for an array value (its sign is irrelevant
        # to the range, which is symmetric).
        v = self.val
        big = float(np.max(np.abs(v))) if isinstance(v, np.ndarray) and v.size else float(v)
        check.within_dtype(big if isinstance(v, np.ndarray) else float(v), "val", dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        if isinstance(self.val, np.ndarray):
            out[...] = np.broadcast_to(self.val, shape)[_block_slices(start, out)]
        else:
            out[...] = self.val


def _constant_value(val: Any) -> float | Array:
    """A finite number, or a finite real float64 array of rank >= 1 (Constant's ``val``)."""
    if isinstance(val, (str, bytes)) or getattr(val, "ndim", None) == 0:
        return check.finite(val, "val")
    if isinstance(val, numbers.Real) and not isinstance(val, bool):
        return check.finite(val, "val")
    try:
        a = np.array(val)  # a copy: later changes to the caller's array do not leak in
    except (TypeError, ValueError, RuntimeError):
        a = np.array(None, dtype=object)
    if a.ndim == 0 or a.dtype.kind not in "iuf":
        raise TypeError(f"val must be a real number or an array of real numbers, got {val!r}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"val must be finite, got an array holding {a[~np.isfinite(a)][0]}")
    return a


class Zeros(Constant):
    """All zeros (torch ``zeros_``, Keras ``Zeros``, JAX ``zeros``).

    >>> import weightinit as wi
    >>> wi.Zeros()(3).tolist()
    [0.0, 0.0, 0.0]
    """

    def __init__(self) -> None:
        super().__init__(0.0)
        self._config = {}


class Ones(Constant):
    """All ones (torch ``ones_``, Keras ``Ones``, JAX ``ones``).

    >>> import weightinit as wi
    >>> wi.Ones()(2).tolist()
    [1.0, 1.0]
    """

    def __init__(self) -> None:
        super().__init__(1.0)
        self._config = {}


# --- element-wise distributions ----------------------------------------------


class Normal(Initializer):
    """N(mean, std**2), untruncated. **std comes first**, as in Lasagne.

    Parameters
    ----------
    std : float
        Standard deviation (default 0.01).
    mean : float
        Mean (default 0.0).

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.Normal(std=0.1).sample((400, 500), rng=0)
    >>> bool(abs(w.std() - 0.1) < 1e-3)
    True
    """

    _writes_bfloat16 = True  # the core writes bfloat16 bits (weightinit/_base.py)

    def __init__(self, std: float = 0.01, mean: float = 0.0) -> None:
        self.mean, self.std = _sampling.normal_params(mean, std)
        self._config = {"std": std, "mean": mean}

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        pass  # circular normal, E|w - mean|**2 = std**2

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        _sampling.normal_in_dtype(self.mean, self.std, dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        if out.dtype.kind == "c":
            _complex.normal(self.mean, self.std, shape, out, start, key, stream)
        else:
            _core_fill(_sampling.NORMAL, [self.mean, self.std], shape, out, start, key, stream)


class Uniform(Initializer):
    """Uniform on the half-open interval [a, b), with Lasagne's three forms.

    * ``Uniform(r)``: a, b = -r, r (``mean`` is ignored, as in Lasagne);
    * ``Uniform((a, b))``: the pair itself;
    * ``Uniform(std=s, mean=m)``: a, b = m -+ sqrt(3) s, so the values have
      standard deviation s (``range`` is ignored).

    Parameters
    ----------
    range : float or (float, float)
        Default 0.01.
    std : float, optional
    mean : float
        Used only with ``std``.

    The resolved pair is the attribute ``range``.

    Examples
    --------
    >>> import weightinit as wi
    >>> wi.Uniform(std=1.0, mean=5.0).range == (5 - 3 ** 0.5, 5 + 3 ** 0.5)
    True
    """

    _writes_bfloat16 = True  # the core writes bfloat16 bits (weightinit/_base.py)

    def __init__(
        self,
        range: float | tuple[float, float] = 0.01,  # noqa: A002 - Lasagne's name
        std: float | None = None,
        mean: float = 0.0,
    ) -> None:
        self._names = ("range", "range")  # what the ends come from, for messages
        if std is not None:
            m, s = _sampling.normal_params(mean, std)
            a, b = m - _SQRT3 * s, m + _SQRT3 * s
            self._names = ("mean - sqrt(3) std", "mean + sqrt(3) std")
        else:
            pair = f"range must be a real number or a (low, high) pair, got {range!r}"
            if isinstance(range, (str, bytes)):
                raise TypeError(pair)
            try:
                a, b = range  # type: ignore[misc]
            except TypeError:  # a number
                r = check.finite(range, "range")
                a, b = -r, r
            except ValueError:  # a sequence of another length
                raise ValueError(pair) from None
            else:
                a, b = check.finite(a, "range[0]"), check.finite(b, "range[1]")
                self._names = ("range[0]", "range[1]")
            if a > b:
                raise ValueError(f"range must have low <= high, got {(a, b)}")
        if not math.isfinite(b - a):
            raise ValueError(f"range {(a, b)} is too wide: high - low overflows")
        self.range = (a, b)
        self._config = {"range": range, "std": std, "mean": mean}

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        pass  # uniform on a disk with the interval's mean and variance

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        _uniform_in_dtype(self.range[0], self.range[1], dtype, self._names)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        _uniform_fill(self.range[0], self.range[1], shape, out, start, key, stream)


class TruncatedNormal(Initializer):
    """N(mean, std**2) restricted to [mean + lower std, mean + upper std].

    Bounds are in units of ``std`` (JAX semantics; Keras is the default
    ±2). With ``absolute=True`` they are values, as in torch's
    ``trunc_normal_(t, mean, std, a, b)``. Like every peer's plain truncated
    normal, ``std`` is the *pre-truncation* standard deviation (the values'
    standard deviation is 0.8796 std at ±2) unless ``preserve_std=True``.
    Sampling is exact inverse-CDF, so low-precision outputs have no stuck
    values at the bounds.

    Parameters
    ----------
    std : float
        Default 0.01.
    mean : float
        Default 0.0.
    lower, upper : float
        Default -2.0, 2.0.
    absolute : bool
        Bounds are values rather than multiples of ``std``.
    preserve_std : bool
        Rescale so the truncated values have standard deviation ``std``.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.TruncatedNormal(std=0.5)((1000,), rng=1)
    >>> bool(abs(w).max() <= 1.0)
    True
    """

    _writes_bfloat16 = True  # the core writes bfloat16 bits (weightinit/_base.py)

    def __init__(
        self,
        std: float = 0.01,
        mean: float = 0.0,
        lower: float = -2.0,
        upper: float = 2.0,
        absolute: bool = False,
        preserve_std: bool = False,
    ) -> None:
        self.mean, self.std = _sampling.normal_params(mean, std)
        lo, hi = check.not_nan(lower, "lower"), check.not_nan(upper, "upper")
        if not lo < hi:
            raise ValueError(f"lower must be less than upper, got lower={lo}, upper={hi}")
        if absolute:
            if self.std == 0:
                raise ValueError("std must be positive with absolute=True")
            lo, hi = (lo - self.mean) / self.std, (hi - self.mean) / self.std
        if not _sampling.has_mass(lo, hi):
            raise ValueError(f"the interval [{lower}, {upper}] has negligible probability mass")
        self.lower, self.upper = lo, hi  # in std units
        self.preserve_std = bool(preserve_std)
        self._config = {"std": std, "mean": mean, "lower": lower, "upper": upper}
        if absolute:
            self._config["absolute"] = True
        if preserve_std:
            self._config["preserve_std"] = True

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        _complex.check_truncation(self.lower, self.upper)  # the modulus is truncated

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        params = [self.mean, self.std, self.lower, self.upper, float(self.preserve_std)]
        _sampling.check_values(_sampling.TRUNCATED_NORMAL, params, dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        params = [self.mean, self.std, self.lower, self.upper, float(self.preserve_std)]
        if out.dtype.kind == "c":
            _complex.fill(_sampling.TRUNCATED_NORMAL, params, key, stream, shape, start, out)
        else:
            _core_fill(_sampling.TRUNCATED_NORMAL, params, shape, out, start, key, stream)


# --- fan-based: Lasagne's Glorot and He ---------------------------------------

#: What Glorot and He delegate to: a class or callable taking ``std=``.
Factory = Callable[..., Any]


def _delegate(
    factory: Factory,
    std: float,
    shape: tuple[int, ...],
    out: Array,
    start: Sequence[int],
    key: int,
    stream: int,
) -> None:
    """Fill with ``factory(std=std)``: ours block-exactly, a foreign one by slicing."""
    init = _delegate_of(factory, std) if _is_initializer_class(factory) else factory(std=std)
    if isinstance(init, Initializer):
        if out.dtype.kind == "c":
            init._check_complex(out.dtype)
        fill_block(init, shape, out, start, key, stream)
    elif out.dtype == _bfloat16.BITS:  # bfloat16 bits: the float32 block, rounded
        values = np.asarray(init.sample(shape))[_block_slices(start, out)]
        _bfloat16.float32_to_bfloat16_bits(values.astype(np.float32), out)
    else:  # a Lasagne-style class: whole tensor, then the block
        out[...] = np.asarray(init.sample(shape))[_block_slices(start, out)]


# The presets below (GlorotNormal, HeUniform, LeCunNormal, ...) take their
# constructor from a mixin per family that is not an Initializer, so each
# family's keyword arguments are declared once while Lasagne's subclass walk
# (direct subclasses of Initializer, then theirs) still finds every preset
# directly under Glorot, He and VarianceScaling; ``inspect.signature`` and
# ``help()`` show the mixin's real signature.


class _FanBased:
    """Mixin (not an Initializer, so Lasagne's subclass walk is unchanged)."""

    _fans: FanSpec

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        self._fans.check(shape)

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        # Glorot and He: complex when their initializer is (Normal, Uniform or a subclass)
        factory = getattr(self, "initializer", None)
        if factory is not None and not (
            _is_initializer_class(factory)
            and factory._check_complex is not Initializer._check_complex
        ):
            raise _complex.unsupported(f"{type(self).__name__} with initializer={factory!r}", dtype)

    def fans(self, shape: Sequence[int]) -> tuple[int, int]:
        """``(fan_in, fan_out)`` this initializer uses for ``shape``."""
        return self._fans.compute(tuple(shape))


def _factory(initializer: Any) -> Factory:
    if isinstance(initializer, Initializer) or not callable(initializer):
        raise TypeError(
            "initializer must be a class or factory accepting std= (e.g. Normal, not Normal()), "
            f"got {initializer!r}"
        )
    if isinstance(initializer, type) and initializer in _FACTORIES:  # signature() is slow
        return initializer
    try:
        signature = inspect.signature(initializer)
    except (TypeError, ValueError):  # no signature to read (some builtins): trust it
        return initializer  # type: ignore[no-any-return]
    try:
        signature.bind(std=1.0)  # what _delegate calls, checked now rather than at sample time
    except TypeError as e:
        raise TypeError(
            "initializer must be callable as initializer(std=...), "
            f"{_show(initializer)} is not: {e}"
        ) from None
    if _is_initializer_class(initializer):
        _FACTORIES.add(initializer)  # a class's signature does not change
    return initializer  # type: ignore[no-any-return]


_FACTORIES: set[type[Initializer]] = set()  # Initializer classes that passed _factory


def _is_initializer_class(factory: Factory) -> bool:
    """A delegate the package can fill block-exactly, check ahead and build once per std."""
    return isinstance(factory, type) and issubclass(factory, Initializer)


def _show(x: Any) -> str:
    return getattr(x, "__qualname__", None) or repr(x)


def _check_delegate(
    factory: Factory, std: float, gain: float, shape: tuple[int, ...], dtype: np.dtype[Any]
) -> None:
    """Glorot/He: ``factory(std=std)`` is valid and its values fit ``dtype``, checked
    before the stream is taken (only for the package's own classes: a foreign one is
    called once, at fill time)."""
    if _is_initializer_class(factory):
        _checked_delegate(factory, std, gain, shape, dtype)


@functools.lru_cache(maxsize=1024)
def _delegate_of(factory: Factory, std: float) -> Initializer:
    """``factory(std=std)`` for the package's own classes, built once per (class, std):
    the instance never leaves this module, so nothing can change it."""
    init: Initializer = factory(std=std)
    return init


@functools.lru_cache(maxsize=1024)
def _checked_delegate(
    factory: Factory,
    std: float,
    gain: float,
    shape: tuple[int, ...],
    dtype: np.dtype[Any],
) -> None:
    """:func:`_check_delegate`'s check: a pure function of its arguments, so a small
    call repeated pays for it once (docs/design.md, "Small calls")."""
    try:
        _delegate_of(factory, std)._check_values(shape, dtype)
    except ValueError as e:
        raise ValueError(f"gain={gain!r} gives std={std!r} for shape {shape}: {e}") from None


def _gain(gain: GainLike) -> float:
    g = resolve_gain(gain)
    if g < 0:
        raise ValueError(f"gain must be non-negative, got {gain!r}")
    return g


class Glorot(_FanBased, Initializer):
    """Glorot & Bengio (2010): std = gain * sqrt(2 / (fan_in + fan_out)).

    Delegates to ``initializer(std=std)`` like Lasagne: pass the class
    :class:`Normal` (untruncated) or :class:`Uniform` (U(±sqrt(3) std) =
    U(±gain sqrt(6 / (fan_in + fan_out)))), or any factory accepting ``std=``.

    Parameters
    ----------
    initializer : class or callable
    gain : float or str
        Multiplies std; ``'relu'`` is sqrt(2); any :func:`calculate_gain` name.
    c01b : bool
        Weights are cuda-convnet ``(in, k0, k1, out)``; 4-D only.
    layout : str, optional
        ``"lasagne"`` (default), ``"torch"``, ``"keras"``/``"jax"``, ``"c01b"``;
        see :func:`weightinit.fans`.
    in_axis, out_axis, batch_axis : int or sequence of ints, optional
        Explicit axes (JAX semantics) instead of a layout.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.Glorot(wi.Normal, gain="relu")((100, 100), rng=0)
    >>> bool(abs(w.std() - (2 / 200) ** 0.5 * 2 ** 0.5) < 0.01)
    True
    """

    _writes_bfloat16 = True  # bfloat16 bits go through _delegate (weightinit/_base.py)

    def __init__(
        self,
        initializer: Factory,
        gain: GainLike = 1.0,
        c01b: bool = False,
        *,
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        self.initializer = _factory(initializer)
        self.gain = _gain(gain)
        self.c01b = c01b
        self._fans = FanSpec(layout, c01b, in_axis, out_axis, batch_axis, input_axes, output_axes)
        self._config = {
            "initializer": initializer,
            "gain": gain,
            "c01b": c01b,
            **_layout_config(layout, in_axis, out_axis, batch_axis, input_axes, output_axes),
        }

    def std(self, shape: Sequence[int]) -> float:
        """The standard deviation used for ``shape``."""
        fan_in, fan_out = self.fans(shape)
        return self.gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))  # == np.sqrt

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        _check_delegate(self.initializer, self.std(shape), self.gain, shape, dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        _delegate(self.initializer, self.std(shape), shape, out, start, key, stream)


class _GlorotPreset:
    """The constructor of Glorot with a fixed ``initializer`` (the class attribute)."""

    _initializer: ClassVar[type[Initializer]]
    _config: dict[str, Any]

    def __init__(
        self,
        gain: GainLike = 1.0,
        c01b: bool = False,
        *,
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        Glorot.__init__(
            cast(Glorot, self),
            self._initializer,
            gain,
            c01b,
            layout=layout,
            in_axis=in_axis,
            out_axis=out_axis,
            batch_axis=batch_axis,
            input_axes=input_axes,
            output_axes=output_axes,
        )
        del self._config["initializer"]  # implied by the class


class GlorotNormal(_GlorotPreset, Glorot):
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)), untruncated.

    Lasagne's, torch's ``xavier_normal_``. (Keras/JAX ``glorot_normal`` is a
    truncated normal: ``VarianceScaling(1.0, "fan_avg", "truncated_normal")``.)

    >>> import weightinit as wi
    >>> w = wi.GlorotNormal()((100, 100), rng=0)
    >>> bool(abs(w.std() - 0.1) < 0.005)
    True
    """

    _initializer = Normal


class GlorotUniform(_GlorotPreset, Glorot):
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)).

    Lasagne's default weight initializer; torch ``xavier_uniform_``, Keras and
    JAX ``glorot_uniform`` (same values on the same fans).

    >>> import weightinit as wi
    >>> w = wi.GlorotUniform()((150, 450), rng=0)
    >>> bool(abs(w).max() <= 0.1)
    True
    """

    _initializer = Uniform


_HE_MODES = ("fan_in", "fan_out")


class He(_FanBased, Initializer):
    """He et al. (2015): std = gain * sqrt(1 / fan), fan = fan_in by default.

    **Lasagne's default gain is 1.0**, which is LeCun's 1/fan_in variance;
    He's ReLU initialisation needs ``gain='relu'`` (sqrt(2)), which is what
    torch's ``kaiming_*_`` and Keras/JAX ``he_*`` use by default.

    Parameters
    ----------
    initializer : class or callable
        :class:`Normal`, :class:`Uniform` or any factory accepting ``std=``.
    gain : float or str
    c01b : bool
    mode : {"fan_in", "fan_out"}
        torch's ``mode``: fan_in preserves the forward variance, fan_out the
        backward one.
    layout, in_axis, out_axis, batch_axis
        As for :class:`Glorot`.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.He(wi.Normal, gain="relu")((200, 50), rng=0)   # fan_in = 200
    >>> bool(abs(w.std() - 0.1) < 0.005)
    True
    """

    _writes_bfloat16 = True  # bfloat16 bits go through _delegate (weightinit/_base.py)

    def __init__(
        self,
        initializer: Factory,
        gain: GainLike = 1.0,
        c01b: bool = False,
        *,
        mode: str = "fan_in",
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        self.initializer = _factory(initializer)
        self.gain = _gain(gain)
        self.c01b = c01b
        self.mode = check.choice(mode, "mode", _HE_MODES)
        self._fans = FanSpec(layout, c01b, in_axis, out_axis, batch_axis, input_axes, output_axes)
        extra = {"mode": mode} if self.mode != "fan_in" else {}
        self._config = {
            "initializer": initializer,
            "gain": gain,
            "c01b": c01b,
            **extra,
            **_layout_config(layout, in_axis, out_axis, batch_axis, input_axes, output_axes),
        }

    def std(self, shape: Sequence[int]) -> float:
        """The standard deviation used for ``shape``."""
        fan_in, fan_out = self.fans(shape)
        fan = fan_in if self.mode == "fan_in" else fan_out
        return self.gain * math.sqrt(1.0 / max(fan, 1))  # == np.sqrt

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        _check_delegate(self.initializer, self.std(shape), self.gain, shape, dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        _delegate(self.initializer, self.std(shape), shape, out, start, key, stream)


class _HePreset:
    """The constructor of He with a fixed ``initializer`` (the class attribute)."""

    _initializer: ClassVar[type[Initializer]]
    _config: dict[str, Any]

    def __init__(
        self,
        gain: GainLike = 1.0,
        c01b: bool = False,
        *,
        mode: str = "fan_in",
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        He.__init__(
            cast(He, self),
            self._initializer,
            gain,
            c01b,
            mode=mode,
            layout=layout,
            in_axis=in_axis,
            out_axis=out_axis,
            batch_axis=batch_axis,
            input_axes=input_axes,
            output_axes=output_axes,
        )
        del self._config["initializer"]  # implied by the class


class HeNormal(_HePreset, He):
    """N(0, std**2) with std = gain / sqrt(fan_in), untruncated.

    Default gain 1.0 as in Lasagne (= LeCun normal, untruncated); use
    ``gain='relu'`` for He's ReLU initialisation (torch ``kaiming_normal_``).

    >>> import weightinit as wi
    >>> w = wi.HeNormal(gain="relu")((200, 50), rng=0)
    >>> bool(abs(w.std() - 0.1) < 0.005)
    True
    """

    _initializer = Normal


class HeUniform(_HePreset, He):
    """U(-b, b) with b = gain * sqrt(3 / fan_in).

    Default gain 1.0 as in Lasagne; ``gain='relu'`` gives torch's
    ``kaiming_uniform_`` and Keras/JAX ``he_uniform``: sqrt(6 / fan_in).

    >>> import weightinit as wi
    >>> w = wi.HeUniform()((300, 200), rng=0)
    >>> bool(abs(w).max() <= 0.1)
    True
    """

    _initializer = Uniform


# --- fan-based: Keras/JAX variance scaling -------------------------------------

_VS_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
_VS_DISTRIBUTIONS = ("truncated_normal", "normal", "untruncated_normal", "uniform")


class VarianceScaling(_FanBased, Initializer):
    """Values with variance ``scale / n`` (Keras 3 / JAX ``variance_scaling``).

    n = max(1, fan_in), max(1, fan_out), max(1, (fan_in + fan_out) / 2) or
    max(1, sqrt(fan_in fan_out)) for ``mode`` fan_in, fan_out, fan_avg,
    fan_geo_avg. ``scale`` multiplies the **variance** (scale = gain**2).

    * ``"truncated_normal"``: N(0, s**2) truncated to ±2 s with
      s = sqrt(scale / n) / 0.87962566103423978, so the values have variance
      scale / n;
    * ``"normal"`` / ``"untruncated_normal"``: N(0, scale / n) (JAX's meaning of
      "normal"; Keras maps "normal" to truncated);
    * ``"uniform"``: U(±sqrt(3 scale / n)).

    Parameters
    ----------
    scale : float
        Positive (default 1.0).
    mode : str
        Default ``"fan_in"``.
    distribution : str
        Default ``"truncated_normal"``.
    layout, in_axis, out_axis, batch_axis
        As in :func:`weightinit.fans`; default Lasagne's layout.

    Examples
    --------
    >>> import weightinit as wi
    >>> he_keras = wi.VarianceScaling(2.0, "fan_in", "truncated_normal", layout="keras")
    >>> w = he_keras((3, 3, 64, 128), rng=0)
    >>> bool(abs(w.std() - (2 / 576) ** 0.5) < 0.002)
    True
    """

    _writes_bfloat16 = True  # the core writes bfloat16 bits (weightinit/_base.py)

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        *,
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        self.scale = check.finite(scale, "scale")
        if not self.scale > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")
        self.mode = check.choice(mode, "mode", _VS_MODES)
        self.distribution = check.choice(distribution, "distribution", _VS_DISTRIBUTIONS)
        self._fans = FanSpec(layout, False, in_axis, out_axis, batch_axis, input_axes, output_axes)
        self._config = {
            "scale": scale,
            "mode": mode,
            "distribution": distribution,
            **_layout_config(layout, in_axis, out_axis, batch_axis, input_axes, output_axes),
        }

    def variance(self, shape: Sequence[int]) -> float:
        """The target variance scale / n for ``shape``."""
        fan_in, fan_out = self.fans(shape)
        n = {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "fan_avg": (fan_in + fan_out) / 2.0,
            "fan_geo_avg": math.sqrt(fan_in * fan_out),
        }[self.mode]
        return self.scale / max(1.0, n)

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        sd = math.sqrt(self.variance(shape))
        name = f"scale={self.scale!r}"
        if self.distribution == "uniform":
            _uniform_in_dtype(-math.sqrt(3.0) * sd, math.sqrt(3.0) * sd, dtype, (name, name))
        elif self.distribution == "truncated_normal":
            check.within_dtype(2.0 * sd / TRUNCATED_STD_2, name, dtype, "values up to")
        else:
            _sampling.normal_in_dtype(0.0, sd, dtype, "std")

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        variance = self.variance(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            _uniform_fill(-limit, limit, shape, out, start, key, stream)
        elif out.dtype.kind == "c" and self.distribution == "truncated_normal":
            std = math.sqrt(variance) / _complex.TRUNCATED_RADIUS_STD_2
            _complex.truncated(0.0, std, 2.0, shape, out, start, key, stream)
        elif out.dtype.kind == "c":
            _complex.normal(0.0, math.sqrt(variance), shape, out, start, key, stream)
        elif self.distribution == "truncated_normal":
            std = math.sqrt(variance) / TRUNCATED_STD_2
            _core_fill(
                _sampling.TRUNCATED_NORMAL,
                [0.0, std, -2.0, 2.0, 0.0],
                shape,
                out,
                start,
                key,
                stream,
            )
        else:
            _core_fill(_sampling.NORMAL, [0.0, math.sqrt(variance)], shape, out, start, key, stream)


class _VarianceScalingPreset:
    """The constructor of VarianceScaling with fixed (scale, mode, distribution)."""

    _preset: ClassVar[tuple[float, str, str]]
    _config: dict[str, Any]

    def __init__(
        self,
        *,
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        VarianceScaling.__init__(
            cast(VarianceScaling, self),
            *self._preset,
            layout=layout,
            in_axis=in_axis,
            out_axis=out_axis,
            batch_axis=batch_axis,
            input_axes=input_axes,
            output_axes=output_axes,
        )
        self._config = _layout_config(
            layout, in_axis, out_axis, batch_axis, input_axes, output_axes
        )


class LeCunNormal(_VarianceScalingPreset, VarianceScaling):
    """Truncated normal with variance 1 / fan_in (LeCun et al. 1998; Keras/JAX
    ``lecun_normal``, Flax's default kernel initializer):
    ``VarianceScaling(1.0, "fan_in", "truncated_normal")``.

    The right choice for SELU networks (Klambauer et al. 2017).

    >>> import weightinit as wi
    >>> w = wi.LeCunNormal()((400, 300), rng=0)
    >>> bool(abs(w.std() - 0.05) < 0.001)
    True
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class LeCunUniform(_VarianceScalingPreset, VarianceScaling):
    """U(±sqrt(3 / fan_in)): variance 1 / fan_in (Keras/JAX ``lecun_uniform``):
    ``VarianceScaling(1.0, "fan_in", "uniform")``.

    >>> import weightinit as wi
    >>> w = wi.LeCunUniform()((300, 200), rng=0)
    >>> bool(abs(w).max() <= 0.1)
    True
    """

    _preset = (1.0, "fan_in", "uniform")


class FanInUniform(_FanBased, Initializer):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)): the classic fan-in heuristic.

    From LeCun, Bottou, Orr & Müller (1998), "Efficient BackProp"; also what
    torch's ``nn.Linear`` and ``nn.ConvNd`` use by default
    (``kaiming_uniform_(w, a=sqrt(5))``, with ``layout="torch"``). Its variance
    is **1 / (3 fan_in)**, a third of LeCun's target 1 / fan_in: activations
    shrink through deep stacks, so prefer :class:`LeCunUniform` for new models.

    >>> import weightinit as wi
    >>> w = wi.FanInUniform(layout="torch")((256, 100), rng=0)   # Linear(100, 256)
    >>> bool(abs(w).max() <= 0.1)
    True
    """

    _writes_bfloat16 = True  # the core writes bfloat16 bits (weightinit/_base.py)

    def __init__(
        self,
        *,
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        self._fans = FanSpec(layout, False, in_axis, out_axis, batch_axis, input_axes, output_axes)
        self._config = _layout_config(
            layout, in_axis, out_axis, batch_axis, input_axes, output_axes
        )

    def bound(self, shape: Sequence[int]) -> float:
        """1 / sqrt(fan_in) for ``shape``."""
        return 1.0 / math.sqrt(max(self.fans(shape)[0], 1))

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        b = self.bound(shape)
        _uniform_fill(-b, b, shape, out, start, key, stream)


class UniformScaling(_FanBased, Initializer):
    """U(±scale sqrt(3 / fan_in)): Haiku's ``UniformScaling(scale=1.0)``.

    Variance scale**2 / fan_in (``scale`` multiplies the bound, i.e. the
    std): ``UniformScaling(1.0)`` is :class:`LeCunUniform`'s distribution.
    Haiku's fan_in is ``prod(shape[:-1])``: the same as ``layout="jax"``
    (the JAX adapter's default) for kernels ``(*kernel, in, out)``, and as the
    default Lasagne layout for 2-D ``(in, out)``.

    >>> import weightinit as wi
    >>> w = wi.UniformScaling(2.0)((300, 200), rng=0)
    >>> bool(abs(w).max() <= 0.2)
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        *,
        layout: str | None = None,
        in_axis: Axes | None = None,
        out_axis: Axes | None = None,
        batch_axis: Axes | None = None,
        input_axes: Axes | None = None,
        output_axes: Axes | None = None,
    ) -> None:
        self.scale = check.non_negative(scale, "scale")
        self._fans = FanSpec(layout, False, in_axis, out_axis, batch_axis, input_axes, output_axes)
        self._config = {
            "scale": scale,
            **_layout_config(layout, in_axis, out_axis, batch_axis, input_axes, output_axes),
        }

    def bound(self, shape: Sequence[int]) -> float:
        """scale sqrt(3 / fan_in) for ``shape``."""
        return self.scale * math.sqrt(3.0 / max(self.fans(shape)[0], 1))

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        b = self.bound(shape)
        check.within_dtype(b, "scale", dtype, "values up to")
        _uniform_in_dtype(-b, b, dtype, ("scale", "scale"))

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        b = self.bound(shape)
        _uniform_fill(-b, b, shape, out, start, key, stream)


# --- structural ------------------------------------------------------------------


class Identity(Initializer):
    """gain times the (rectangular) identity: W[i, i] = gain, zero elsewhere.

    torch ``eye_``, Keras ``Identity``: 2-D only. With ``batched=True`` it is
    Haiku's ``Identity``: any shape of rank >= 2 holds the identity in its last
    two axes, for every index of the leading ones.

    >>> import weightinit as wi
    >>> wi.Identity()((2, 3)).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    >>> wi.Identity(batched=True)((2, 2, 2)).tolist()
    [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]
    """

    def __init__(self, gain: GainLike = 1.0, *, batched: bool = False) -> None:
        self.gain = resolve_gain(gain)
        self.batched = _flag(batched, "batched")
        self._config = {"gain": gain}
        if self.batched:
            self._config["batched"] = True

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        pass  # structural: real values, imaginary part 0

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if self.batched and len(shape) < 2:
            raise ShapeError(
                f"Identity(batched=True) needs a shape of rank >= 2, got shape {shape} of rank "
                f"{len(shape)}"
            )
        if not self.batched and len(shape) != 2:
            raise ShapeError(
                f"Identity only works with shapes of length 2, got shape {shape} of rank "
                f"{len(shape)} (batched=True puts the identity in the last two axes)"
            )

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        check.within_dtype(self.gain, "gain", dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        out[...] = 0
        r0, c0 = start[-2:]
        rows, cols = out.shape[-2:]
        i = np.arange(max(r0, c0), min(r0 + rows, c0 + cols))
        out[..., i - r0, i - c0] = self.gain


class Dirac(Initializer):
    """Dirac delta kernels: a convolution with them is the identity (torch ``dirac_``).

    Layout ``(out, in, *kernel)``. For each group g < groups and
    d < min(out // groups, in): W[g (out // groups) + d, d, k0 // 2, k1 // 2, ...] = gain
    (torch's centre ``k // 2``; JAX's ``delta_orthogonal`` uses ``(k - 1) // 2``),
    zero elsewhere. On 2-D shapes it is the identity, so Lasagne-style code
    can sample it at any rank from 2 to 5.

    Parameters
    ----------
    groups : int
        Number of groups (``out`` must be divisible by it). Default 1.
    gain : float or str
        Value of the delta. Default 1.0.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.Dirac()((4, 4, 3, 3))
    >>> w[:, :, 1, 1].tolist() == wi.Identity()((4, 4)).tolist()
    True
    """

    def __init__(self, groups: int = 1, gain: GainLike = 1.0) -> None:
        self.groups = groups = check.positive_int(groups, "groups")
        self.gain = resolve_gain(gain)
        self._config = {"groups": groups, "gain": gain}

    def _check_complex(self, dtype: np.dtype[Any]) -> None:
        pass  # structural: real values, imaginary part 0

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if not 2 <= len(shape) <= 5:
            raise ShapeError(
                f"Dirac only works with shapes of length 2, 3, 4 or 5, got shape {shape}"
            )
        if shape[0] % self.groups:
            raise ShapeError(
                f"dim 0 must be divisible by groups: shape {shape}, groups={self.groups}"
            )

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        check.within_dtype(self.gain, "gain", dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        out[...] = 0
        per_group = shape[0] // self.groups
        d = np.arange(min(per_group, shape[1]))
        rows = (np.arange(self.groups)[:, None] * per_group + d).ravel()
        cols = np.tile(d, self.groups)
        index = [rows, cols] + [np.full(rows.size, k // 2) for k in shape[2:]]
        inside = np.ones(rows.size, dtype=bool)
        for axis, idx in enumerate(index):
            inside &= (idx >= start[axis]) & (idx < start[axis] + out.shape[axis])
        out[tuple(idx[inside] - start[axis] for axis, idx in enumerate(index))] = self.gain


_SPARSE_UNIT_AXIS = {"lasagne": 1, "keras": 1, "jax": 1, "torch": 0}


class Sparse(Initializer):
    """Sparse initialisation (Martens 2010): a fixed number of non-zero
    incoming weights per unit, drawn N(0, std**2); zeros elsewhere.

    Lasagne's semantics: on ``(n_inputs, n_units)`` weights every column gets
    exactly ``k = int(sparsity * n_inputs)`` non-zeros at uniformly random,
    distinct rows, so ``sparsity`` is the fraction of **non-zeros** (torch's
    ``sparse_`` counts zeros instead). Each unit's index set (Floyd's
    algorithm) and values come from their own sub-streams, so any block of
    units is generated alone, in C++, bit-identically.

    Parameters
    ----------
    sparsity : float in [0, 1]
        Fraction of non-zero weights per unit (default 0.1).
    std : float
        Standard deviation of the non-zeros (default 0.01).
    nonzeros : int, optional
        Exact count k per unit instead of ``sparsity`` (Martens used 15).
    layout : {"lasagne", "keras", "jax", "torch"}, optional
        Where the units are: columns of ``(in, out)`` (default), or rows of
        torch's ``(out, in)``.

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.Sparse(sparsity=0.1)((10, 20), rng=0)
    >>> (w != 0).sum(axis=0).tolist() == [1] * 20
    True
    """

    _writes_bfloat16 = True  # the core writes bfloat16 bits (weightinit/_base.py)

    def __init__(
        self,
        sparsity: float = 0.1,
        std: float = 0.01,
        *,
        nonzeros: int | None = None,
        layout: str | None = None,
    ) -> None:
        self.sparsity = check.finite(sparsity, "sparsity")
        if not 0.0 <= self.sparsity <= 1.0:
            raise ValueError(f"sparsity must be in [0, 1], got {sparsity!r}")
        self.std = check.non_negative(std, "std")
        if nonzeros is not None:
            nonzeros = check.non_negative_int(nonzeros, "nonzeros")
        self.nonzeros = nonzeros
        self.layout = check.layout(layout, check.FRAMEWORK_LAYOUTS) or "lasagne"
        self._config = {"sparsity": sparsity, "std": std}
        if nonzeros is not None:
            self._config["nonzeros"] = nonzeros
        if layout is not None:
            self._config["layout"] = layout

    def _unit_axis(self) -> int:
        return _SPARSE_UNIT_AXIS[self.layout]

    def count(self, shape: Sequence[int]) -> int:
        """Non-zeros per unit for ``shape``: int(sparsity * n_inputs) or ``nonzeros``."""
        n_inputs = shape[1 - self._unit_axis()]
        return int(self.sparsity * n_inputs) if self.nonzeros is None else self.nonzeros

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 2:
            raise ShapeError(
                f"sparse initializer only works with shapes of length 2 (got shape {shape})"
            )
        n_inputs = shape[1 - self._unit_axis()]
        if self.nonzeros is not None and self.nonzeros > n_inputs:
            raise ShapeError(
                f"nonzeros={self.nonzeros} is more than the {n_inputs} inputs of shape {shape}"
            )

    def _check_values(self, shape: tuple[int, ...], dtype: np.dtype[Any]) -> None:
        _sampling.normal_in_dtype(0.0, self.std, dtype)

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        _core.sparse_fill(
            key,
            stream,
            list(shape),
            list(start),
            out,
            self.count(shape),
            self.std,
            self._unit_axis(),
            out.dtype == _bfloat16.BITS,  # bfloat16 bits (weightinit/_base.py)
        )


class TorchSparse(Initializer):
    """torch's ``sparse_(tensor, sparsity, std)``: on the 2-D array **as stored**,
    every column gets exactly ``ceil(sparsity * rows)`` zeros at uniformly random,
    distinct rows; the other elements are N(0, std**2).

    ``sparsity`` is the fraction of **zeros** (Lasagne's :class:`Sparse` counts
    non-zeros per unit). On torch's ``(out, in)`` weights a column is one
    input's outgoing weights. No layout applies: the adapters pass it the
    tensor's own shape, so ``weightinit.torch.init_(w, TorchSparse(s, std))``
    is ``torch.nn.init.sparse_(w, s, std)`` in distribution. Each column's index
    set and values come from their own sub-streams (the same machinery as
    :class:`Sparse`), so any block is generated alone, bit-identically.

    Parameters
    ----------
    sparsity : float in [0, 1]
        Fraction of zeros per column (default 0.1; torch requires it).
    std : float
        Standard deviation of the non-zeros (default 0.01, torch's).

    Examples
    --------
    >>> import weightinit as wi
    >>> w = wi.TorchSparse(0.15)((32, 33), rng=0)
    >>> (w == 0).sum(axis=0).tolist() == [5] * 33    # ceil(0.15 * 32) = 5
    True
    """

    def __init__(self, sparsity: float = 0.1, std: float = 0.01) -> None:
        self.sparsity = check.finite(sparsity, "sparsity")
        if not 0.0 <= self.sparsity <= 1.0:
            raise ValueError(f"sparsity must be in [0, 1], got {sparsity!r}")
        self.std = check.non_negative(std, "std")
        self._config = {"sparsity": sparsity, "std": std}

    def zeros(self, shape: Sequence[int]) -> int:
        """Zeros per column: ``ceil(sparsity * rows)``, computed as torch computes it."""
        return min(math.ceil(self.sparsity * shape[0]), shape[0])

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 2:
            raise ShapeError(f"Only tensors with 2 dimensions are supported (got shape {shape})")

    def _fill_block(
        self, shape: tuple[int, ...], out: Array, start: Sequence[int], key: int, stream: int
    ) -> None:
        keep = shape[0] - self.zeros(shape)
        _core.sparse_fill(key, stream, list(shape), list(start), out, keep, self.std, 1)


# Orthogonal and DeltaOrthogonal live with the QR code, the convolution,
# Hadamard and STFT kernels in their own modules; re-exported here so this
# module lists Lasagne's eleven and the rest in one place.
from .convolution import (  # noqa: E402
    ConvolutionOrthogonal1D,
    ConvolutionOrthogonal2D,
    ConvolutionOrthogonal3D,
)
from .hadamard import Hadamard, ZerO  # noqa: E402
from .orthogonal import DeltaOrthogonal, Orthogonal  # noqa: E402
from .stft import STFT  # noqa: E402
