"""Lasagne's own ``lasagne/tests/test_init.py`` (docs/peers.md 1.11), re-expressed against
``import weightinit as init``: the same calls, shapes and bounds.

The statistical bounds are Lasagne's (loose: several standard errors wide); the
global seed is fixed per test so they are deterministic here.
"""

import numpy as np
import pytest

import weightinit as init


@pytest.fixture(autouse=True)
def _seeded():
    init.set_seed(20150415)


def test_initializer_sample():
    with pytest.raises(NotImplementedError):
        init.Initializer().sample((100, 100))


def test_shape():
    # Lasagne's walk: direct subclasses; where one has subclasses, each of those.
    checked = []
    for klass in init.Initializer.__subclasses__():
        if klass.__module__.startswith("tests.") or klass.__module__.startswith("test_"):
            continue  # subclasses other test files define
        if len(klass.__subclasses__()):
            for sub_klass in klass.__subclasses__():
                assert sub_klass().sample((12, 23)).shape == (12, 23)
                checked.append(sub_klass.__name__)
        else:
            assert klass().sample((12, 23)).shape == (12, 23)
            checked.append(klass.__name__)
    expected = {
        "Zeros",
        "Ones",
        "Normal",
        "Uniform",
        "GlorotNormal",
        "GlorotUniform",
        "HeNormal",
        "HeUniform",
        "Sparse",
        "TruncatedNormal",
        "LeCunNormal",
        "LeCunUniform",
        "FanInUniform",
        "Identity",
        "Dirac",
        "Orthogonal",
        "DeltaOrthogonal",
    }
    assert expected <= set(checked)


@pytest.mark.parametrize(
    "make",
    [
        init.Normal,
        init.Uniform,
        init.GlorotNormal,
        init.GlorotUniform,
        init.Sparse,
        init.Orthogonal,
    ],
)
def test_specified_rng(make):
    seed = 123456789
    init.set_rng(np.random.RandomState(seed))
    sample1 = make().sample((100, 100))
    init.set_rng(np.random.RandomState(seed))
    sample2 = make().sample((100, 100))
    assert np.allclose(sample1, sample2)


def test_normal():
    sample = init.Normal().sample((100, 200))
    assert -0.001 < sample.mean() < 0.001
    assert 0.009 < sample.std() < 0.011


def test_uniform_range_as_number():
    sample = init.Uniform(1.0).sample((300, 400))
    assert sample.shape == (300, 400)
    assert -1.0 <= sample.min() < -0.9
    assert 0.9 < sample.max() <= 1.0


def test_uniform_range_as_range():
    sample = init.Uniform((0.0, 1.0)).sample((300, 400))
    assert sample.shape == (300, 400)
    assert 0.0 <= sample.min() < 0.1
    assert 0.9 < sample.max() <= 1.0


def test_uniform_mean_std():
    sample = init.Uniform(std=1.0, mean=5.0).sample((300, 400))
    assert 4.9 < sample.mean() < 5.1
    assert 0.9 < sample.std() < 1.1


def test_glorot_normal():
    sample = init.GlorotNormal().sample((100, 100))
    assert -0.01 < sample.mean() < 0.01
    assert 0.09 < sample.std() < 0.11


def test_glorot_1d_not_supported():
    with pytest.raises(RuntimeError):
        init.GlorotNormal().sample((100,))


def test_glorot_normal_receptive_field():
    sample = init.GlorotNormal().sample((50, 50, 2))
    assert -0.01 < sample.mean() < 0.01
    assert 0.09 < sample.std() < 0.11


def test_glorot_normal_gain():
    sample = init.GlorotNormal(gain=10.0).sample((100, 100))
    assert -0.1 < sample.mean() < 0.1
    assert 0.9 < sample.std() < 1.1
    sample = init.GlorotNormal(gain="relu").sample((100, 100))
    assert -0.01 < sample.mean() < 0.01
    assert 0.132 < sample.std() < 0.152


def test_glorot_normal_c01b():
    sample = init.GlorotNormal(c01b=True).sample((25, 2, 2, 25))
    assert -0.01 < sample.mean() < 0.01
    assert 0.09 < sample.std() < 0.11


@pytest.mark.parametrize(
    "klass", [init.GlorotNormal, init.GlorotUniform, init.HeNormal, init.HeUniform]
)
@pytest.mark.parametrize("shape", [(100,), (100, 100), (100, 100, 100)])
def test_c01b_4d_only(klass, shape):
    with pytest.raises(RuntimeError, match="If c01b is True, only shapes of length 4 are accepted"):
        klass(c01b=True).sample(shape)


def test_glorot_uniform():
    sample = init.GlorotUniform().sample((150, 450))
    assert -0.1 <= sample.min() < -0.09
    assert 0.09 < sample.max() <= 0.1


def test_glorot_uniform_receptive_field():
    sample = init.GlorotUniform().sample((150, 150, 2))
    assert -0.10 <= sample.min() < -0.09
    assert 0.09 < sample.max() <= 0.10


def test_glorot_uniform_gain():
    sample = init.GlorotUniform(gain=10.0).sample((150, 450))
    assert -1.0 <= sample.min() < -0.9
    assert 0.9 < sample.max() <= 1.0
    sample = init.GlorotUniform(gain="relu").sample((100, 100))
    assert -0.01 < sample.mean() < 0.01
    assert 0.132 < sample.std() < 0.152


def test_glorot_uniform_c01b():
    sample = init.GlorotUniform(c01b=True).sample((75, 2, 2, 75))
    assert -0.1 <= sample.min() < -0.09
    assert 0.09 < sample.max() <= 0.1


def test_he_normal():
    sample = init.HeNormal().sample((100, 100))
    assert -0.01 < sample.mean() < 0.01
    assert 0.09 < sample.std() < 0.11


def test_he_1d_not_supported():
    with pytest.raises(RuntimeError, match="only works with shapes of length >= 2"):
        init.HeNormal().sample((100,))


def test_he_normal_receptive_field():
    sample = init.HeNormal().sample((50, 50, 2))
    assert -0.01 < sample.mean() < 0.01
    assert 0.09 < sample.std() < 0.11


def test_he_normal_gain():
    sample = init.HeNormal(gain=10.0).sample((100, 100))
    assert -0.1 < sample.mean() < 0.1
    assert 0.9 < sample.std() < 1.1
    # (200, 50): fan_in = shape[0] = 200, so std = sqrt(2) / sqrt(200) = 0.1.
    sample = init.HeNormal(gain="relu").sample((200, 50))
    assert -0.1 < sample.mean() < 0.1
    assert 0.07 < sample.std() < 0.12


def test_he_normal_c01b():
    sample = init.HeNormal(c01b=True).sample((25, 2, 2, 25))
    assert -0.01 < sample.mean() < 0.01
    assert 0.09 < sample.std() < 0.11


def test_he_uniform():
    sample = init.HeUniform().sample((300, 200))  # bound sqrt(3 / 300) = 0.1
    assert -0.1 <= sample.min() < -0.09
    assert 0.09 < sample.max() <= 0.1


def test_he_uniform_receptive_field():
    sample = init.HeUniform().sample((150, 150, 2))
    assert -0.10 <= sample.min() < -0.09
    assert 0.09 < sample.max() <= 0.10


def test_he_uniform_gain():
    sample = init.HeUniform(gain=10.0).sample((300, 200))
    assert -1.0 <= sample.min() < -0.9
    assert 0.9 < sample.max() <= 1.0
    sample = init.HeUniform(gain="relu").sample((100, 100))
    assert -0.1 < sample.mean() < 0.1
    assert 0.1 < sample.std() < 0.2


def test_he_uniform_c01b():
    sample = init.HeUniform(c01b=True).sample((75, 2, 2, 75))
    assert -0.1 <= sample.min() < -0.09
    assert 0.09 < sample.max() <= 0.1


def test_constant():
    sample = init.Constant(1.0).sample((10, 20))
    assert (sample == 1.0).all()


def test_sparse():
    sample = init.Sparse(sparsity=0.1).sample((10, 20))
    assert (sample != 0.0).sum() == (10 * 20) * 0.1


def test_sparse_1d_not_supported():
    with pytest.raises(RuntimeError, match="sparse initializer only works with shapes of length 2"):
        init.Sparse().sample((100,))


def test_orthogonal():
    sample = init.Orthogonal().sample((100, 200))
    assert np.allclose(np.dot(sample, sample.T), np.eye(100), atol=1e-6)
    sample = init.Orthogonal().sample((200, 100))
    assert np.allclose(np.dot(sample.T, sample), np.eye(100), atol=1e-6)


def test_orthogonal_gain():
    gain = 2
    sample = init.Orthogonal(gain).sample((100, 100))
    assert np.allclose(np.dot(sample, sample.T), gain * gain * np.eye(100), atol=1e-6)
    gain = np.sqrt(2)
    sample = init.Orthogonal("relu").sample((100, 100))
    assert np.allclose(np.dot(sample, sample.T), gain * gain * np.eye(100), atol=1e-6)


def test_orthogonal_multi():
    sample = init.Orthogonal().sample((100, 50, 80))
    sample = sample.reshape(100, 50 * 80)
    assert np.allclose(np.dot(sample, sample.T), np.eye(100), atol=1e-6)


def test_orthogonal_1d_not_supported():
    with pytest.raises(RuntimeError):
        init.Orthogonal().sample((100,))
