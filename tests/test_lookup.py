"""weightinit.get / serialize / deserialize: Keras-style names, configs, instances, callables."""

import json

import numpy as np
import pytest

import weightinit as wi

KERAS_NAMES = {
    "glorot_uniform": wi.GlorotUniform,
    "glorot_normal": wi.GlorotNormal,
    "he_normal": wi.HeNormal,
    "he_uniform": wi.HeUniform,
    "lecun_normal": wi.LeCunNormal,
    "lecun_uniform": wi.LeCunUniform,
    "truncated_normal": wi.TruncatedNormal,
    "variance_scaling": wi.VarianceScaling,
    "zeros": wi.Zeros,
    "ones": wi.Ones,
    "zero": wi.Zeros,
    "one": wi.Ones,
    "constant": wi.Constant,
    "identity": wi.Identity,
    "random_normal": wi.Normal,
    "random_uniform": wi.Uniform,
    "normal": wi.Normal,
    "uniform": wi.Uniform,
    "xavier_uniform": wi.GlorotUniform,
    "kaiming_normal": wi.HeNormal,
    "eye": wi.Identity,
    "dirac": wi.Dirac,
    "sparse": wi.Sparse,
    "fan_in_uniform": wi.FanInUniform,
    "orthogonal": wi.Orthogonal,
    "delta_orthogonal": wi.DeltaOrthogonal,
    "OrthogonalInitializer": wi.Orthogonal,
}


@pytest.mark.parametrize(("name", "cls"), KERAS_NAMES.items())
def test_names(name, cls):
    got = wi.get(name)
    assert type(got) is cls and got == cls()
    camel = "".join(part.capitalize() for part in name.split("_"))
    assert type(wi.get(camel)) is cls


def test_camel_case_spellings():
    assert type(wi.get("GlorotUniform")) is wi.GlorotUniform
    assert type(wi.get("LecunNormal")) is wi.LeCunNormal  # Keras' spelling
    assert type(wi.get("LeCunNormal")) is wi.LeCunNormal
    assert type(wi.get("RandomNormal")) is wi.Normal
    assert type(wi.get("IdentityInitializer")) is wi.Identity


def test_every_listed_name_works():
    for name in wi.lookup.names():
        assert isinstance(wi.get(name), wi.Initializer)


def test_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown initializer 'glorot_unifrom'") as info:
        wi.get("glorot_unifrom")
    assert "glorot_uniform" in str(info.value) and "he_normal" in str(info.value)


def test_composable_classes_need_arguments():
    with pytest.raises(ValueError, match="needs an initializer class"):
        wi.get("glorot")
    init = wi.get({"class_name": "Glorot", "config": {"initializer": wi.Normal, "gain": 2.0}})
    assert init == wi.Glorot(wi.Normal, 2.0)


def test_config_dicts():
    init = wi.get(
        {
            "class_name": "VarianceScaling",
            "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"},
        }
    )
    assert init == wi.VarianceScaling(2.0, "fan_out", "uniform")
    # Keras' full serialized form: extra keys are ignored.
    keras_form = {
        "module": "keras.initializers",
        "class_name": "HeNormal",
        "config": {},
        "registered_name": None,
    }
    assert wi.get(keras_form) == wi.HeNormal()
    assert wi.get({"class_name": "zeros"}) == wi.Zeros()


def test_serialize_round_trip_is_json():
    init = wi.HeUniform(gain="relu", mode="fan_out", layout="torch")
    config = wi.serialize(init)
    assert wi.get(json.loads(json.dumps(config))) == init
    assert config == {
        "class_name": "HeUniform",
        "config": {"gain": "relu", "c01b": False, "mode": "fan_out", "layout": "torch"},
    }


def test_instances_classes_callables_none():
    init = wi.Sparse(0.2)
    assert wi.get(init) is init
    assert wi.get(wi.GlorotNormal) == wi.GlorotNormal()

    def custom(shape):
        return np.ones(shape)

    assert wi.get(custom) is custom
    assert wi.get(None) is None


@pytest.mark.parametrize(
    ("identifier", "exc", "match"),
    [
        (3, TypeError, "Could not interpret initializer identifier"),
        ({"config": {}}, ValueError, "class_name"),
        ({"class_name": "normal", "config": [1]}, ValueError, "'config' must be a dict"),
        ({"class_name": "normal", "config": {"stddev": 1}}, TypeError, "cannot build Normal"),
        ({"class_name": "nope"}, ValueError, "unknown initializer 'nope'"),
    ],
)
def test_bad_identifiers(identifier, exc, match):
    with pytest.raises(exc, match=match):
        wi.get(identifier)


def test_serialize_needs_an_initializer():
    with pytest.raises(TypeError):
        wi.serialize("glorot_uniform")
