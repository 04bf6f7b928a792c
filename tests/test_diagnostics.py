"""weightinit.diagnostics: measured variances against the recursion, on numbers.

Tolerances (all on log(measured / predicted)) come from the sample sizes:

* linear stack, n units, B iid examples, l layers: the squared norm of one
  example after l Gaussian layers has relative variance 2 (l + 1) / n (the
  second moment of the product's squared singular values is l + 1), averaged
  over B independent examples; the shared weights add at most (l + 1)^2 / n^2.
* ReLU stack: ||relu(z)||^2 of an n-vector has relative variance 5 / n per
  layer (Hanin & Rolnick 2018); deep ReLU layers make examples correlated, so
  no averaging over the batch is assumed (a worst case): 5 l / n.
* one layer given its input: sum over n units of a chi-square with at least 1
  degree of freedom each: relative variance at most 2 / n.

Checks use 5 standard deviations (one-sided false-failure rate < 3e-7 each
under a normal approximation) with fixed seeds.
"""

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import weightinit as wi
from weightinit import diagnostics as dg
from weightinit import initializers as init
from weightinit.diagnostics._activations import get_activation
from weightinit.diagnostics._theory import gaussian_moments

L = 10


def _log_err(measured, predicted):
    return np.abs(np.log(np.asarray(measured) / np.asarray(predicted)))


def test_linear_stack_matches_prediction_forward_and_backward():
    n, batch = 768, 512
    r = dg.propagate(init.HeNormal(), [n] * (L + 1), "linear", batch=batch, rng=1)
    p = r.predicted.layers
    depth = np.arange(1, L + 1)
    fwd_sd = np.sqrt(2 * (depth + 1) / (n * batch) + (depth + 1) ** 2 / n**2)
    assert (_log_err(r.layers.pre_var, p.pre_var) < 5 * fwd_sd).all()
    back = L - depth + 1  # layers the gradient has crossed to reach dC/dz_l
    bwd_sd = np.sqrt(2 * (back + 1) / (n * batch) + (back + 1) ** 2 / n**2)
    assert (_log_err(r.layers.grad_pre_var, p.grad_pre_var) < 5 * bwd_sd).all()
    # Var(w) = 1/fan_in: every per-layer gain is 1, so nothing vanishes.
    np.testing.assert_allclose(p.forward_gain, 1, rtol=0.01)
    np.testing.assert_allclose(p.backward_gain, 1, rtol=0.01)
    assert (_log_err(r.layers.weight_grad_var, p.weight_grad_var) < 5 * (fwd_sd + bwd_sd)).all()


def test_relu_stack_matches_prediction():
    n, batch = 1024, 256
    r = dg.propagate(init.HeNormal(gain="relu"), [n] * (L + 1), "relu", batch=batch, rng=2)
    m, p = r.layers, r.predicted.layers
    depth = np.arange(1, L + 1)
    assert (_log_err(m.pre_var, p.pre_var) < 5 * np.sqrt(5 * depth / n)).all()
    assert (_log_err(m.grad_act_var, p.grad_act_var) < 5 * np.sqrt(5 * (L - depth + 1) / n)).all()
    # One layer at a time, given the measured input second moment E[a_{l-1}^2]:
    second = m.act_var + m.act_mean**2
    prev = np.concatenate([[r.input_second_moment], second[:-1]])
    one_step = m.fan_in * m.weight_var * prev
    assert (_log_err(m.pre_var, one_step) < 5 * math.sqrt(2 / n)).all()
    # Half the units are off at any example; E[f'] = 1/2.
    np.testing.assert_allclose(m.inactive, 0.5, atol=5 * math.sqrt(0.25 / n))
    np.testing.assert_allclose(p.backward_gain, 1, rtol=0.01)


def test_smooth_activations_follow_mean_field():
    # The Gaussian-integral predictions for tanh and sigmoid on a wide stack.
    for act in ("tanh", "sigmoid", "selu", "gelu"):
        r = dg.propagate(init.HeNormal(), [512] * 7, act, batch=512, rng=3)
        assert (_log_err(r.layers.pre_var, r.predicted.layers.pre_var) < 0.15).all(), act
        assert (_log_err(r.layers.grad_act_var, r.predicted.layers.grad_act_var) < 0.15).all()


@pytest.mark.parametrize("act", ["linear", "tanh", "relu"])
def test_normal_001_provably_vanishes(act):
    # For |f(z)| <= |z| and |f'| <= 1: q_l <= (n Var(w))^l E[x^2] and the gradient
    # shrinks at least as fast, with n Var(w) = 512 * 1e-4 = 0.0512 per layer.
    n = 512
    r = dg.propagate(init.Normal(0.01), [n] * (L + 1), act, batch=256, rng=4)
    bound = (n * 0.01**2) ** L
    assert r.layers.pre_var[-1] / r.input_second_moment < 2 * bound < 1e-12
    assert r.input_grad_var / r.output_grad_var < 2 * bound
    assert (np.diff(np.log(r.layers.pre_var)) < 0).all()


def test_he_relu_stays_in_band_over_10_layers():
    # The stated band: with He (gain sqrt(2)) and ReLU, width 512, the pre-activation
    # variance of every layer stays within a factor 2 of layer 1's, and so does the
    # back-propagated gradient of the output's (5 sigma of the ReLU model is x2.7).
    r = dg.propagate(init.HeNormal(gain="relu"), [512] * (L + 1), "relu", batch=512, rng=5)
    ratio = r.layers.pre_var / r.layers.pre_var[0]
    assert ((ratio > 0.5) & (ratio < 2)).all(), ratio
    grad = r.layers.grad_act_var / r.output_grad_var
    assert ((grad > 0.5) & (grad < 2)).all(), grad
    assert 0.5 < r.input_grad_var / r.output_grad_var < 2


def test_orthogonal_linear_stack_preserves_norms_exactly():
    # Saxe et al. (2014): a product of orthogonal matrices keeps every example's norm.
    r = dg.propagate(init.Orthogonal(), [256] * (L + 1), "linear", batch=64, dtype="float64", rng=6)
    second = r.layers.act_var + r.layers.act_mean**2
    np.testing.assert_allclose(second, r.input_second_moment, rtol=1e-10)


@pytest.mark.parametrize("name", dg.ACTIVATIONS)
def test_derivatives_match_finite_differences(name):
    act = get_activation(name, 0.2)
    z = np.linspace(-6, 6, 1201) + 1e-3  # avoid the kinks at 0
    h = 1e-6
    numeric = (act(z + h) - act(z - h)) / (2 * h)
    np.testing.assert_allclose(act.derivative(z), numeric, atol=1e-6)


def test_activations_are_stable_in_float32():
    z = np.array([-1e4, -100, 0, 100, 1e4], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is benign
        for name in dg.ACTIVATIONS:
            act = get_activation(name)
            assert act(z).dtype == np.float32 and np.isfinite(act(z)).all(), name
            assert np.isfinite(act.derivative(z)).all(), name


def test_saturation_threshold_is_where_derivative_is_a_tenth_of_its_peak():
    for name, peak in (("tanh", 1.0), ("sigmoid", 0.25)):
        act = get_activation(name)
        d = act.derivative(np.array([act.saturation_threshold]))
        assert d[0] == pytest.approx(dg.SATURATION_FRACTION * peak, rel=1e-12)


def test_gaussian_moments_against_monte_carlo():
    z = wi.random.normal((400_000,), rng=7)
    for name in dg.ACTIVATIONS:
        act = get_activation(name)
        m = gaussian_moments(act, 1.7)
        f, d = act(math.sqrt(1.7) * z), act.derivative(math.sqrt(1.7) * z)
        # 5 standard errors of the Monte Carlo means
        for key, sample in (("mean", f), ("second", f * f), ("dmean", d), ("d2", d * d)):
            se = sample.std() / math.sqrt(z.size)
            assert abs(m[key] - sample.mean()) < 5 * se + 1e-12, (name, key)


def test_predict_closed_forms():
    p = dg.predict(2 / 512, [512] * 11, "relu")
    np.testing.assert_allclose(p.layers.backward_gain, 1)
    np.testing.assert_allclose(p.layers.pre_var, 2)  # q_1 = 2 E[x^2], then constant
    np.testing.assert_allclose(p.layers.forward_gain[1:], 1)
    lin = dg.predict([1 / 100, 4 / 100], [100, 100, 100], "linear", input_second_moment=3.0)
    np.testing.assert_allclose(lin.layers.pre_var, [3.0, 12.0])
    np.testing.assert_allclose(lin.input_grad_var, 4.0)
    leaky = dg.predict(1 / 50, [50, 50], "leaky_relu", negative_slope=0.2)
    assert leaky.layers.act_second_moment[0] == pytest.approx((1 + 0.04) / 2)
    # From an initializer: the same weights propagate draws.
    r = dg.propagate(init.GlorotUniform(), [64, 32, 16], "tanh", batch=8, dtype="float64")
    q = dg.predict(init.GlorotUniform(), [64, 32, 16], "tanh")
    np.testing.assert_allclose(q.layers.weight_var, r.layers.weight_var, rtol=1e-12)


def test_result_prints_as_table_and_converts():
    r = dg.propagate(init.HeNormal(gain="relu"), [32, 16, 16, 8], "relu", batch=64)
    text = str(r)
    lines = text.splitlines()
    assert "Var(z)" in lines[1] and "dead%" in lines[1]
    assert len(lines) == 2 + 3 + 1
    rec = r.to_records()
    assert isinstance(rec, np.ndarray) and rec.shape == (3,)
    assert {"pre_var", "pred_pre_var", "grad_act_var", "pred_grad_act_var", "dead"} <= set(
        rec.dtype.names
    )
    d = r.to_dict()
    json.dumps(d)  # plain Python types only
    assert d["layers"]["fan_in"] == [32, 16, 16]
    assert d["widths"] == [32, 16, 16, 8]


def test_reproducible_and_shares_streams_between_initializers():
    a = dg.propagate(init.GlorotNormal(), [64, 64, 64], "tanh", batch=32, rng=11)
    b = dg.propagate(init.GlorotNormal(), [64, 64, 64], "tanh", batch=32, rng=11)
    assert json.dumps(a.to_dict()) == json.dumps(b.to_dict())  # NaN-safe equality
    c = dg.propagate(init.GlorotNormal(), [64, 64, 64], "tanh", batch=32, rng=12)
    assert c.layers.pre_var[0] != a.layers.pre_var[0]
    # Same streams, gain 2: the same weights times 2, so Var(z_1) is exactly 4x.
    d = dg.propagate(
        init.GlorotNormal(gain=2.0), [64, 64, 64], "linear", batch=32, rng=11, dtype="float64"
    )
    e = dg.propagate(init.GlorotNormal(), [64, 64, 64], "linear", batch=32, rng=11, dtype="float64")
    assert d.layers.pre_var[0] == pytest.approx(4 * e.layers.pre_var[0], rel=1e-12)


def test_plain_callables_and_user_inputs():
    x = wi.random.normal((40, 20), rng=0)
    r = dg.propagate(
        lambda shape: np.full(shape, 0.1),
        [20, 10, 5],
        "sigmoid",
        inputs=x,
        dtype="float64",
        label="const",
    )
    assert r.label == "const" and r.batch == 40
    assert r.layers.saturated[0] >= 0


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(widths=[16, -4, 8]), ValueError, "widths\\[1\\] must be positive"),
        (dict(widths=[16]), ValueError, "at least one layer"),
        (dict(widths=[16, 2.5]), TypeError, "must be an int"),
        (dict(activation="softplus"), ValueError, "unknown activation 'softplus'"),
        (dict(inputs=np.zeros((4, 16, 1))), ValueError, "must be 2-D"),
        (dict(inputs=np.zeros((4, 15))), ValueError, "15 features"),
        (dict(inputs=np.full((4, 16), np.nan)), ValueError, "NaN"),
        (dict(dtype="float16"), ValueError, "float32 or float64"),
        (dict(batch=1), ValueError, "batch"),
        (dict(saturation_threshold=-1.0), ValueError, "saturation_threshold"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = dict(widths=[16, 8, 8], activation="tanh")
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        dg.propagate(init.GlorotUniform(), **args)


def test_unknown_initializer_name():
    with pytest.raises(ValueError, match="unknown initializer"):
        dg.propagate("no_such_init", [8, 8], "tanh")


def test_importing_diagnostics_does_not_import_matplotlib():
    code = (
        "import sys, weightinit.diagnostics, weightinit.cli; sys.exit('matplotlib' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
