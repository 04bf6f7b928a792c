"""An error changes no state: every check runs before a stream is taken.

For each kind of invalid call on each public entry point, the global
generator's next draw after the failed call equals the first draw after a
fresh ``set_seed`` (no stream consumed), an explicit Generator still hands
out stream 0, a numpy generator passed as ``rng`` is not drawn from, and
``save_npy`` leaves no file.
"""

import numpy as np
import pytest
from strategies import INITIALIZERS, ids

import weightinit as wi

SEED = 20261207


def _next_global_draw():
    return wi.random.normal(16).tobytes()


def _fresh_global_draw():
    wi.set_seed(SEED)
    return _next_global_draw()


def assert_no_state_change(call, exc=(TypeError, ValueError)):
    """``call(rng)`` raises ``exc`` for rng = None (global), a Generator and a numpy
    Generator, and none of the three advances."""
    expected = _fresh_global_draw()
    wi.set_seed(SEED)
    with pytest.raises(exc):
        call(None)
    assert _next_global_draw() == expected, "the failed call took a stream of the global generator"

    g = wi.Generator(3)
    with pytest.raises(exc):
        call(g)
    assert g.next_stream() == 0, "the failed call took a stream of the Generator"

    npg = np.random.default_rng(5)
    state = npg.bit_generator.state
    with pytest.raises(exc):
        call(npg)
    assert npg.bit_generator.state == state, "the failed call drew from the numpy generator"


def _read_only(shape=(4, 3)):
    a = np.zeros(shape)
    a.flags.writeable = False
    return a


def _zero_stride():
    return np.lib.stride_tricks.as_strided(
        np.zeros(4), shape=(3, 4), strides=(0, 8), writeable=True
    )


# Invalid arguments every random.* function and Generator method rejects.
BAD_COMMON = {
    "negative shape": dict(shape=(-1, 3)),
    "str shape": dict(shape="3"),
    "float shape": dict(shape=(2.5,)),
    "int dtype": dict(shape=(3,), dtype=np.int32),
    "unknown dtype": dict(shape=(3,), dtype="float42"),
    "negative stream": dict(shape=(3,), stream=-5),
    "float stream": dict(shape=(3,), stream=1.0),
    "stream too large": dict(shape=(3,), stream=2**64),
    "region rank": dict(shape=(4, 4), region=(slice(0, 2), slice(0, 2), 0)),
    "region index": dict(shape=(4, 4), region=(5,)),
    "region step": dict(shape=(4, 4), region=(slice(0, 4, 2),)),
    "no shape": dict(),
    "out list": dict(out=[1.0, 2.0]),
    "out int": dict(out=np.zeros(3, np.int64)),
    "out read-only": dict(out=_read_only()),
    "out byte order": dict(out=np.zeros(3, ">f8")),
    "out zero stride": dict(out=_zero_stride()),
    "out shape": dict(shape=(4,), out=np.zeros(3)),
    "out dtype": dict(out=np.zeros(3), dtype=np.float32),
    "out region": dict(shape=(4, 4), out=np.zeros((2, 2)), region=(slice(0, 3), slice(0, 2))),
}

BAD_PARAMETERS = {
    "uniform": [
        dict(low=1.0, high=1.0),
        dict(low="0", high=1.0),
        dict(low=np.nan),
        dict(low=-1e308, high=1e308),
    ],
    "normal": [dict(std=-1.0), dict(std="0.5"), dict(mean=np.inf), dict(std=True)],
    "truncated_normal": [
        dict(lower=1.0, upper=1.0),
        dict(lower=np.nan),
        dict(lower=40.0, upper=41.0),  # negligible mass: checked before the stream too
        dict(std=-0.1),
        dict(mean="0"),
    ],
}


@pytest.mark.parametrize("kind", sorted(BAD_PARAMETERS))
@pytest.mark.parametrize("case", sorted(BAD_COMMON))
def test_random_functions(kind, case):
    f = getattr(wi.random, kind)
    assert_no_state_change(lambda rng: f(**BAD_COMMON[case], rng=rng))


@pytest.mark.parametrize("kind", sorted(BAD_PARAMETERS))
def test_random_parameters(kind):
    f = getattr(wi.random, kind)
    for params in BAD_PARAMETERS[kind]:
        assert_no_state_change(lambda rng, p=params: f(5, **p, rng=rng))


@pytest.mark.parametrize("kind", sorted(BAD_PARAMETERS))
@pytest.mark.parametrize("case", ["negative shape", "out zero stride", "out byte order"])
def test_generator_methods(kind, case):
    # The Generator's own methods: the generator used is the one called.
    calls = [lambda g: getattr(g, kind)(**BAD_COMMON[case])]
    calls += [lambda g, p=p: getattr(g, kind)(5, **p) for p in BAD_PARAMETERS[kind]]
    for call in calls:
        g = wi.Generator(9)
        with pytest.raises((TypeError, ValueError)):
            call(g)
        assert g.next_stream() == 0


def _bad_initializer_calls(init):
    """(description, call(rng)) for every kind of invalid sample/fill call."""
    yield "negative shape", lambda rng: init.sample((-1, 4), rng=rng)
    yield "str shape", lambda rng: init.sample("6x4", rng=rng)
    yield "int dtype", lambda rng: init.sample((6, 4), dtype=np.int16, rng=rng)
    yield "bad stream", lambda rng: init.sample((6, 4), rng=rng, stream=-1)
    yield "bad region", lambda rng: init.sample((6, 4), rng=rng, region=(7,))
    yield "rank 7", lambda rng: init.sample((1,) * 7, rng=rng)  # no initializer takes it
    yield "fill read-only", lambda rng: init.fill(_read_only((6, 4)), rng=rng)
    yield "fill byte order", lambda rng: init.fill(np.zeros((6, 4), ">f4"), rng=rng)
    yield "fill zero stride", lambda rng: init.fill(_zero_stride(), rng=rng)
    yield "fill int", lambda rng: init.fill(np.zeros((6, 4), np.int32), rng=rng)
    yield (
        "fill past the end",
        lambda rng: init.fill(np.zeros((6, 4)), rng=rng, shape=(6, 4), offset=(1, 0)),
    )
    yield "fill offset without shape", lambda rng: init.fill(np.zeros((6, 4)), offset=(0, 0))
    yield (
        "fill region shape",
        lambda rng: init.fill(np.zeros((2, 2)), rng=rng, shape=(6, 4), region=np.s_[:3, :2]),
    )


def _accepts_rank_7(init):
    try:
        init._check_shape((1,) * 7)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("init", INITIALIZERS, ids=ids(INITIALIZERS))
def test_initializer_sample_and_fill(init):
    for what, call in _bad_initializer_calls(init):
        if what == "rank 7" and _accepts_rank_7(init):
            continue  # element-wise initializers take any rank: nothing invalid here
        try:
            assert_no_state_change(call)
        except AssertionError as e:
            raise AssertionError(f"{init!r}: {what}: {e}") from None


def test_shape_errors_of_structured_initializers():
    # Each initializer's own shape rule, checked before the stream is taken.
    for init, shape in [
        (wi.GlorotUniform(), (5,)),
        (wi.GlorotNormal(c01b=True), (3, 3, 3)),
        (wi.Identity(), (2, 2, 2)),
        (wi.Dirac(groups=2), (3, 3, 3)),
        (wi.Sparse(nonzeros=5), (4, 4)),
        (wi.Orthogonal(), (5,)),
        (wi.Orthogonal(column_axis=3), (4, 4)),
        (wi.DeltaOrthogonal(), (2, 4, 3, 3)),
        (wi.LeCunNormal(in_axis=5), (4, 4)),
    ]:
        assert_no_state_change(lambda rng, i=init, s=shape: i.sample(s, rng=rng), wi.ShapeError)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(rows=-1),
        dict(rows=3.0),
        dict(rows=4, cols="2"),
        dict(rows=4, dtype=np.int64),
        dict(rows=4, gain="sigmoidal"),
        dict(rows=4, gain=np.nan),
        dict(rows=4, columns=(0, 2)),
        dict(rows=4, columns=slice(0, 4, 2)),
        dict(rows=4, stream=-3),
    ],
    ids=repr,
)
def test_linalg_orthogonal(kwargs):
    assert_no_state_change(lambda rng: wi.linalg.orthogonal(**kwargs, rng=rng))


@pytest.mark.parametrize(
    "args,kwargs",
    [
        (("no_such_initializer", (4, 4)), {}),
        ((42, (4, 4)), {}),
        (("glorot_uniform", (-4, 4)), {}),
        (("glorot_uniform", (4,)), {}),  # no fans for a 1-D shape
        (("glorot_uniform", (4, 4)), dict(dtype="int8")),
        (("glorot_uniform", (4, 4)), dict(chunk_bytes=0)),
        (("glorot_uniform", (4, 4)), dict(chunk_bytes=1.5)),
        (("glorot_uniform", (4, 4)), dict(progress="yes")),
        (("glorot_uniform", (4, 4)), dict(stream=-1)),
    ],
    ids=repr,
)
def test_save_npy(tmp_path, args, kwargs):
    path = tmp_path / "w.npy"
    assert_no_state_change(lambda rng: wi.save_npy(path, *args, rng=rng, **kwargs))
    assert list(tmp_path.iterdir()) == []


def test_save_npy_into_a_missing_directory(tmp_path):
    path = tmp_path / "missing" / "w.npy"
    assert_no_state_change(lambda rng: wi.save_npy(path, "ones", (4, 4), rng=rng), OSError)
    assert list(tmp_path.iterdir()) == []


def test_spawn():
    g = wi.Generator(1)
    for bad in (-1, 1.5, "2", True):
        with pytest.raises((TypeError, ValueError)):
            g.spawn(bad)
    assert [c.key for c in g.spawn(2)] == [c.key for c in wi.Generator(1).spawn(2)]
