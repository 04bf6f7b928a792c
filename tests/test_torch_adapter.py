"""weightinit.torch: init_ (in place, no copy, every float dtype) and initialize (whole modules)."""

import numpy as np
import pytest

import weightinit as wi
from weightinit import _adapters

torch = pytest.importorskip("torch")
import weightinit.torch as wit  # noqa: E402 - after the framework's importorskip

nn = torch.nn

INITS = [
    wi.HeNormal(gain="relu"),
    wi.GlorotUniform(),
    wi.VarianceScaling(2.0, "fan_in", "truncated_normal"),
    wi.LeCunUniform(),
    wi.FanInUniform(),
    wi.Normal(std=0.02),
    wi.Uniform(0.1),
    wi.TruncatedNormal(),
    wi.Orthogonal(gain="relu"),
]
SHAPES = [(32, 48), (16, 6, 3, 3), (8, 4, 5)]
TORCH_DTYPES = {torch.float16: np.float16, torch.float32: np.float32, torch.float64: np.float64}


def reference(init, shape, dtype, **kw):
    """What numpy gives: the initializer in torch's layout, sampled in the same order."""
    return _adapters.with_layout(init, "torch").sample(shape, dtype=dtype, **kw)


def bf16_of(a32):
    return torch.from_numpy(np.ascontiguousarray(a32, dtype=np.float32)).to(torch.bfloat16)


@pytest.mark.parametrize("init", INITS, ids=repr)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("tdtype", list(TORCH_DTYPES))
def test_init_equals_numpy_in_torch_layout(init, shape, tdtype):
    t = torch.empty(shape, dtype=tdtype)
    assert wit.init_(t, init, rng=5, stream="w") is t
    want = reference(init, shape, TORCH_DTYPES[tdtype], rng=5, stream="w")
    np.testing.assert_array_equal(t.numpy(), want)


@pytest.mark.parametrize("init", INITS, ids=repr)
@pytest.mark.parametrize("shape", SHAPES)
def test_bfloat16_is_float32_rounded_to_nearest_even(init, shape):
    t = torch.empty(shape, dtype=torch.bfloat16)
    wit.init_(t, init, rng=3, stream=9)
    want = bf16_of(reference(init, shape, np.float32, rng=3, stream=9))
    assert torch.equal(t.view(torch.int16), want.view(torch.int16))


def test_bfloat16_rounding_matches_torch_on_hard_bit_patterns():
    rs = np.random.default_rng(0)
    ties = [0x3F808000, 0x3F818000, 0x3F80_7FFF, 0x3F80_8001]
    overflow_and_inf = [0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000]
    tiny_and_zeros = [0x00000001, 0x80008000, 0x00000000, 0x80000000]
    nans = [0x7FC00000, 0x7F800001, 0xFFFFFFFF]
    special = np.array(ties + overflow_and_inf + tiny_and_zeros + nans, dtype=np.uint32)
    bits = np.concatenate([special, rs.integers(0, 2**32, 100_000, dtype=np.uint32)])
    f = bits.view(np.float32)
    got = np.empty(f.shape, dtype=np.uint16)
    _adapters.float32_to_bfloat16_bits(f, got)
    want = torch.from_numpy(f.copy()).to(torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    nan = np.isnan(f)
    np.testing.assert_array_equal(got[~nan], want[~nan])
    back = (got[nan].astype(np.uint32) << 16).view(np.float32)
    assert np.isnan(back).all()


def test_cpu_fill_is_in_place_and_zero_copy_on_strided_views():
    base = torch.zeros(64, 96)
    ptr = base.data_ptr()
    view = base[::2, 1::3].T  # non-contiguous, transposed, offset
    wit.init_(view, wi.Normal(std=1.0), rng=1, stream="v")
    assert base.data_ptr() == ptr
    want = wi.Normal(std=1.0).sample(tuple(view.shape), dtype=np.float32, rng=1, stream="v")
    np.testing.assert_array_equal(view.numpy(), want)
    mask = torch.ones_like(base, dtype=torch.bool)
    mask[::2, 1::3] = False
    assert (base[mask] == 0).all()  # nothing outside the view was written


def test_bfloat16_strided_view_written_in_place():
    base = torch.zeros(20, 30, dtype=torch.bfloat16)
    view = base[1::2, ::3]
    wit.init_(view, wi.Uniform(1.0), rng=4)
    want = bf16_of(wi.Uniform(1.0).sample(tuple(view.shape), dtype=np.float32, rng=4))
    assert torch.equal(view, want)
    assert (base[0::2] == 0).all()


@pytest.mark.parametrize("tdtype", [torch.float32, torch.float16, torch.bfloat16])
def test_host_buffer_path_gives_the_same_bits(tdtype):
    # The path CUDA (and any non-CPU) tensors take: one host buffer, one copy_.
    # Exercised on a CPU tensor here; no GPU on the test machine.
    a = torch.empty(24, 16, 3, dtype=tdtype)
    b = torch.empty(24, 16, 3, dtype=tdtype)
    init = _adapters.relayout(wi.HeUniform(gain="relu"), "torch")
    wit.init_(a, init, rng=8, stream="x")
    wit._fill_through_host(torch, b, init, 8, "x")
    assert torch.equal(
        a.view(torch.int16 if tdtype != torch.float32 else torch.int32),
        b.view(torch.int16 if tdtype != torch.float32 else torch.int32),
    )


def test_parameters_with_grad_and_version_counter():
    lin = nn.Linear(10, 4)
    v = lin.weight._version
    wit.init_(lin.weight, "glorot_uniform", rng=0)
    assert lin.weight.requires_grad and lin.weight._version > v
    np.testing.assert_array_equal(
        lin.weight.detach().numpy(), reference(wi.GlorotUniform(), (4, 10), np.float32, rng=0)
    )


def test_layout_default_explicit_and_none():
    t = torch.empty(30, 50)
    wit.init_(t, wi.HeNormal(), rng=0)  # torch: fan_in = 50
    np.testing.assert_array_equal(
        t.numpy(), wi.HeNormal(layout="torch").sample((30, 50), dtype=np.float32, rng=0)
    )
    wit.init_(t, wi.HeNormal(layout="keras"), rng=0)  # the initializer's own choice wins
    np.testing.assert_array_equal(
        t.numpy(), wi.HeNormal(layout="keras").sample((30, 50), dtype=np.float32, rng=0)
    )
    wit.init_(t, wi.HeNormal(), rng=0, layout=None)  # as it is: Lasagne's 2-D (in, out)
    np.testing.assert_array_equal(
        t.numpy(), wi.HeNormal().sample((30, 50), dtype=np.float32, rng=0)
    )
    assert abs(t.numpy().std() - 1 / np.sqrt(30)) < 0.01


def test_rng_and_stream_semantics():
    a, b = torch.empty(100), torch.empty(100)
    wi.set_seed(11)
    wit.init_(a, wi.Normal())
    wit.init_(b, wi.Normal())
    assert not torch.equal(a, b)  # the global generator hands out a new stream per call
    wi.set_seed(11)
    c = wit.init_(torch.empty(100), wi.Normal())
    assert torch.equal(a, c)
    g = wi.Generator(5)
    d = wit.init_(torch.empty(100), wi.Normal(), rng=g, stream="s")
    e = wit.init_(torch.empty(100), wi.Normal(), rng=5, stream="s")
    assert torch.equal(d, e)


def test_meta_empty_and_bad_input():
    m = torch.empty(4, 5, device="meta")
    assert wit.init_(m, wi.HeNormal(), rng=0) is m
    z = torch.empty(0, 5)
    assert wit.init_(z, wi.GlorotUniform(), rng=0) is z
    with pytest.raises(TypeError, match="floating dtype"):
        wit.init_(torch.empty(3, 3, dtype=torch.int32), wi.Normal())
    with pytest.raises(TypeError, match="torch.Tensor"):
        wit.init_(np.empty((3, 3)), wi.Normal())
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        wit.init_(torch.empty(5), wi.HeNormal())  # torch's own rule for a bias
    with pytest.raises(TypeError, match="Initializer"):
        wit.init_(torch.empty(3), lambda shape: np.zeros(shape))
    with pytest.raises(ValueError, match="layout"):
        wit.init_(torch.empty(3, 3), wi.Normal(), layout="nchw")


def small_net():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Sequential(nn.Conv2d(8, 8, 3, bias=False), nn.ReLU()),
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10),
    )


RULES = {
    nn.BatchNorm2d: {"weight": wi.Ones(), "bias": wi.Zeros()},
    "*.weight": wi.HeNormal(gain="relu"),
    "*.bias": wi.Zeros(),
}


def test_initialize_streams_are_qualified_names():
    net = wit.initialize(small_net(), RULES, rng=42)
    for name, p in net.named_parameters():
        fresh = torch.empty_like(p)
        init = (
            RULES[nn.BatchNorm2d][name.split(".")[-1]]
            if name.startswith("1.")
            else RULES["*." + name.split(".")[-1]]
        )
        wit.init_(fresh, init, rng=42, stream=name)
        assert torch.equal(p.detach(), fresh), name
    assert (net[1].weight == 1).all() and (net[0].bias == 0).all()


def test_initialize_does_not_depend_on_order_or_skips():
    full = wit.initialize(small_net(), RULES, rng=1)
    partial = small_net()
    before = {n: p.detach().clone() for n, p in partial.named_parameters()}
    # Different rule order (type rule still first for BatchNorm), one weight skipped.
    wit.initialize(
        partial,
        [
            ("3.0.weight", None),
            (nn.BatchNorm2d, wi.Ones()),
            ("*.bias", wi.Zeros()),
            ("*.weight", wi.HeNormal(gain="relu")),
        ],
        rng=1,
    )
    for (name, p), (_, q) in zip(full.named_parameters(), partial.named_parameters(), strict=True):
        if name == "3.0.weight":
            assert torch.equal(q, before[name])
        elif name != "1.bias":
            assert torch.equal(p, q), name


def test_initialize_submodule_with_stream_prefix_equals_whole_model():
    whole = wit.initialize(small_net(), RULES, rng=3)
    part = small_net()
    wit.initialize(part[3], RULES, rng=3, stream="3")
    assert torch.equal(part[3][0].weight, whole[3][0].weight)


def test_initialize_numpy_generator_resolved_once_and_strict():
    a = wit.initialize(small_net(), RULES, rng=np.random.default_rng(7))
    b = wit.initialize(small_net(), RULES, rng=np.random.default_rng(7))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    # All parameters share one key: the conv weights differ only by stream.
    key = wi.Generator(int.from_bytes(np.random.default_rng(7).bytes(8), "little"))
    w = wit.init_(torch.empty(8, 3, 3, 3), wi.HeNormal(gain="relu"), rng=key, stream="0.weight")
    assert torch.equal(a[0].weight, w)
    with pytest.raises(ValueError, match=r"no rule matched the parameters \['0.bias'"):
        wit.initialize(small_net(), {"*.weight": wi.HeNormal()}, rng=0, strict=True)


def test_initialize_checks_every_shape_before_writing():
    net = small_net()
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(ValueError, match="'1.weight'.*fewer than 2 dimensions"):
        wit.initialize(net, {"*.weight": wi.HeNormal()}, rng=0)
    assert all(torch.equal(p, q) for p, q in zip(net.parameters(), before, strict=True))


def test_initialize_tied_weights_and_bad_rules():
    emb = nn.Embedding(20, 8)
    head = nn.Linear(8, 20, bias=False)
    head.weight = emb.weight
    model = nn.ModuleDict({"emb": emb, "head": head})
    wit.initialize(model, {"*": wi.Normal(std=0.02)}, rng=0)
    want = wit.init_(torch.empty(20, 8), wi.Normal(std=0.02), rng=0, stream="emb.weight")
    assert torch.equal(model["head"].weight, want)
    with pytest.raises(TypeError, match="rule key"):
        wit.initialize(model, {3: wi.Zeros()})
    with pytest.raises(TypeError, match="not a dict"):
        wit.initialize(model, {"*": {"weight": wi.Zeros()}})
    with pytest.raises(TypeError, match="nn.Module"):
        wit.initialize(torch.empty(3), RULES)


def test_initialize_bfloat16_model():
    net = small_net().to(torch.bfloat16)
    wit.initialize(net, RULES, rng=9)
    ref = wit.initialize(small_net(), RULES, rng=9)
    for (n, p), q in zip(net.named_parameters(), ref.parameters(), strict=True):
        assert torch.equal(p, q.detach().to(torch.bfloat16)), n


def test_initialize_lazy_modules_need_materializing():
    lazy = nn.Sequential(nn.LazyLinear(4))
    with pytest.raises(ValueError, match="'0.weight' of a lazy module"):
        wit.initialize(lazy, {"*": wi.Zeros()})
    lazy(torch.ones(2, 6))  # materializes (4, 6) and (4,)
    wit.initialize(lazy, {"*.weight": wi.HeNormal(), "*.bias": wi.Zeros()}, rng=0)
    assert lazy[0].weight.shape == (4, 6) and (lazy[0].bias == 0).all()


# --- complex tensors -----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_complex_tensors_get_the_numpy_values(dtype):
    npdt = np.complex64 if dtype == torch.complex64 else np.complex128
    for init in (wi.HeNormal(gain="relu"), wi.GlorotUniform(), wi.LeCunNormal(), wi.Zeros()):
        ref = _adapters.with_layout(init, "torch").sample(
            (24, 10, 3), dtype=npdt, rng=4, stream="w"
        )
        t = torch.empty(24, 10, 3, dtype=dtype)
        assert wit.init_(t, init, rng=4, stream="w") is t
        np.testing.assert_array_equal(t.numpy(), ref)
        view = torch.empty(3, 10, 24, dtype=dtype).permute(2, 1, 0)  # strided, in place
        wit.init_(view, init, rng=4, stream="w")
        np.testing.assert_array_equal(view.numpy(), ref)


def test_complex_errors_leave_tensors_untouched():
    t = torch.zeros(4, 4, dtype=torch.complex64)
    with pytest.raises(TypeError, match="Orthogonal does not support complex.*complex64"):
        wit.init_(t, wi.Orthogonal(), rng=0)
    assert (t == 0).all()
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 4, dtype=torch.complex64), torch.nn.Linear(4, 4, dtype=torch.complex64)
    )
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(TypeError, match="parameter '1.weight': Orthogonal.*complex64"):
        wit.initialize(net, {"0.*": wi.Normal(), "1.weight": wi.Orthogonal()}, rng=0)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_complex_kaiming_normal_matches_torch_family():
    # torch's normal_ on a complex tensor is circular with E|w|**2 = std**2, as ours;
    # two-sample KS of the modulus and the phase at p < 1e-6 each.
    import scipy.stats

    torch.manual_seed(0)
    ref = torch.nn.init.kaiming_normal_(torch.empty(400, 500, dtype=torch.complex64)).numpy()
    got = wit.init_(torch.empty(400, 500, dtype=torch.complex64), wi.HeNormal(gain="relu"), rng=1)
    for f in (np.abs, np.angle):
        p = scipy.stats.ks_2samp(f(got.numpy()).ravel(), f(ref).ravel()).pvalue
        assert p > 1e-6, p
