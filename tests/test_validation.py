"""One rule per kind of argument, the same at every entry point (weightinit/_validation.py)."""

import fractions
import inspect
import pickle

import numpy as np
import pytest

import weightinit as wi
from weightinit import _validation as check

# Every place a real number is taken, as call(value).
REAL_ARGUMENTS = {
    "random.normal(std=)": lambda v: wi.random.normal(3, std=v, rng=0),
    "random.normal(mean=)": lambda v: wi.random.normal(3, mean=v, rng=0),
    "random.uniform(high=)": lambda v: wi.random.uniform(3, -1.0, v, rng=0),
    "random.truncated_normal(upper=)": lambda v: wi.random.truncated_normal(3, upper=v, rng=0),
    "Generator.normal(std=)": lambda v: wi.Generator(0).normal(3, std=v),
    "Normal(mean=)": lambda v: wi.Normal(mean=v),
    "Normal(std=)": lambda v: wi.Normal(std=v),
    "Uniform(range=)": lambda v: wi.Uniform(v),
    "Uniform(std=)": lambda v: wi.Uniform(std=v),
    "TruncatedNormal(upper=)": lambda v: wi.TruncatedNormal(upper=v),
    "Constant(val=)": lambda v: wi.Constant(v),
    "VarianceScaling(scale=)": lambda v: wi.VarianceScaling(v),
    "Sparse(std=)": lambda v: wi.Sparse(std=v),
    "Glorot(gain=)": lambda v: wi.GlorotUniform(gain=v),
    "Orthogonal(gain=)": lambda v: wi.Orthogonal(gain=v),
    "linalg.orthogonal(gain=)": lambda v: wi.linalg.orthogonal(3, gain=v, rng=0),
}


@pytest.mark.parametrize("where", sorted(REAL_ARGUMENTS))
@pytest.mark.parametrize(
    "value",
    [
        0.5,
        1,
        fractions.Fraction(1, 2),
        np.float32(0.5),
        np.float16(1.5),
        np.int64(2),
        np.array(0.5),
    ],
    ids=repr,
)
def test_real_numbers_are_accepted_everywhere(where, value):
    REAL_ARGUMENTS[where](value)


@pytest.mark.parametrize("where", sorted(REAL_ARGUMENTS))
@pytest.mark.parametrize(
    "value", ["0.5", b"1", True, np.bool_(False), 1 + 0j, None, [0.5], np.array([0.5])], ids=repr
)
def test_non_real_values_are_rejected_everywhere(where, value):
    if value is None and where == "Uniform(std=)":
        return  # std=None is Uniform's documented "use range"
    if isinstance(value, str) and "gain" in where:
        return  # a gain may be a nonlinearity name (test_gains_take_names)
    if isinstance(value, (list, np.ndarray)) and where == "Uniform(range=)":
        return  # a range may be a (low, high) pair (test_uniform_pairs)
    if isinstance(value, (list, np.ndarray)) and where == "Constant(val=)":
        return  # an array constant is broadcast (test_parity.py, issue 14)
    with pytest.raises(TypeError, match="must be a real number") as info:
        REAL_ARGUMENTS[where](value)
    name = where.split("(")[1].rstrip("=)")
    assert name in str(info.value) and repr(value) in str(info.value)


def test_gains_take_names():
    with pytest.raises(ValueError, match="gain='0.5': Unsupported nonlinearity '0.5'"):
        wi.Orthogonal(gain="0.5")
    assert wi.Orthogonal(gain="relu").gain == 2**0.5


def test_uniform_pairs():
    assert wi.Uniform(np.array([0.5, 1.0])).range == (0.5, 1.0)
    for bad in ([0.5], "0.5", (1, 2, 3)):
        with pytest.raises((TypeError, ValueError), match="range must be a real number or a"):
            wi.Uniform(bad)


def test_the_issue_example_now_agrees():
    # wi.random.normal(3, "0.5") was accepted while wi.Normal(mean="0.5") was not.
    with pytest.raises(TypeError, match="mean must be a real number, got '0.5'"):
        wi.random.normal(3, "0.5")
    with pytest.raises(TypeError, match="mean must be a real number, got '0.5'"):
        wi.Normal(mean="0.5")


def test_zero_dim_arrays_give_the_same_values_as_floats():
    assert (
        wi.random.normal(8, std=np.array(0.25), rng=3).tobytes()
        == wi.random.normal(8, std=0.25, rng=3).tobytes()
    )


@pytest.mark.parametrize(
    "call,name",
    [
        (lambda v: wi.Dirac(groups=v), "groups"),
        (lambda v: wi.Sparse(nonzeros=v), "nonzeros"),
        (lambda v: wi.Generator(v), "seed"),
        (lambda v: wi.Generator(0).spawn(v), "n"),
        (lambda v: wi.linalg.orthogonal(v, rng=0), "rows"),
        (lambda v: wi.Orthogonal(column_axis=v), "column_axis"),
        (lambda v: wi.fans((3, 4), in_axis=v, out_axis=0), "in_axis"),
    ],
)
def test_integers(call, name):
    for ok in (1, np.int32(1), np.array(1)):
        call(ok)
    for bad in (2.0, "2", True, np.bool_(True), np.array(1.0)):
        with pytest.raises(TypeError, match=name):
            call(bad)


@pytest.mark.parametrize(
    "call",
    [
        lambda v: wi.fans((3, 4), layout=v),
        lambda v: wi.GlorotUniform(layout=v),
        lambda v: wi.Orthogonal(layout=v),
        lambda v: wi.Sparse(layout=v),
    ],
)
def test_layouts(call):
    for name in check.FRAMEWORK_LAYOUTS:
        call(name)
        call(name.upper())
    with pytest.raises(ValueError, match="unknown layout 'caffe'; use one of 'lasagne'"):
        call("caffe")
    with pytest.raises(TypeError, match="layout must be a str"):
        call(3)


def test_one_list_of_layouts():
    import importlib

    assert importlib.import_module("weightinit.fans").LAYOUTS is check.LAYOUTS
    assert set(check.FRAMEWORK_LAYOUTS) == set(check.LAYOUTS) - {"c01b"}


def test_choices_name_the_argument():
    with pytest.raises(ValueError, match="unknown mode 'fan'"):
        wi.HeNormal(mode="fan")
    with pytest.raises(TypeError, match="mode must be a str"):
        wi.VarianceScaling(mode=1)
    with pytest.raises(ValueError, match="unknown mode 'q'"):
        wi.linalg.qr(np.eye(2), mode="q")
    assert wi.HeNormal(mode="FAN_OUT").mode == "fan_out"


def test_dtypes():
    for ok in ("float16", np.float32, "f8", np.dtype("float64"), np.complex64, "c16"):
        assert wi.random.normal(2, dtype=ok, rng=0).dtype == np.dtype(ok)
    for bad in ("int8", "float42", object):
        with pytest.raises(TypeError, match="dtype must be float16, bfloat16, float32 or float64"):
            wi.random.normal(2, dtype=bad, rng=0)
    with pytest.raises(TypeError, match="complex64 or complex128 when complex, got complex256"):
        wi.random.normal(2, dtype=np.clongdouble, rng=0)
    # An unpickled dtype is equal, not identical: accepted, and the builtin one comes back.
    dt = pickle.loads(pickle.dumps(np.dtype(np.float32)))
    assert check.float_dtype(dt) is np.dtype(np.float32)


def test_shapes_are_shape_errors():
    for call in (
        lambda: wi.random.normal((-1, 2)),
        lambda: wi.Normal()((-1, 2)),
        lambda: wi.fans((-1, 2)),
        lambda: wi.save_npy("unused.npy", "ones", (-1, 2)),
    ):
        with pytest.raises(wi.ShapeError, match="negative dimension -1"):
            call()


def test_as_initializer_is_one_function():
    from weightinit import _adapters, lookup

    assert _adapters.as_initializer is lookup.as_initializer
    with pytest.raises(TypeError, match="init must be a weightinit Initializer"):
        wi.save_npy("unused.npy", len, (2, 2))
    with pytest.raises(TypeError, match="initializer must be a weightinit Initializer"):
        lookup.as_initializer(len)


# --- the preset classes -------------------------------------------------------

KERAS_AXES = ["input_axes", "output_axes"]  # Keras' compute_fans axes (issue 14)
PRESETS = {
    wi.GlorotNormal: ["gain", "c01b", "layout", "in_axis", "out_axis", "batch_axis", *KERAS_AXES],
    wi.GlorotUniform: ["gain", "c01b", "layout", "in_axis", "out_axis", "batch_axis", *KERAS_AXES],
    wi.HeNormal: [
        "gain",
        "c01b",
        "mode",
        "layout",
        "in_axis",
        "out_axis",
        "batch_axis",
        *KERAS_AXES,
    ],
    wi.HeUniform: [
        "gain",
        "c01b",
        "mode",
        "layout",
        "in_axis",
        "out_axis",
        "batch_axis",
        *KERAS_AXES,
    ],
    wi.LeCunNormal: ["layout", "in_axis", "out_axis", "batch_axis", *KERAS_AXES],
    wi.LeCunUniform: ["layout", "in_axis", "out_axis", "batch_axis", *KERAS_AXES],
}
DEFAULTS = {
    "gain": 1.0,
    "c01b": False,
    "mode": "fan_in",
    "layout": None,
    "in_axis": None,
    "out_axis": None,
    "batch_axis": None,
    "input_axes": None,
    "output_axes": None,
}


@pytest.mark.parametrize("cls", PRESETS, ids=lambda c: c.__name__)
def test_preset_signatures_show_the_real_arguments(cls):
    sig = inspect.signature(cls)
    assert list(sig.parameters) == PRESETS[cls]
    for name, p in sig.parameters.items():
        assert p.default == DEFAULTS[name]
    keyword_only = [n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY]
    assert keyword_only == [n for n in PRESETS[cls] if n not in ("gain", "c01b")]
    assert "layout" in inspect.getdoc(cls) or "fan_in" in inspect.getdoc(cls)
    # help() shows the same signature.
    import pydoc

    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    # Python 3.13's pydoc wraps a long signature one parameter per line.
    for p in sig.parameters.values():
        assert str(p) in text


@pytest.mark.parametrize("cls", PRESETS, ids=lambda c: c.__name__)
def test_presets_are_direct_subclasses_of_their_family(cls):
    # Lasagne's subclass walk (test_lasagne_suite.test_shape) reaches them in one step.
    family = {"Glorot": wi.Glorot, "He": wi.He, "LeCun": wi.VarianceScaling}
    base = next(b for k, b in family.items() if cls.__name__.startswith(k))
    assert cls in base.__subclasses__()


@pytest.mark.parametrize(
    "init,expected_repr,expected_config",
    [
        (wi.GlorotNormal(), "GlorotNormal(gain=1.0, c01b=False)", {"gain": 1.0, "c01b": False}),
        (
            wi.HeUniform("relu", mode="fan_out", layout="torch"),
            "HeUniform(gain='relu', c01b=False, mode='fan_out', layout='torch')",
            {"gain": "relu", "c01b": False, "mode": "fan_out", "layout": "torch"},
        ),
        (wi.LeCunNormal(), "LeCunNormal()", {}),
        (
            wi.LeCunUniform(in_axis=0, out_axis=1),
            "LeCunUniform(in_axis=0, out_axis=1)",
            {"in_axis": 0, "out_axis": 1},
        ),
    ],
)
def test_preset_config_repr_pickle(init, expected_repr, expected_config):
    assert repr(init) == expected_repr
    assert init.get_config() == expected_config
    assert type(init).from_config(init.get_config()) == init
    clone = pickle.loads(pickle.dumps(init))
    assert clone == init and repr(clone) == expected_repr
    assert clone((6, 5), rng=2).tobytes() == init((6, 5), rng=2).tobytes()
