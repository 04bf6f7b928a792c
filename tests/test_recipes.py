"""weightinit.recipes: every parameter against its paper's closed form, three model sizes each.

The closed-form targets are written here from the papers and reference
implementations (docs/recipes.md), independently of the recipes' code.

Statistics: for n iid draws with variance s^2 and excess kurtosis k, the
sample variance v has mean s^2 and standard deviation s^2 sqrt((2 + k) / n)
(n >= 4096 here, where the normal approximation of v is good). A parameter
fails when |v / s^2 - 1| > Z sqrt((2 + k) / n) with Z = 5: a false failure
has probability 5.7e-7 per parameter; the ~600 parameters checked below give
a false-failure rate below 4e-4 for the whole file (the seeds are fixed, so
a run is reproducible). Zero/one/constant parameters are compared exactly.
"""

import math

import numpy as np
import pytest
from _env import child_env

import weightinit as wi
from weightinit import recipes

Z = 5.0
MIN_N = 4096  # parameters smaller than this are checked for the law's support only
NORMAL, UNIFORM = 0.0, -1.2  # excess kurtosis
# N(0, 1) truncated to [-2, 2]: variance 0.7737, fourth moment 1.5303 -> excess -0.444
TRUNC2 = 1.5303 / 0.7737**2 - 3


def _check_std(name, values, std, kurtosis):
    v = np.asarray(values, dtype=np.float64).ravel()
    assert np.isfinite(v).all(), name
    n = v.size
    if n < MIN_N:
        # too few draws for the variance test: the values must at least lie
        # within the law's reach (|x| < 7 std for the normals, the bound for uniforms)
        assert np.abs(v).max() <= 7 * std * (1 + 1e-6), (name, np.abs(v).max(), std)
        return
    var = float(np.mean(v * v))  # mean 0 by construction: E[x^2] is the variance
    z = (var / std**2 - 1) / math.sqrt((2 + kurtosis) / n)
    assert abs(z) < Z, f"{name}: sample std {math.sqrt(var):.6g}, target {std:.6g}, z = {z:.2f}"


def _check_const(name, values, c):
    assert np.all(np.asarray(values) == np.float32(c)), (name, c)


def _check(targets, arrays):
    assert set(targets) == set(arrays), set(targets) ^ set(arrays)
    for name, (kind, *args) in targets.items():
        if kind == "const":
            _check_const(name, arrays[name], *args)
        else:
            _check_std(name, arrays[name], *args)


# --- GPT-2 -------------------------------------------------------------------------


def _gpt2(n_layer, d, vocab=2048, ctx=256):
    shapes = {"transformer.wte.weight": (vocab, d), "transformer.wpe.weight": (ctx, d)}
    # transformers' Conv1D weights are (in, out)
    for i in range(n_layer):
        p = f"transformer.h.{i}."
        shapes.update(
            {
                p + "ln_1.weight": (d,),
                p + "ln_1.bias": (d,),
                p + "attn.c_attn.weight": (d, 3 * d),
                p + "attn.c_attn.bias": (3 * d,),
                p + "attn.c_proj.weight": (d, d),
                p + "attn.c_proj.bias": (d,),
                p + "ln_2.weight": (d,),
                p + "ln_2.bias": (d,),
                p + "mlp.c_fc.weight": (d, 4 * d),
                p + "mlp.c_fc.bias": (4 * d,),
                p + "mlp.c_proj.weight": (4 * d, d),
                p + "mlp.c_proj.bias": (d,),
            }
        )
    shapes.update({"transformer.ln_f.weight": (d,), "transformer.ln_f.bias": (d,)})
    return shapes


@pytest.mark.parametrize("n_layer, d", [(2, 64), (6, 128), (12, 256)])
def test_gpt2_closed_form(n_layer, d):
    shapes = _gpt2(n_layer, d)
    targets = {}
    for name in shapes:
        if "ln_" in name:
            targets[name] = ("const", 1.0 if name.endswith("weight") else 0.0)
        elif name.endswith("bias"):
            targets[name] = ("const", 0.0)
        elif name.endswith("c_proj.weight"):
            targets[name] = ("std", 0.02 / math.sqrt(2 * n_layer), NORMAL)
        else:
            targets[name] = ("std", 0.02, NORMAL)
    _check(targets, recipes.gpt2(n_layer).sample(shapes, rng=n_layer))


# --- GPT-NeoX ----------------------------------------------------------------------


def _neox(n_layer, d, vocab=2048):
    shapes = {"gpt_neox.embed_in.weight": (vocab, d), "embed_out.weight": (vocab, d)}
    for i in range(n_layer):
        p = f"gpt_neox.layers.{i}."
        shapes.update(
            {
                p + "input_layernorm.weight": (d,),
                p + "input_layernorm.bias": (d,),
                p + "post_attention_layernorm.weight": (d,),
                p + "post_attention_layernorm.bias": (d,),
                p + "attention.query_key_value.weight": (3 * d, d),
                p + "attention.query_key_value.bias": (3 * d,),
                p + "attention.dense.weight": (d, d),
                p + "attention.dense.bias": (d,),
                p + "mlp.dense_h_to_4h.weight": (4 * d, d),
                p + "mlp.dense_h_to_4h.bias": (4 * d,),
                p + "mlp.dense_4h_to_h.weight": (d, 4 * d),
                p + "mlp.dense_4h_to_h.bias": (d,),
            }
        )
    shapes.update(
        {"gpt_neox.final_layer_norm.weight": (d,), "gpt_neox.final_layer_norm.bias": (d,)}
    )
    return shapes


@pytest.mark.parametrize("n_layer, d", [(2, 64), (6, 128), (16, 256)])
def test_neox_closed_form(n_layer, d):
    shapes = _neox(n_layer, d)
    small = math.sqrt(2 / (5 * d))  # Nguyen & Salazar 2019
    wang = 2 / n_layer / math.sqrt(d)  # gpt-neox wang_init_method
    targets = {}
    for name in shapes:
        if "norm" in name:
            targets[name] = ("const", 1.0 if name.endswith("weight") else 0.0)
        elif name.endswith("bias"):
            targets[name] = ("const", 0.0)
        elif name.endswith(("attention.dense.weight", "dense_4h_to_h.weight")):
            targets[name] = ("std", wang, NORMAL)
        else:
            targets[name] = ("std", small, NORMAL)
    recipe = recipes.neox(n_layer, d)
    assert recipe.constants == pytest.approx({"small_init_std": small, "wang_init_std": wang})
    _check(targets, recipe.sample(shapes, rng=n_layer))


# --- T5 ----------------------------------------------------------------------------


def _t5(n_layer, d, d_ff, d_kv, heads, vocab=1024):
    inner = d_kv * heads
    shapes = {"shared.weight": (vocab, d), "lm_head.weight": (vocab, d)}

    def attn(p):
        return {
            p + "q.weight": (inner, d),
            p + "k.weight": (inner, d),
            p + "v.weight": (inner, d),
            p + "o.weight": (d, inner),
        }

    for stack, n_sub in (("encoder", 2), ("decoder", 3)):
        for i in range(n_layer):
            p = f"{stack}.block.{i}.layer."
            shapes.update(attn(p + "0.SelfAttention."))
            if i == 0:
                shapes[p + "0.SelfAttention.relative_attention_bias.weight"] = (32, heads)
            if n_sub == 3:
                shapes.update(attn(p + "1.EncDecAttention."))
            ff = f"{p}{n_sub - 1}.DenseReluDense."
            shapes.update({ff + "wi_0.weight": (d_ff, d), ff + "wi_1.weight": (d_ff, d)})
            shapes[ff + "wo.weight"] = (d, d_ff)
            for j in range(n_sub):
                shapes[f"{p}{j}.layer_norm.weight"] = (d,)
        shapes[f"{stack}.final_layer_norm.weight"] = (d,)
    return shapes


@pytest.mark.parametrize(
    "n_layer, d, d_ff, d_kv, heads",
    [(2, 64, 128, 16, 4), (2, 128, 512, 32, 4), (3, 256, 1024, 64, 4)],
)
def test_t5_closed_form(n_layer, d, d_ff, d_kv, heads):
    shapes = _t5(n_layer, d, d_ff, d_kv, heads)
    targets = {}
    for name in shapes:
        last = name.rsplit(".", 2)[-2]
        if last in ("layer_norm", "final_layer_norm"):
            targets[name] = ("const", 1.0)
            continue
        std = {
            "q": (d * d_kv) ** -0.5,  # Mesh TF: q folds in 1/sqrt(d_kv)
            "k": d**-0.5,
            "v": d**-0.5,
            "o": (heads * d_kv) ** -0.5,
            "relative_attention_bias": d**-0.5,
            "wi_0": d**-0.5,
            "wi_1": d**-0.5,
            "wo": d_ff**-0.5,
            "shared": 1.0,
            "lm_head": d**-0.5,  # t5x logits_dense: variance_scaling(1, fan_in)
        }[last]
        targets[name] = ("std", std, NORMAL)
    recipe = recipes.t5(d, d_ff, d_kv=d_kv, n_heads=heads)
    _check(targets, recipe.sample(shapes, rng=d))


def test_t5_transformers_lm_head_std():
    out = recipes.t5(64, 128, d_kv=16, lm_head_std=1.0).sample(
        {"lm_head.weight": (4096, 64)}, rng=0
    )
    _check_std("lm_head.weight", out["lm_head.weight"], 1.0, NORMAL)


# --- ViT ---------------------------------------------------------------------------


def _vit(depth, d, patch, classes=100, in_chans=3, tokens=65):
    shapes = {
        "cls_token": (1, 1, d),
        "pos_embed": (1, tokens, d),
        "patch_embed.proj.weight": (d, in_chans, patch, patch),
        "patch_embed.proj.bias": (d,),
    }
    for i in range(depth):
        p = f"blocks.{i}."
        shapes.update(
            {
                p + "norm1.weight": (d,),
                p + "norm1.bias": (d,),
                p + "attn.qkv.weight": (3 * d, d),
                p + "attn.qkv.bias": (3 * d,),
                p + "attn.proj.weight": (d, d),
                p + "attn.proj.bias": (d,),
                p + "norm2.weight": (d,),
                p + "norm2.bias": (d,),
                p + "mlp.fc1.weight": (4 * d, d),
                p + "mlp.fc1.bias": (4 * d,),
                p + "mlp.fc2.weight": (d, 4 * d),
                p + "mlp.fc2.bias": (d,),
            }
        )
    shapes.update({"norm.weight": (d,), "norm.bias": (d,)})
    shapes.update({"head.weight": (classes, d), "head.bias": (classes,)})
    return shapes


@pytest.mark.parametrize("style", ["timm", "jax"])
@pytest.mark.parametrize("depth, d, patch", [(2, 64, 8), (4, 128, 16), (6, 192, 16)])
def test_vit_closed_form(style, depth, d, patch):
    shapes = _vit(depth, d, patch)
    fan_in = 3 * patch * patch
    targets = {}
    for name, shape in shapes.items():
        if "norm" in name:
            targets[name] = ("const", 1.0 if name.endswith("weight") else 0.0)
        elif name == "cls_token":
            targets[name] = ("std", 1e-6, NORMAL)
        elif name == "pos_embed":
            targets[name] = ("std", 0.02, NORMAL)  # truncated at 100 std: normal
        elif style == "timm":
            if name == "patch_embed.proj.weight" or name == "patch_embed.proj.bias":
                targets[name] = ("std", 1 / math.sqrt(3 * fan_in), UNIFORM)  # U(+-1/sqrt(fan_in))
            elif name.endswith("bias"):
                targets[name] = ("const", 0.0)
            else:
                targets[name] = ("std", 0.02, NORMAL)
        else:
            if name == "patch_embed.proj.weight":
                targets[name] = ("std", 1 / math.sqrt(fan_in), TRUNC2)  # LeCun, std-corrected
            elif name.startswith("head."):
                targets[name] = ("const", 0.0)
            elif name.endswith("bias"):
                targets[name] = ("std", 1e-6, NORMAL) if ".mlp." in name else ("const", 0.0)
            else:
                fan_out, fan_in_w = shape  # torch (out, in); Glorot on the fused matrix
                targets[name] = ("std", math.sqrt(2 / (fan_in_w + fan_out)), UNIFORM)
    _check(targets, recipes.vit(style, patch_size=patch).sample(shapes, rng=depth))


# --- ResNet, Fixup -----------------------------------------------------------------


def _resnet(block, widths, blocks_per_stage, classes=100):
    shapes = {"conv1.weight": (widths[0], 3, 7, 7), "bn1.weight": (widths[0],)}
    shapes["bn1.bias"] = (widths[0],)
    expansion = 4 if block == "bottleneck" else 1
    in_ch = widths[0]
    for s, (w, n) in enumerate(zip(widths, blocks_per_stage), start=1):
        for b in range(n):
            p = f"layer{s}.{b}."
            if block == "bottleneck":
                convs = [(w, in_ch, 1), (w, w, 3), (w * expansion, w, 1)]
            else:
                convs = [(w, in_ch, 3), (w, w, 3)]
            for k, (o, i, ks) in enumerate(convs, start=1):
                shapes[f"{p}conv{k}.weight"] = (o, i, ks, ks)
                shapes[f"{p}bn{k}.weight"] = (o,)
                shapes[f"{p}bn{k}.bias"] = (o,)
            if b == 0 and in_ch != w * expansion:
                shapes[p + "downsample.0.weight"] = (w * expansion, in_ch, 1, 1)
                shapes[p + "downsample.1.weight"] = (w * expansion,)
                shapes[p + "downsample.1.bias"] = (w * expansion,)
            in_ch = w * expansion
    shapes.update({"fc.weight": (classes, 512 * expansion), "fc.bias": (classes,)})
    return shapes


@pytest.mark.parametrize("zero_init_residual", [True, False])
@pytest.mark.parametrize(
    "block, widths, blocks",
    [
        ("basic", (64, 128, 256, 512), (1, 1, 1, 1)),
        ("basic", (64, 128, 256, 512), (2, 2, 2, 2)),
        ("bottleneck", (64, 128, 256, 512), (1, 2, 1, 1)),
    ],
)
def test_resnet_closed_form(block, widths, blocks, zero_init_residual):
    shapes = _resnet(block, widths, blocks)
    last_bn = "bn3" if block == "bottleneck" else "bn2"
    targets = {}
    for name, shape in shapes.items():
        if name.startswith("fc."):
            targets[name] = ("std", 1 / math.sqrt(3 * shapes["fc.weight"][1]), UNIFORM)
        elif "bn" in name or "downsample.1" in name:
            if zero_init_residual and name.endswith(f"{last_bn}.weight") and "layer" in name:
                targets[name] = ("const", 0.0)
            else:
                targets[name] = ("const", 1.0 if name.endswith("weight") else 0.0)
        else:  # kaiming_normal_(mode="fan_out", nonlinearity="relu")
            fan_out = shape[0] * shape[2] * shape[3]
            targets[name] = ("std", math.sqrt(2 / fan_out), NORMAL)
    recipe = recipes.resnet(zero_init_residual, block=block)
    _check(targets, recipe.sample(shapes, rng=len(shapes)))


def _fixup_cifar(n_per_stage, widths=(16, 32, 64)):
    shapes = {"conv1.weight": (widths[0], 3, 3, 3), "bias1": (1,)}
    in_ch = widths[0]
    for s, w in enumerate(widths, start=1):
        for b in range(n_per_stage):
            p = f"layer{s}.{b}."
            shapes.update({p + n: (1,) for n in ("bias1a", "bias1b", "bias2a", "bias2b")})
            shapes[p + "scale"] = (1,)
            shapes[p + "conv1.weight"] = (w, in_ch, 3, 3)
            shapes[p + "conv2.weight"] = (w, w, 3, 3)
            in_ch = w
    shapes.update({"bias2": (1,), "fc.weight": (10, widths[-1]), "fc.bias": (10,)})
    return shapes


@pytest.mark.parametrize("n_per_stage", [3, 9, 18])  # Fixup-ResNet-20, 56, 110
def test_fixup_closed_form(n_per_stage):
    shapes = _fixup_cifar(n_per_stage)
    L = 3 * n_per_stage  # residual branches
    targets = {}
    for name, shape in shapes.items():
        if name.startswith("fc.") or "bias" in name or name.endswith("conv2.weight"):
            targets[name] = ("const", 0.0)
        elif name.endswith("scale"):
            targets[name] = ("const", 1.0)
        else:
            he = math.sqrt(2 / (shape[0] * shape[2] * shape[3]))  # the repository's fan_out He
            scale = L**-0.5 if name.startswith("layer") else 1.0  # L^(-1/(2m-2)), m = 2
            targets[name] = ("std", he * scale, NORMAL)
    recipe = recipes.fixup(L, m=2)
    assert recipe.constants["branch_scale"] == pytest.approx(L**-0.5)
    _check(targets, recipe.sample(shapes, rng=L))


def test_fixup_bottleneck_m3():
    shapes = {
        "layer1.0.conv1.weight": (64, 256, 1, 1),
        "layer1.0.conv2.weight": (64, 64, 3, 3),
        "layer1.0.conv3.weight": (256, 64, 1, 1),
        "layer1.0.downsample.weight": (256, 64, 1, 1),
    }
    out = recipes.fixup(16, m=3).sample(shapes, rng=0)
    _check_std("conv1", out["layer1.0.conv1.weight"], math.sqrt(2 / 64) * 16**-0.25, NORMAL)
    _check_std("conv2", out["layer1.0.conv2.weight"], math.sqrt(2 / (64 * 9)) * 16**-0.25, NORMAL)
    _check_const("conv3", out["layer1.0.conv3.weight"], 0.0)
    _check_std("downsample", out["layer1.0.downsample.weight"], math.sqrt(2 / 256), NORMAL)


# --- DeepNet -----------------------------------------------------------------------


def _deepnet(n_enc, n_dec, d, ffn):
    shapes = {}
    for stack, n in (("encoder", n_enc), ("decoder", n_dec)):
        for i in range(n):
            p = f"{stack}.layers.{i}."
            attns = ["self_attn"] + (["encoder_attn"] if stack == "decoder" else [])
            for a in attns:
                for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                    shapes[f"{p}{a}.{proj}.weight"] = (d, d)
                    shapes[f"{p}{a}.{proj}.bias"] = (d,)
                shapes[f"{p}{a}_layer_norm.weight"] = (d,)
                shapes[f"{p}{a}_layer_norm.bias"] = (d,)
            shapes.update({p + "ffn.fc1.weight": (ffn, d), p + "ffn.fc2.weight": (d, ffn)})
            shapes.update({p + "ffn.fc1.bias": (ffn,), p + "ffn.fc2.bias": (d,)})
            shapes.update({p + "final_layer_norm.weight": (d,), p + "final_layer_norm.bias": (d,)})
    return shapes


@pytest.mark.parametrize("n, d", [(6, 64), (18, 128), (100, 64)])
def test_deepnet_closed_form(n, d):
    ffn = 4 * d
    # decoder-only (the paper's "decoder-only" row of table 1): beta = (8N)^(-1/4)
    shapes = {k: v for k, v in _deepnet(0, n, d, ffn).items() if "encoder_attn" not in k}
    beta = (8 * n) ** -0.25
    # encoder-decoder, N = M = n: encoder 0.87 (N^4 M)^(-1/16), decoder (12 M)^(-1/4)
    shapes2 = _deepnet(n, n, d, ffn)
    beta_enc, beta_dec = 0.87 * (n**5) ** (-1 / 16), (12 * n) ** -0.25

    def targets_for(shapes, beta_of):
        t = {}
        for name, (o, *rest) in shapes.items():
            if "norm" in name:
                t[name] = ("const", 1.0 if name.endswith("weight") else 0.0)
            elif name.endswith("bias"):
                t[name] = ("const", 0.0)
            else:
                i = rest[0]
                gain = 1.0 if ("q_proj" in name or "k_proj" in name) else beta_of(name)
                t[name] = ("std", gain * math.sqrt(2 / (i + o)), NORMAL)  # xavier_normal_
        return t

    r1 = recipes.deepnet(n)
    assert r1.constants == pytest.approx({"alpha": (2 * n) ** 0.25, "beta": beta})
    _check(targets_for(shapes, lambda name: beta), r1.sample(shapes, rng=n))
    r2 = recipes.deepnet(n, encoder_decoder=True)
    assert r2.constants["encoder_alpha"] == pytest.approx(0.81 * (n**5) ** (1 / 16))
    assert r2.constants["decoder_alpha"] == pytest.approx((3 * n) ** 0.25)
    t2 = targets_for(shapes2, lambda name: beta_enc if name.startswith("encoder") else beta_dec)
    _check(t2, r2.sample(shapes2, rng=n + 1))


# --- Composition, numpy/torch equality, errors ----------------------------------------


def test_zero_head_composes_first_match_wins():
    recipe = recipes.zero_head() + recipes.vit()
    shapes = {"head.weight": (10, 64), "head.bias": (10,), "blocks.0.mlp.fc1.weight": (256, 64)}
    out = recipe.sample(shapes, rng=0)
    _check_const("head.weight", out["head.weight"], 0.0)
    _check_const("head.bias", out["head.bias"], 0.0)
    assert out["blocks.0.mlp.fc1.weight"].std() > 0.01
    assert isinstance(recipe.match("head.weight"), wi.Zeros)


def test_sample_strict_and_stream():
    recipe = recipes.gpt2(2)
    with pytest.raises(ValueError, match=r"no rule of deepnet\(n_layer=2\) matches.*'rotary'"):
        recipes.deepnet(2).sample({"rotary": (4,), "encoder.layers.0.ffn.fc1.weight": (8, 4)})
    a = recipe.sample({"x.weight": (64, 64)}, rng=3)["x.weight"]
    b = recipe.sample({"x.weight": (64, 64)}, rng=3, stream="model")["x.weight"]
    c = wi.Normal(0.02).sample((64, 64), dtype="float32", rng=3, stream="x.weight")
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: recipes.gpt2(0), "n_layer must be a positive int, got 0"),
        (lambda: recipes.neox(2, -1), "d_model must be a positive int, got -1"),
        (lambda: recipes.vit("flax"), "style must be 'timm' or 'jax', got 'flax'"),
        (lambda: recipes.resnet(block="wide"), "block must be 'bottleneck' or 'basic'"),
        (lambda: recipes.fixup(10, m=1), "m .* must be at least 2, got 1"),
        (lambda: recipes.deepnet(4, n_decoder_layer=2), "n_decoder_layer needs encoder_decoder"),
        (lambda: recipes.t5(64, 128, factor=0), "factor must be positive"),
        (lambda: recipes.gpt2(2).sample({"a.weight": (2, -1)}), r"shapes\['a.weight'\]"),
        (lambda: recipes.gpt2(2).sample({"a.weight": (2, 2)}, dtype="int8"), "dtype must be"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# --- With torch: the same numbers as initialize; parity with the references' own init ---


def test_torch_initialize_equals_sample():
    torch = pytest.importorskip("torch")
    from collections import OrderedDict

    import weightinit.torch as wit

    nn = torch.nn
    net = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 16, 3, bias=False), bn1=nn.BatchNorm2d(16), fc=nn.Linear(512, 10)
        )
    )
    recipe = recipes.resnet(block="basic")
    wit.initialize(net, recipe, rng=5, strict=True)
    shapes = {n: tuple(p.shape) for n, p in net.named_parameters()}
    arrays = recipe.sample(shapes, rng=5)
    for n, p in net.named_parameters():
        np.testing.assert_array_equal(p.detach().numpy(), arrays[n], err_msg=n)


# KS parity: each random parameter of our init against the reference's own init of
# the same tiny model (two-sample Kolmogorov-Smirnov). A parameter fails at
# p < 1e-4; with ~30 random parameters per model the false-failure rate is < 0.3%.
KS_ALPHA = 1e-4


def _ks_parity(ref, ours):
    from scipy.stats import ks_2samp

    checked = 0
    for (name, a), (name2, b) in zip(ref.named_parameters(), ours.named_parameters()):
        assert name == name2
        a, b = a.detach().double().numpy().ravel(), b.detach().double().numpy().ravel()
        if np.all(a == a[0]):  # constant in the reference: ours must be the same constant
            np.testing.assert_array_equal(b, a, err_msg=name)
            continue
        assert ks_2samp(a, b).pvalue > KS_ALPHA, name
        checked += 1
    return checked


def test_gpt2_parity_with_transformers():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    import weightinit.torch as wit

    transformers.logging.set_verbosity_error()
    cfg = transformers.GPT2Config(
        n_layer=3,
        n_embd=64,
        n_head=4,
        vocab_size=512,
        n_positions=64,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(0)
    ref = transformers.GPT2LMHeadModel(cfg)  # _init_weights runs in the constructor
    ours = transformers.GPT2LMHeadModel(cfg)
    wit.initialize(ours, recipes.gpt2(3), rng=0, strict=True)
    assert _ks_parity(ref, ours) == 2 + 3 * 4  # wte, wpe; c_attn, c_proj, c_fc, c_proj


# timm's ViT in a child process. timm imports torchvision at package import (data
# transforms, FrozenBatchNorm2d) but its ViT and init functions never use it; PyPI has
# no torchvision that loads against the CPU torch, so when it is absent the child
# answers those imports with inert placeholder modules. The reference init code that
# runs is timm's own.
_TIMM_VIT = r"""
import importlib.abc, importlib.machinery, importlib.util, json, sys, types

if importlib.util.find_spec("torchvision") is None:
    class _Placeholder(type):
        def __getattr__(cls, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return _Placeholder(name, (), {})

        def __call__(cls, *args, **kwargs):
            return _Placeholder("instance", (), {})

    class _Torchvision(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path, target=None):
            if name == "torchvision" or name.startswith("torchvision."):
                return importlib.machinery.ModuleSpec(name, self, is_package=True)
            return None

        def create_module(self, spec):
            module = types.ModuleType(spec.name)
            module.__path__ = []

            def attribute(name):
                if name.startswith("__"):
                    raise AttributeError(name)
                return _Placeholder(name, (), {})

            module.__getattr__ = attribute
            return module

        def exec_module(self, module):
            pass

    sys.meta_path.insert(0, _Torchvision())

import numpy as np
import torch
from scipy.stats import ks_2samp
import timm.models.vision_transformer as vt
import weightinit.torch as wit
from weightinit import recipes

style = sys.argv[1]
kw = dict(img_size=32, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=10)
torch.manual_seed(0)
ref = vt.VisionTransformer(**kw, weight_init="jax" if style == "jax" else "")
ours = vt.VisionTransformer(**kw)
wit.initialize(ours, recipes.vit(style, patch_size=8), rng=0, strict=True)
rows = []
for (name, a), (name2, b) in zip(ref.named_parameters(), ours.named_parameters()):
    assert name == name2
    a, b = a.detach().double().numpy().ravel(), b.detach().double().numpy().ravel()
    if np.all(a == a[0]):  # constant in the reference: ours must be the same constant
        rows.append([name, "constant", bool(np.array_equal(a, b))])
    else:
        rows.append([name, "ks", float(ks_2samp(a, b).pvalue)])
print(json.dumps(rows))
"""


@pytest.mark.parametrize("style", ["timm", "jax"])
def test_vit_parity_with_timm(style):
    """KS parity with timm's own ViT initialization (init_weights_vit_timm/_jax and
    VisionTransformer.init_weights) on a tiny config; p > KS_ALPHA per parameter."""
    import importlib.util
    import json
    import subprocess
    import sys

    pytest.importorskip("torch")
    if importlib.util.find_spec("timm") is None:
        pytest.skip("could not import 'timm': not installed")
    env = child_env()
    p = subprocess.run(
        [sys.executable, "-c", _TIMM_VIT, style],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    rows = json.loads(p.stdout.strip().splitlines()[-1])
    for name, kind, value in rows:
        if kind == "constant":
            assert value, f"{name}: timm's constant differs from ours"
        else:
            assert value > KS_ALPHA, f"{name}: KS p = {value:.3g}"
    assert sum(kind == "ks" for _, kind, _ in rows) >= 10
