"""Fan rules against plain-numpy re-implementations of each peer's code.

docs/peers.md 1.5 (Lasagne), 2.1 (torch), 3.3 (Keras), 4.3 (JAX).
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import weightinit as wi

# --- reference implementations, written from the peers' source -----------------


def lasagne_fans(shape, c01b=False):
    # lasagne/init.py: Glorot uses (n1 + n2) * rf; He uses fan_in as below.
    if c01b:
        if len(shape) != 4:
            raise RuntimeError("If c01b is True, only shapes of length 4 are accepted")
        rf = shape[1] * shape[2]
        return int(np.prod(shape[:3])), shape[3] * rf
    if len(shape) < 2:
        raise RuntimeError("This initializer only works with shapes of length >= 2")
    if len(shape) == 2:
        return shape[0], shape[1]
    return int(np.prod(shape[1:])), shape[0] * int(np.prod(shape[2:]))


def torch_fans(shape):
    if len(shape) < 2:
        raise ValueError("fewer than 2 dimensions")
    rf = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * rf, shape[0] * rf


def keras_fans(shape):
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    rf = 1
    for d in shape[:-2]:
        rf *= d
    return shape[-2] * rf, shape[-1] * rf


def jax_fans(shape, in_axis=-2, out_axis=-1, batch_axis=()):
    def size(axes):
        axes = axes if isinstance(axes, (list, tuple)) else [axes]
        return int(np.prod([shape[a] for a in axes]))

    in_size, out_size, batch_size = size(in_axis), size(out_axis), size(batch_axis)
    rf = np.prod(shape) / in_size / out_size / batch_size
    return in_size * rf, out_size * rf


shapes = st.lists(st.integers(1, 9), min_size=2, max_size=5).map(tuple)


@given(shapes)
def test_layouts_match_peer_code(shape):
    assert wi.fans(shape) == lasagne_fans(shape)
    assert wi.fans(shape, layout="lasagne") == lasagne_fans(shape)
    assert wi.fans(shape, layout="torch") == torch_fans(shape)
    assert wi.fans(shape, layout="keras") == keras_fans(shape)
    assert wi.fans(shape, layout="jax") == jax_fans(shape)
    if len(shape) == 4:
        assert wi.fans(shape, c01b=True) == lasagne_fans(shape, c01b=True)
        assert wi.fans(shape, layout="c01b") == lasagne_fans(shape, c01b=True)


@given(st.lists(st.integers(1, 6), min_size=3, max_size=5).map(tuple), st.data())
def test_explicit_axes_match_jax(shape, data):
    n = len(shape)
    perm = data.draw(st.permutations(range(n)))
    k_in = data.draw(st.integers(0, 2))
    k_out = data.draw(st.integers(1, 2))
    k_batch = data.draw(st.integers(0, n - k_in - k_out)) if n - k_in - k_out > 0 else 0
    in_axis = tuple(perm[:k_in])
    out_axis = tuple(perm[k_in : k_in + k_out])
    batch_axis = tuple(perm[k_in + k_out : k_in + k_out + k_batch])
    got = wi.fans(shape, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis)
    ref = jax_fans(shape, in_axis, out_axis, batch_axis)
    assert got == tuple(int(round(r)) for r in ref)
    assert all(isinstance(f, int) for f in got)


def test_documented_examples():
    assert wi.fans((784, 256)) == (784, 256)
    assert wi.fans((64, 32, 3, 3)) == (288, 576)
    assert wi.fans((64, 32, 3, 3), layout="torch") == (288, 576)
    assert wi.fans((256, 784), layout="torch") == (784, 256)
    assert wi.fans((3, 3, 32, 64), layout="keras") == (288, 576)
    # Lasagne 2-D and N-D differ: (50, 50, 2) -> fan_in 100 (Lasagne), 2500 (Keras)
    assert wi.fans((50, 50, 2))[0] == 100
    assert wi.fans((50, 50, 2), layout="keras")[0] == 2500
    # Depthwise (k, k, channels, multiplier): channels are a batch axis.
    assert wi.fans((3, 3, 32, 1), batch_axis=2, in_axis=(), out_axis=3) == (9, 9)
    # Keras MHA query kernel (d_model, heads, head_dim): in 0, out (1, 2).
    assert wi.fans((512, 8, 64), in_axis=0, out_axis=(1, 2)) == (512, 512)
    # Transposed conv in Lasagne's (in, out, *k): swap by naming the axes.
    assert wi.fans((16, 32, 3, 3), in_axis=0, out_axis=1) == (144, 288)
    # JAX: empty in/out axes make 0-D and 1-D shapes work.
    assert wi.fans((), in_axis=(), out_axis=()) == (1, 1)
    assert wi.fans((7,), in_axis=(), out_axis=0) == (1, 7)
    assert wi.fans((5,), layout="keras") == (5, 5)
    assert wi.fans((), layout="keras") == (1, 1)


def test_only_in_axis_defaults_out_axis_like_jax():
    assert wi.fans((4, 5, 6), in_axis=0) == (4 * 5, 6 * 5)


@pytest.mark.parametrize(
    ("shape", "kwargs", "match"),
    [
        ((5,), {}, "shapes of length >= 2"),
        ((), {}, "shapes of length >= 2"),
        ((5,), {"layout": "torch"}, "fewer than 2 dimensions"),
        ((5,), {"layout": "jax"}, "1-dimensional"),
        ((5, 5), {"c01b": True}, "only shapes of length 4"),
        ((5, 5, 5), {"layout": "c01b"}, "only shapes of length 4"),
        ((5, 5), {"in_axis": 2}, "in_axis=2 is out of range"),
        ((5, 5), {"in_axis": 0, "out_axis": 0}, "both in_axis and out_axis"),
        ((5, 5, 3), {"batch_axis": -1, "out_axis": 2}, "both out_axis and batch_axis"),
    ],
)
def test_shape_errors_are_runtime_and_value_errors(shape, kwargs, match):
    with pytest.raises(wi.ShapeError, match=match) as info:
        wi.fans(shape, **kwargs)
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"layout": "tensorflow"}, ValueError, "unknown layout 'tensorflow'"),
        ({"layout": 3}, TypeError, "layout must be a str"),
        ({"layout": "torch", "in_axis": 0}, ValueError, "not both"),
        ({"layout": "torch", "c01b": True}, ValueError, "c01b=True is a layout"),
        ({"in_axis": 0.5}, TypeError, "in_axis must be an int"),
        ({"out_axis": [1, "a"]}, TypeError, "out_axis must be an int"),
        ({"batch_axis": True}, TypeError, "batch_axis must be an int"),
    ],
)
def test_bad_layout_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        wi.fans((4, 4, 4, 4), **kwargs)


def test_layout_names_are_case_insensitive():
    assert wi.fans((3, 4), layout="TORCH") == (4, 3)


def test_negative_and_bad_shapes():
    with pytest.raises(ValueError, match="negative"):
        wi.fans((3, -1))
    with pytest.raises(TypeError):
        wi.fans((3, 2.5))


def test_zero_sized_axes():
    assert wi.fans((0, 5)) == (0, 5)
    assert wi.fans((4, 0, 3)) == (0, 12)
    assert math.prod(wi.fans((4, 0, 3), layout="keras")) == 0
