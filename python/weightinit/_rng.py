"""Seeds, keys and streams.

Every value the package produces is a pure function of (key, stream, element
index). A :class:`Generator` owns a 64-bit Philox key derived from a seed and
hands out stream ids, one per draw; an int seed or an explicit ``stream=``
makes a call stateless.
"""

from __future__ import annotations

import functools
import hashlib
import numbers
import secrets
import threading
from typing import Any, Union

import numpy as np

from . import _core, _sampling
from . import _validation as check

#: What every ``rng=`` argument accepts (None: the global generator).
RngLike = Union["Generator", int, np.random.Generator, np.random.RandomState, None]
_Array = np.ndarray[Any, np.dtype[Any]]

_MASK64 = (1 << 64) - 1
_SPAWN_TAG = 0x5350_4157_4E00_0001  # "SPAWN", keeps spawned keys apart from seeded ones


@functools.lru_cache(maxsize=1024)
def key_from_seed(seed: int) -> int:
    """64-bit Philox key of a non-negative integer seed (SplitMix64 over its 64-bit limbs)."""
    h = 0
    while True:
        h = _core.splitmix64(h ^ (seed & _MASK64))
        seed >>= 64
        if not seed:
            return h


@functools.lru_cache(maxsize=4096)
def _name_stream(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def stream_id(stream: int | str) -> int:
    """A stream id from an int in [0, 2**64) or a name such as ``"layer3.weight"``.

    Names hash (BLAKE2b, 64 bits) to a stable id, so a model's parameters get
    the same values whatever order they are initialized in.
    """
    if isinstance(stream, str):
        try:
            return _name_stream(stream)
        except UnicodeEncodeError as e:  # a lone surrogate such as "\ud800"
            raise ValueError(
                f"stream names are hashed as UTF-8, and {stream!r} is not valid UTF-8: {e.reason} "
                f"at position {e.start}"
            ) from None
    if isinstance(stream, bool) or not isinstance(stream, numbers.Integral):
        raise TypeError(f"stream must be an int or a str, got {stream!r}")
    stream = int(stream)
    if not 0 <= stream <= _MASK64:
        raise ValueError(f"stream must be in [0, 2**64), got {stream}")
    return stream


class Generator:
    """A seeded source of streams.

    Parameters
    ----------
    seed : int or None
        Non-negative integer of any size; ``None`` takes 64 bits from the
        operating system.

    Every draw that uses this generator without an explicit ``stream=``
    takes the next stream id (0, 1, 2, ...) atomically, so two threads never
    share a stream and a sequence of calls is reproducible from the seed.

    Examples
    --------
    >>> import weightinit as wi
    >>> g = wi.Generator(42)
    >>> a = wi.random.normal((2, 3), rng=g)   # stream 0
    >>> b = wi.random.normal((2, 3), rng=g)   # stream 1: different values
    """

    __slots__ = ("_key", "_seed", "_next", "_spawned", "_lock")

    _key: int
    _seed: int | None
    _next: int
    _spawned: int
    _lock: threading.Lock

    def __init__(self, seed: int | None = None) -> None:
        if seed is None:
            seed = secrets.randbits(64)
        self._seed = check.non_negative_int(seed, "seed")
        self._key = key_from_seed(self._seed)
        self._next = 0
        self._spawned = 0
        self._lock = threading.Lock()

    @classmethod
    def _from_key(cls, key: int) -> Generator:
        g = cls.__new__(cls)
        g._seed = None
        g._key = key
        g._next = 0
        g._spawned = 0
        g._lock = threading.Lock()
        return g

    @property
    def key(self) -> int:
        """The 64-bit Philox key."""
        return self._key

    @property
    def seed(self) -> int | None:
        """The seed this generator was made from (``None`` for spawned generators)."""
        return self._seed

    def next_stream(self) -> int:
        """Reserve and return the next stream id."""
        with self._lock:
            s = self._next
            self._next += 1
        return s

    def spawn(self, n: int) -> list[Generator]:
        """``n`` independent child generators (keys derived from this key and a spawn counter)."""
        n = check.non_negative_int(n, "n")
        with self._lock:
            first = self._spawned
            self._spawned += n
        return [
            Generator._from_key(_core.substream(self._key, _SPAWN_TAG, first + i)) for i in range(n)
        ]

    def __repr__(self) -> str:
        src = f"seed={self._seed}" if self._seed is not None else f"key=0x{self._key:016x}"
        return f"weightinit.Generator({src}, next_stream={self._next})"

    def __getstate__(self) -> tuple[int, int | None, int, int]:
        return (self._key, self._seed, self._next, self._spawned)

    def __setstate__(self, state: tuple[int, int | None, int, int]) -> None:
        self._key, self._seed, self._next, self._spawned = state
        self._lock = threading.Lock()

    # numpy-style convenience: g.normal(...) == weightinit.random.normal(..., rng=g)
    def uniform(
        self,
        shape: Any = None,
        low: Any = 0.0,
        high: Any = 1.0,
        *,
        dtype: Any = None,
        stream: int | str | None = None,
        out: _Array | None = None,
        region: Any = None,
    ) -> _Array:
        """:func:`weightinit.random.uniform` with ``rng=self``."""
        params = _sampling.uniform_params(low, high)
        return _sampling.fill(
            _sampling.UNIFORM, params, shape, dtype, out, region, resolve, self, stream
        )

    def normal(
        self,
        shape: Any = None,
        mean: Any = 0.0,
        std: Any = 1.0,
        *,
        dtype: Any = None,
        stream: int | str | None = None,
        out: _Array | None = None,
        region: Any = None,
    ) -> _Array:
        """:func:`weightinit.random.normal` with ``rng=self``."""
        params = _sampling.normal_params(mean, std)
        return _sampling.fill(
            _sampling.NORMAL, params, shape, dtype, out, region, resolve, self, stream
        )

    def truncated_normal(
        self,
        shape: Any = None,
        mean: Any = 0.0,
        std: Any = 1.0,
        lower: Any = -2.0,
        upper: Any = 2.0,
        preserve_std: bool = False,
        *,
        dtype: Any = None,
        stream: int | str | None = None,
        out: _Array | None = None,
        region: Any = None,
    ) -> _Array:
        """:func:`weightinit.random.truncated_normal` with ``rng=self``."""
        params = _sampling.truncated_normal_params(mean, std, lower, upper, preserve_std)
        return _sampling.fill(
            _sampling.TRUNCATED_NORMAL,
            params,
            shape,
            dtype,
            out,
            region,
            resolve,
            self,
            stream,
        )


_global = Generator()


def _from_numpy(rng: np.random.Generator | np.random.RandomState) -> Generator:
    # Deterministic in the numpy generator's state: 8 bytes drawn from it.
    return Generator(int.from_bytes(rng.bytes(8), "little"))


def as_generator(rng: RngLike) -> Generator:
    """A :class:`Generator` from a Generator, an int seed, or a numpy generator."""
    if isinstance(rng, Generator):
        return rng
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return _from_numpy(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return Generator(rng)
    raise TypeError(
        "rng must be a weightinit.Generator, an int seed, a numpy.random.Generator "
        f"or a numpy.random.RandomState, got {type(rng).__name__}"
    )


#: What ``set_rng`` was given, when it was a numpy generator (``get_rng`` returns it).
_given: np.random.Generator | np.random.RandomState | None = None


def set_seed(seed: int | None) -> None:
    """Replace the global generator by ``Generator(seed)``.

    Like ``lasagne.random.set_rng(RandomState(seed))``: later unseeded draws
    repeat the same sequence.
    """
    global _global, _given
    _global, _given = Generator(seed), None


def global_generator() -> Generator:
    """The :class:`Generator` that calls without ``rng=`` draw from."""
    return _global


def get_rng() -> Generator | np.random.RandomState | np.random.Generator:
    """The global random state, as ``lasagne.random.get_rng()``.

    The object given to :func:`set_rng` when it was a ``numpy.random.RandomState``
    or ``numpy.random.Generator`` (Lasagne's contract: its layers call
    ``get_rng().randint(1, 2147462579)`` to seed Theano's streams, and user code
    ``.shuffle``, ``.permutation``, ...). Otherwise the weightinit
    :class:`Generator` that calls without ``rng=`` draw from. Initializers never
    draw from a numpy object after ``set_rng``: they use the key taken from it
    once, there (see :func:`set_rng`), so numpy draws made between two
    initializations do not change the weights.
    """
    return _global if _given is None else _given


def set_rng(rng: RngLike) -> None:
    """Set the global random state from a Generator, an int seed, or a numpy generator.

    A ``numpy.random.RandomState`` or ``numpy.random.Generator`` gives a key
    drawn from it once, so setting the same numpy state again repeats the
    same weights (``lasagne.random.set_rng`` semantics), and :func:`get_rng`
    returns that numpy object afterwards, as Lasagne's does.
    """
    global _global, _given
    _global = as_generator(rng)
    _given = rng if isinstance(rng, (np.random.Generator, np.random.RandomState)) else None


def resolve(rng: RngLike, stream: int | str | None) -> tuple[int, int]:
    """(key, stream id) for one draw; with a Generator and no ``stream``, takes its next stream.

    Every argument check comes before the stream is taken, so a call that
    raises here changes no state. Callers run all their own checks first.
    """
    sid = None if stream is None else stream_id(stream)  # checked before any draw
    if type(rng) is int and rng >= 0:  # the common stateless call, kept cheap
        return key_from_seed(rng), 0 if sid is None else sid
    if rng is None:
        gen = _global
    elif isinstance(rng, Generator):
        gen = rng
    elif isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return key_from_seed(check.non_negative_int(rng, "rng")), 0 if sid is None else sid
    else:  # a numpy generator: one key drawn from it (the last thing that happens)
        return as_generator(rng)._key, 0 if sid is None else sid
    return gen._key, gen.next_stream() if sid is None else sid


def pinned(rng: RngLike, stream: int | str | None) -> tuple[Generator, int]:
    """Resolve once, for work split over several calls: ``(key-only Generator, stream id)``.

    Every call with the returned generator *and* the returned stream id is
    stateless (an explicit stream never advances a generator), so all parts
    of the work draw from the same (key, stream) -- with the global generator
    (``rng=None``) resolving per part would take a new stream each time.
    """
    key, sid = resolve(rng, stream)
    return Generator._from_key(key), sid
