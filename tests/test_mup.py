"""weightinit.mup: Table 3's multipliers, parity with the mup package, coordinate checks."""

from __future__ import annotations

import math

import pytest

import weightinit as wi

BASE = {
    "embed.weight": (100, 64),
    "fc.weight": (128, 64),
    "fc.bias": (128,),
    "norm.weight": (64,),
    "out.weight": (10, 64),
    "out.bias": (10,),
    "conv.weight": (64, 64, 3, 3),
    "fixed.weight": (7, 5),
}
WIDE = {
    "embed.weight": (100, 256),
    "fc.weight": (1024, 256),
    "fc.bias": (1024,),
    "norm.weight": (256,),
    "out.weight": (10, 256),
    "out.bias": (10,),
    "conv.weight": (256, 256, 3, 3),
    "fixed.weight": (7, 5),
}


def test_table3_multipliers_from_shapes():
    m = wi.mup.multipliers(BASE, WIDE, readout="out.weight")
    assert {k: v.kind for k, v in m.items()} == {
        "embed.weight": "vector",
        "fc.weight": "hidden",
        "fc.bias": "vector",
        "norm.weight": "vector",
        "out.weight": "output",
        "out.bias": "fixed",
        "conv.weight": "hidden",
        "fixed.weight": "fixed",
    }
    fc = m["fc.weight"]  # fan_in x4, fan_out x8
    assert fc.dims == (8.0, 4.0)
    assert (fc.init, fc.lr_adam, fc.lr_sgd) == (0.5, 0.25, 2.0)
    out = m["out.weight"]
    assert (out.init, out.lr_adam, out.lr_sgd, out.output_multiplier) == (0.25, 0.25, 0.25, 1.0)
    emb = m["embed.weight"]
    assert (emb.init, emb.lr_adam, emb.lr_sgd) == (1.0, 1.0, 4.0)
    assert m["fc.bias"].lr_sgd == 8.0
    assert all((v.init, v.lr_adam, v.lr_sgd) == (1, 1, 1) for v in m.values() if v.kind == "fixed")
    mup_style = wi.mup.multipliers(BASE, WIDE, readout="out.weight", style="mup")["out.weight"]
    assert (mup_style.init, mup_style.lr_adam, mup_style.lr_sgd) == (1.0, 1.0, 4.0)
    assert mup_style.output_multiplier == 0.25
    # Without readout names a (fixed, width) matrix is an input weight.
    assert wi.mup.multipliers(BASE, WIDE)["out.weight"].kind == "vector"
    # Equal base and target: every multiplier 1; delta tells the widths anyway.
    same = wi.mup.multipliers(BASE, BASE)
    assert all(v.kind == "fixed" for v in same.values())
    delta = wi.mup.multipliers(BASE, BASE, delta=WIDE, readout="out.weight")
    assert delta["fc.weight"].kind == "hidden" and delta["fc.weight"].init == 1.0


def test_init_rules_scale_the_base_std_and_zero_the_readout():
    m = wi.mup.multipliers(BASE, WIDE, readout="out.weight")
    rules = wi.mup.init_rules(m, 0.02)
    assert rules["fc.weight"] == wi.Normal(std=0.01)
    assert rules["out.weight"] == wi.Zeros()
    assert rules["embed.weight"] == wi.Normal(std=0.02)
    fan_in = wi.mup.init_rules(m, lambda name, s: s[1] ** -0.5 if len(s) > 1 else 0.0)
    assert fan_in["fc.weight"].get_config()["std"] == pytest.approx(256**-0.5)  # 1/sqrt(fan_in)
    assert fan_in["fc.bias"] == wi.Zeros()
    assert wi.mup.init_rules(m, 0.02, zero_readout=False)["out.weight"] == wi.Normal(std=0.005)
    arrays = {n: r.sample(WIDE[n], rng=0) for n, r in rules.items()}
    assert arrays["out.weight"].any() == False  # noqa: E712 - numpy bool


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="only in target"):
        wi.mup.multipliers(BASE, {**WIDE, "extra": (3,)})
    with pytest.raises(ValueError, match="rank"):
        wi.mup.multipliers(BASE, {**WIDE, "fc.bias": (1024, 1)})
    with pytest.raises(ValueError, match="at most 2"):
        wi.mup.multipliers({"w": (2, 2, 2)}, {"w": (4, 4, 4)})
    with pytest.raises(TypeError, match=r"base\['w'\] must be a shape"):
        wi.mup.multipliers({"w": 3}, {"w": (3,)})
    with pytest.raises(TypeError, match="base must be"):
        wi.mup.multipliers([1, 2], WIDE)
    with pytest.raises(ValueError, match="style"):
        wi.mup.multipliers(BASE, WIDE, style="sp")
    with pytest.raises(TypeError, match="readout"):
        wi.mup.multipliers(BASE, WIDE, readout=[3])
    m = wi.mup.multipliers(BASE, WIDE)
    with pytest.raises(ValueError, match="std for 'embed.weight'"):
        wi.mup.init_rules(m, -1.0)


# --- against the mup package and on real training -----------------------------------


def _mlp(torch, width, readout_cls=None, d_in=32, d_out=10):
    nn = torch.nn
    readout_cls = readout_cls or nn.Linear
    return nn.Sequential(
        nn.Linear(d_in, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, 2 * width),
        nn.ReLU(),
        readout_cls(2 * width, d_out),
    )


def _transformer(torch, width, readout_cls=None, vocab=50, attn_scale="mup"):
    nn = torch.nn
    readout_cls = readout_cls or nn.Linear

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1 = nn.LayerNorm(width)
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)
            self.ln2 = nn.LayerNorm(width)
            self.fc = nn.Linear(width, 4 * width)
            self.act = nn.GELU()
            self.fc2 = nn.Linear(4 * width, width)

        def forward(self, x):
            heads = width // 16
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, heads, 16).unbind(2)
            # μP scales attention logits by 1/d_head (Yang et al. 2021, §4); SP by 1/sqrt.
            scale = 1 / 16 if attn_scale == "mup" else 16**-0.5
            att = torch.softmax(torch.einsum("bthd,bshd->bhts", q, k) * scale, dim=-1)
            x = x + self.proj(torch.einsum("bhts,bshd->bthd", att, v).reshape(b, t, width))
            return x + self.fc2(self.act(self.fc(self.ln2(x))))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, width)
            self.blocks = nn.Sequential(Block(), Block())
            self.ln = nn.LayerNorm(width)
            self.out = readout_cls(width, vocab)

        def forward(self, ids):
            return self.out(self.ln(self.blocks(self.embed(ids)))).flatten(0, 1)

    return Model()


@pytest.mark.parametrize("arch", ["mlp", "transformer"])
def test_multipliers_equal_the_mup_package(arch):
    torch = pytest.importorskip("torch")
    mup = pytest.importorskip("mup")
    build = _mlp if arch == "mlp" else _transformer
    base = build(torch, 64, mup.MuReadout)
    target = build(torch, 256, mup.MuReadout)
    mup.set_base_shapes(target, base)
    ours = wi.mup.multipliers(base, target, style="mup")
    by_id = {id(p): n for n, p in target.named_parameters()}
    for opt, field in ((mup.MuAdam, "lr_adam"), (mup.MuSGD, "lr_sgd")):
        for group in opt(target.parameters(), lr=1.0).param_groups:
            for p in group["params"]:
                name = by_id[id(p)]
                assert getattr(ours[name], field) == pytest.approx(group["lr"]), (name, field)
    for name, p in target.named_parameters():
        # mup.init.normal_ (constant-std samplers): std x width_mult^-0.5 for matrices.
        expected = p.infshape.width_mult() ** -0.5 if p.infshape.ninf() == 2 else 1.0
        assert ours[name].init == pytest.approx(expected), name
        if isinstance(dict(target.named_modules()).get(name.rsplit(".", 1)[0]), mup.MuReadout):
            if name.endswith("weight"):
                assert ours[name].output_multiplier == pytest.approx(1 / p.infshape.width_mult())
    # Multipliers from meta-device models are the same: nothing is materialized.
    with torch.device("meta"):
        meta_base, meta_target = build(torch, 64), build(torch, 256)
    assert wi.mup.multipliers(meta_base, meta_target, style="mup") == ours


def test_table3_and_mup_styles_train_alike():
    """Table 3 (no forward change) and mup's MuReadout form give the same trajectory."""
    torch = pytest.importorskip("torch")
    mup = pytest.importorskip("mup")
    import weightinit.torch as wit

    torch.set_default_dtype(torch.float64)
    try:
        x = torch.randn(64, 32, generator=torch.Generator().manual_seed(0))
        y = torch.randint(0, 10, (64,), generator=torch.Generator().manual_seed(1))
        outs = []
        for style in ("table3", "mup"):
            base = _mlp(torch, 64)
            model = _mlp(torch, 256, mup.MuReadout if style == "mup" else None)
            m = wi.mup.multipliers(base, model, style=style)
            wit.initialize(model, wi.mup.init_rules(m, 0.05, zero_readout=False), rng=0)
            if style == "mup":
                # MuReadout divides its input by m; its weight, drawn from the same
                # stream at m times the std, is m x Table 3's: the same function.
                model[-1].width_mult = lambda: 4.0
            # eps far below the gradients: Adam is then invariant to their scale.
            opt = torch.optim.Adam(wi.mup.param_groups(model, m, 1e-3), lr=1e-3, eps=1e-16)
            for _ in range(3):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                opt.step()
            outs.append(model(x).detach())
        assert torch.allclose(outs[0], outs[1], rtol=1e-6, atol=1e-8)
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("arch", ["mlp", "transformer"])
def test_coord_check_is_flat_under_mup_and_grows_under_sp(arch):
    """After 3 Adam steps (lr 0.01), widths 64-1024: under μP every module's
    log-activation slope over log-width is within ±0.2 (measured: at most 0.04 in
    absolute value, MLP and transformer); under SP the largest is above 0.5
    (measured: 1.15 and 1.51: Adam's updates add ~lr per entry, summed over the
    width). Deterministic (fixed seeds and data), so the margins are the whole
    story."""
    torch = pytest.importorskip("torch")
    widths = [64, 128, 256, 512, 1024]
    if arch == "mlp":
        x = torch.randn(32, 32, generator=torch.Generator().manual_seed(0))
        y = torch.randint(0, 10, (32,), generator=torch.Generator().manual_seed(1))
        slopes = {
            p: wi.mup.coord_check(
                lambda w: _mlp(torch, w), widths, (x, y), parametrization=p
            ).slopes
            for p in ("mup", "sp")
        }
    else:
        ids = torch.randint(0, 50, (4, 16), generator=torch.Generator().manual_seed(0))
        y = torch.randint(0, 50, (64,), generator=torch.Generator().manual_seed(1))
        slopes = {
            p: wi.mup.coord_check(
                lambda w, p=p: _transformer(torch, w, attn_scale=p),
                widths,
                (ids, y),
                parametrization=p,
            ).slopes
            for p in ("mup", "sp")
        }
    assert max(abs(s) for s in slopes["mup"].values()) < 0.2, slopes["mup"]
    assert max(slopes["sp"].values()) > 0.5, slopes["sp"]


def test_coord_check_plot(tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    x = torch.randn(16, 32, generator=torch.Generator().manual_seed(0))
    y = torch.randint(0, 10, (16,), generator=torch.Generator().manual_seed(1))
    out = tmp_path / "coord.png"
    r = wi.mup.coord_check(lambda w: _mlp(torch, w), [32, 64], (x, y), steps=2, plot=str(out))
    assert out.stat().st_size > 10_000
    assert {rec[1] for rec in r.records} == {0, 1, 2}
    assert math.isfinite(sum(r.slopes.values()))
