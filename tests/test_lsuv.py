"""LSUV (Mishkin & Matas 2016): weightinit.torch.lsuv and weightinit.diagnostics.lsuv.

Each layer's output variance must end within 1 +- tol on the batch LSUV saw
(exact: the algorithm's stopping rule), and within 1 +- 0.25 on a held-out
batch drawn with another seed (the sampling error of these variances is a
few percent; the numpy case even draws the held-out data's correlation
structure anew).
"""

import numpy as np
import pytest

import weightinit as wi
from weightinit.diagnostics import LSUV, lsuv, propagate

HELD_OUT_TOL = 0.25


def _mixed_data(seed, n, d):
    # Correlated (the demo's 16 latent factors plus noise), not standardized: LSUV
    # must not rely on unit-variance data.
    return 2.0 * wi.diagnostics.synthetic_inputs(n, d, rng=seed, dtype="float64") + 0.5


# --- numpy stacks of weightinit.diagnostics -------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_numpy_lsuv_20_layers(activation):
    x, held = _mixed_data(1, 512, 64), _mixed_data(2, 512, 64)
    widths = [64] + [96] * 20
    ws = lsuv(widths, activation, x, tol=0.1, rng=3, dtype="float64")
    act = wi.diagnostics.get_activation(activation)
    for batch, tol in ((x, 0.1), (held, HELD_OUT_TOL)):
        a = batch
        for i, w in enumerate(ws):
            z = a @ w
            assert abs(z.var() - 1) <= tol, (activation, i, z.var())
            a = act(z)
    again = lsuv(widths, activation, x, tol=0.1, rng=3, dtype="float64")
    for w1, w2 in zip(ws, again):
        np.testing.assert_array_equal(w1, w2)
    other = lsuv(widths, activation, x, tol=0.1, rng=4, dtype="float64")
    assert not np.array_equal(ws[0], other[0])


def test_numpy_lsuv_starts_orthogonal():
    # A layer already at unit variance is not rescaled: it is the orthonormal draw.
    x = wi.random.normal((4096, 32), rng=0)
    (w,) = lsuv([32, 32], "linear", x, tol=0.2, rng=9, dtype="float64")
    np.testing.assert_allclose(w.T @ w, np.eye(32), atol=1e-12)


def test_propagate_with_lsuv_fits_the_inputs():
    x = wi.random.normal((256, 64), std=2.0, rng=0)
    r = propagate(LSUV(tol=0.05), [64] * 6, "tanh", x, rng=1)
    assert np.all(np.abs(r.layers.pre_var - 1) <= 0.05)
    assert r.label == "LSUV(tol=0.05)"
    with pytest.raises(ValueError, match=r"LSUV\(tol=0.1\) depends on data"):
        wi.diagnostics.predict(LSUV(), [64] * 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"tol": 0}, "tol must be in \\(0, 1\\), got 0"),
        ({"tol": 1.5}, "tol must be in \\(0, 1\\), got 1.5"),
        ({"max_iter": 0}, "max_iter must be a positive int, got 0"),
        ({"inputs": None}, "lsuv needs inputs"),
    ],
)
def test_numpy_lsuv_bad_arguments(kwargs, message):
    args = {"inputs": np.ones((4, 3))} | kwargs
    with pytest.raises(ValueError, match=message):
        lsuv([3, 3], "tanh", args.pop("inputs"), **args)


# --- torch ----------------------------------------------------------------------------


# The numpy tests above run without torch; these import it per test.
@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _mlp(nn):
    layers = [nn.Linear(48, 128), nn.Tanh()]
    for _ in range(19):
        layers += [nn.Linear(128, 128), nn.Tanh()]
    return nn.Sequential(*layers)


def _cnn(nn):
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, stride=2),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 8 * 8, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


def _outputs(torch, model, x):
    nn = torch.nn
    # Every Linear/Conv layer's output, in the order they run.
    outs = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: outs.append(o.double().var(unbiased=False).item()))
        for m in model.modules()
        if isinstance(m, (nn.Linear, nn.Conv2d))
    ]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return outs


@pytest.mark.parametrize(
    "build, shape, n_layers",
    [(_mlp, (256, 48), 20), (_cnn, (128, 3, 16, 16), 5)],
    ids=["mlp20", "cnn"],
)
def test_torch_lsuv(torch, build, shape, n_layers):
    import weightinit.torch as wit

    nn = torch.nn
    g = torch.Generator().manual_seed(0)
    x = 2.0 * torch.randn(*shape, generator=g) + 0.3
    held = 2.0 * torch.randn(*shape, generator=g) + 0.3
    model = build(nn)
    model.train()
    assert wit.lsuv(model, x, tol=0.1, rng=7) is model
    assert model.training  # the mode is restored
    on_batch, on_held = _outputs(torch, model, x), _outputs(torch, model, held)
    assert len(on_batch) == n_layers
    assert all(abs(v - 1) <= 0.1 for v in on_batch), on_batch
    assert all(abs(v - 1) <= HELD_OUT_TOL for v in on_held), on_held
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            assert torch.all(m.bias == 0)
    # The same seed gives the same weights, bit for bit; another seed others.
    twin = build(nn)
    wit.lsuv(twin, x, tol=0.1, rng=7)
    for (n, a), (_, b) in zip(model.state_dict().items(), twin.state_dict().items()):
        assert torch.equal(a, b), n
    other = build(nn)
    wit.lsuv(other, x, tol=0.1, rng=8)
    assert not torch.equal(other[0].weight, model[0].weight)


def test_torch_lsuv_pre_init_is_initialize_orthogonal(torch):
    import weightinit.torch as wit

    nn = torch.nn
    # The pre-initialization is weightinit.torch.initialize's Orthogonal, same streams.
    x = torch.randn(4096, 32, generator=torch.Generator().manual_seed(1))
    a = nn.Sequential(nn.Linear(32, 32))
    wit.lsuv(a, x, tol=0.5, rng=3)  # unit-variance inputs: no rescaling needed
    b = nn.Sequential(nn.Linear(32, 32))
    wit.initialize(b, {"0.weight": wi.Orthogonal(), "0.bias": wi.Zeros()}, rng=3)
    assert torch.equal(a[0].weight, b[0].weight)


def test_torch_lsuv_warns_when_a_layer_does_not_converge(torch):
    import weightinit.torch as wit

    nn = torch.nn

    class _ScaleFree(nn.Linear):
        # Output independent of the weight's scale: LSUV cannot converge.
        def forward(self, x):
            return nn.functional.linear(x, 3 * self.weight / self.weight.norm())

    model = nn.Sequential(nn.Linear(8, 8), _ScaleFree(8, 8))
    x = torch.randn(64, 8, generator=torch.Generator().manual_seed(0))
    with pytest.warns(RuntimeWarning, match=r"max_iter=3 rescalings the output variance of \['1 "):
        wit.lsuv(model, x, max_iter=3, rng=0)


def test_torch_lsuv_bad_input_changes_nothing(torch):
    import weightinit.torch as wit

    nn = torch.nn
    model = _cnn(nn)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(4, 3, 16, 16)
    for call, exc, message in [
        (lambda: wit.lsuv(model, x, tol=0), ValueError, "tol must be in"),
        (lambda: wit.lsuv(model, x.numpy()), TypeError, "batch must be a torch.Tensor"),
        (lambda: wit.lsuv(nn.Sequential(nn.ReLU()), x), ValueError, "no nn.Linear or nn.Conv"),
        (lambda: wit.lsuv(model, x, stream=1.5), TypeError, "stream must be"),
    ]:
        with pytest.raises(exc, match=message):
            call()
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
