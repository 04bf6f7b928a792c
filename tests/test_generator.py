"""Seeds, streams and the global generator."""

import pickle
import threading

import numpy as np
import pytest

import weightinit as wi


def test_int_seed_is_stateless():
    a = wi.random.normal(100, rng=42)
    b = wi.random.normal(100, rng=42)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, wi.random.normal(100, rng=43))


def test_generator_takes_a_new_stream_per_draw():
    g = wi.Generator(5)
    a, b = g.normal(50), g.normal(50)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, wi.random.normal(50, rng=5, stream=0))
    assert np.array_equal(b, wi.random.normal(50, rng=5, stream=1))
    assert g.next_stream() == 2


def test_explicit_stream_is_stateless_and_does_not_advance():
    g = wi.Generator(5)
    a = wi.random.normal(10, rng=g, stream="layer1.weight")
    b = wi.random.normal(10, rng=g, stream="layer1.weight")
    assert np.array_equal(a, b)
    assert g.next_stream() == 0
    assert not np.array_equal(a, wi.random.normal(10, rng=g, stream="layer2.weight"))


def test_named_streams_are_order_independent():
    names = [f"block{i}.conv.weight" for i in range(6)]
    first = {n: wi.random.normal((3, 3), rng=1, stream=n) for n in names}
    second = {n: wi.random.normal((3, 3), rng=1, stream=n) for n in reversed(names)}
    assert all(np.array_equal(first[n], second[n]) for n in names)


def test_big_seeds_differ():
    a = wi.random.uniform(20, rng=2**64 + 1)
    b = wi.random.uniform(20, rng=1)
    c = wi.random.uniform(20, rng=2**200)
    assert not np.array_equal(a, b) and not np.array_equal(a, c)


def test_set_seed_repeats_sequence():
    wi.set_seed(123)
    a = [wi.random.normal(5) for _ in range(3)]
    wi.set_seed(123)
    b = [wi.random.normal(5) for _ in range(3)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], a[1])
    assert wi.get_rng().seed == 123


@pytest.mark.parametrize(
    "make", [lambda: np.random.RandomState(123456789), lambda: np.random.default_rng(123456789)]
)
def test_set_rng_from_numpy_like_lasagne(make):
    # lasagne's test_specified_rng: set_rng(RandomState(s)), sample, reset, sample again.
    wi.set_rng(make())
    a = wi.random.normal((10, 10))
    wi.set_rng(make())
    b = wi.random.normal((10, 10))
    assert np.array_equal(a, b)


def test_numpy_generator_as_rng_advances():
    g = np.random.default_rng(0)
    a = wi.random.normal(10, rng=g)
    b = wi.random.normal(10, rng=g)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, wi.random.normal(10, rng=np.random.default_rng(0)))


def test_spawn_gives_independent_reproducible_children():
    kids = wi.Generator(7).spawn(3)
    again = wi.Generator(7).spawn(3)
    assert len({k.key for k in kids}) == 3
    assert [k.key for k in kids] == [k.key for k in again]
    assert wi.Generator(7).key not in {k.key for k in kids}
    g = wi.Generator(7)
    g.spawn(2)
    assert g.spawn(1)[0].key == kids[2].key


def test_generator_pickles_with_its_position():
    g = wi.Generator(9)
    g.normal(3)
    h = pickle.loads(pickle.dumps(g))
    assert h.key == g.key and np.array_equal(h.normal(4), g.normal(4))


def test_streams_are_unique_across_threads():
    g = wi.Generator(1)
    seen, lock = [], threading.Lock()

    def work():
        mine = [g.next_stream() for _ in range(2000)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(16000))


def test_os_entropy_seeds_differ():
    assert wi.Generator().key != wi.Generator().key


def test_bad_seeds():
    with pytest.raises(ValueError, match="seed"):
        wi.Generator(-3)
    with pytest.raises(TypeError, match="seed"):
        wi.Generator(1.5)
    with pytest.raises(TypeError, match="rng"):
        wi.set_rng("abc")
