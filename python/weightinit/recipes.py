"""Named initialization recipes of published models: rule sets by parameter name.

A :class:`Recipe` is an ordered mapping from ``fnmatch`` patterns on
qualified parameter names (``"transformer.h.0.attn.c_proj.weight"``) to
initializers; the first pattern that matches a name decides, as in
:func:`weightinit.torch.initialize`, which takes a recipe as its ``rules``::

    import weightinit.recipes as recipes, weightinit.torch as wit
    wit.initialize(model, recipes.gpt2(n_layer=12), rng=0)

Numpy users give a dict of names to shapes (torch's ``(out, in, *kernel)``
layout by default) and get arrays, the same numbers the torch call writes::

    weights = recipes.gpt2(12).sample({"transformer.h.0.attn.c_proj.weight": (768, 768)}, rng=0)

Recipes combine with ``+`` (the left one wins where both match):
``recipes.zero_head() + recipes.vit()``. Every recipe names its paper and
the file of the reference implementation it follows; docs/recipes.md gives
the formulas side by side.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import _adapters
from ._adapters import check_framework_layout, relayout
from ._base import Initializer
from ._rng import RngLike
from .initializers import (
    Constant,
    FanInUniform,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    LeCunNormal,
    Normal,
    Ones,
    TruncatedNormal,
    Uniform,
    Zeros,
)

__all__ = [
    "Recipe",
    "deepnet",
    "fixup",
    "gpt2",
    "neox",
    "resnet",
    "t5",
    "vit",
    "zero_head",
]

_Rule = tuple[str, "Initializer | None"]


class Recipe(Mapping[str, "Initializer | None"]):
    """An ordered rule set: ``{name pattern: initializer or None}``, first match wins.

    Attributes
    ----------
    name : str
        E.g. ``"gpt2(n_layer=12)"``.
    source : str
        Paper and reference implementation the rules follow.
    constants : dict
        Numbers of the recipe that are not initializers but belong to it
        (DeepNet's residual multiplier ``alpha``, ...).
    """

    def __init__(
        self,
        name: str,
        rules: Sequence[_Rule],
        source: str = "",
        constants: Mapping[str, float] | None = None,
    ) -> None:
        self.name = name
        self.source = source
        self.constants = dict(constants or {})
        self._rules: dict[str, Initializer | None] = {}
        for pattern, init in rules:
            if not isinstance(pattern, str):
                raise TypeError(f"recipe pattern must be a str, got {pattern!r}")
            if init is not None and not isinstance(init, Initializer):
                raise TypeError(f"rule {pattern!r}: expected an Initializer or None, got {init!r}")
            self._rules.setdefault(pattern, init)  # the first rule for a pattern wins

    def __getitem__(self, pattern: str) -> Initializer | None:
        return self._rules[pattern]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __repr__(self) -> str:
        return f"<Recipe {self.name}: {len(self)} rules>"

    def __add__(self, other: object) -> Recipe:
        if not isinstance(other, Recipe):
            return NotImplemented
        return Recipe(
            f"{self.name} + {other.name}",
            list(self.items()) + list(other.items()),
            "; ".join(s for s in (self.source, other.source) if s),
            {**other.constants, **self.constants},
        )

    def match(self, name: str) -> Initializer | None:
        """The initializer of parameter ``name`` (None: left alone); KeyError if no rule matches."""
        import fnmatch

        for pattern, init in self._rules.items():
            if fnmatch.fnmatchcase(name, pattern):
                return init
        raise KeyError(f"no rule of {self.name} matches the parameter {name!r}")

    def sample(
        self,
        shapes: Mapping[str, Sequence[int]],
        rng: RngLike = None,
        stream: str | int | None = None,
        *,
        dtype: Any = "float32",
        layout: str | None = "torch",
        strict: bool = True,
    ) -> dict[str, np.ndarray[Any, np.dtype[Any]]]:
        """New arrays for a dict of parameter names to shapes; the numpy form of the recipe.

        The values equal those :func:`weightinit.torch.initialize` writes into
        a model with these parameter names and shapes, for the same ``rng``
        and ``stream`` (each parameter is drawn with ``stream=name``, prefixed
        by ``stream`` if given).

        Parameters
        ----------
        shapes : mapping of str to tuple of int
        rng, stream
            As in :func:`weightinit.torch.initialize`.
        dtype : float16, float32 or float64
        layout : str or None
            Layout of the shapes for initializers that chose none: ``"torch"``
            (default, ``(out, in, *kernel)``), ``"keras"``/``"jax"``, or None.
        strict : bool
            Names no rule matches are an error (default); with False they are
            left out of the result, like the names a rule maps to None.

        Returns
        -------
        dict of str to ndarray
        """
        if not isinstance(shapes, Mapping):
            raise TypeError(
                f"shapes must be a mapping of parameter names to shapes, got {type(shapes)}"
            )
        lay = check_framework_layout(layout)
        dt = np.dtype(dtype)
        if dt not in (np.float16, np.float32, np.float64):
            raise ValueError(f"dtype must be float16, float32 or float64, got {dt}")
        if stream is not None and (isinstance(stream, bool) or not isinstance(stream, (str, int))):
            raise TypeError(f"stream must be a str or an int prefix, got {stream!r}")
        prefix = "" if stream is None else f"{stream}."
        plan: list[tuple[str, tuple[int, ...], Initializer]] = []
        unmatched = []
        relaid: dict[int, Initializer] = {}
        # Every check before the first draw.
        for name, shape in shapes.items():
            if not isinstance(name, str):
                raise TypeError(f"shapes: parameter names must be str, got {name!r}")
            shape_t = _shape(name, shape)
            try:
                init = self.match(name)
            except KeyError:
                unmatched.append(name)
                continue
            if init is None:
                continue
            if id(init) not in relaid:
                relaid[id(init)] = relayout(init, lay)
            init = relaid[id(init)]
            init._check_shape(shape_t)
            plan.append((name, shape_t, init))
        if strict and unmatched:
            raise ValueError(f"no rule of {self.name} matches the parameters {unmatched}")
        gen = None if rng is None else _adapters.pinned(rng, 0)[0]
        out = {}
        for name, shape_t, init in plan:
            arr = np.empty(shape_t, dtype=dt)
            init.fill(arr, rng=gen, stream=prefix + name)
            out[name] = arr
        return out


def _shape(name: str, shape: Any) -> tuple[int, ...]:
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"shapes[{name!r}] must be a sequence of ints, got {shape!r}") from None
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(f"shapes[{name!r}] must be non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    v = float(value)
    if not v > 0 or not math.isfinite(v):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return v


def _norms(*patterns: str) -> list[_Rule]:
    """Normalization layers: weight 1, bias 0 (every reference implementation below)."""
    rules: list[_Rule] = []
    for p in patterns:
        rules += [(f"{p}.weight", Ones()), (f"{p}.bias", Zeros())]
    return rules


# torch's trunc_normal_(w, std=s) truncates at the values +-2 (not +-2 s): for
# s = 0.02 that is 100 standard deviations, so the law is N(0, s^2) to double
# precision, and weightinit draws exactly that truncation.
def _torch_trunc_normal(std: float) -> TruncatedNormal:
    return TruncatedNormal(std, lower=-2.0, upper=2.0, absolute=True)


def gpt2(n_layer: int, *, initializer_range: float = 0.02) -> Recipe:
    """GPT-2 (Radford et al. 2019), as Hugging Face transformers initializes it.

    Source: ``transformers/models/gpt2/modeling_gpt2.py``,
    ``GPT2PreTrainedModel._init_weights``: every Linear/Conv1D weight and the
    token and position embeddings N(0, 0.02^2); the residual projections
    ``attn.c_proj`` and ``mlp.c_proj`` N(0, (0.02 / sqrt(2 n_layer))^2)
    (two residual branches per block: "scale the weights of residual layers
    by 1/sqrt(N)"); biases 0; LayerNorm weight 1, bias 0. Names are
    transformers' (``transformer.h.{i}.attn.c_proj.weight``, ...).

    Examples
    --------
    >>> from weightinit import recipes
    >>> w = recipes.gpt2(12).sample({"h.0.attn.c_proj.weight": (768, 768)}, rng=0)
    >>> round(float(w["h.0.attn.c_proj.weight"].std()), 4)     # 0.02 / sqrt(24)
    0.0041
    """
    n_layer = _positive_int(n_layer, "n_layer")
    std = _positive(initializer_range, "initializer_range")
    rules: list[_Rule] = _norms("*ln_*")
    rules += [
        ("*.c_proj.weight", Normal(std / math.sqrt(2 * n_layer))),
        ("*.weight", Normal(std)),
        ("*.bias", Zeros()),
    ]
    return Recipe(
        f"gpt2(n_layer={n_layer})",
        rules,
        "Radford et al. 2019; transformers modeling_gpt2.py GPT2PreTrainedModel._init_weights",
    )


def neox(n_layer: int, d_model: int) -> Recipe:
    """GPT-NeoX (Black et al. 2022, section 2.3.1): ``small_init`` and ``wang_init``.

    Source: EleutherAI/gpt-neox ``megatron/model/init_functions.py``, with
    the defaults of its configs (``init_method: small_init``,
    ``output_layer_init_method: wang_init``):

    * small_init (Nguyen & Salazar 2019, "Transformers without Tears"):
      N(0, 2 / (5 d_model)) for the embedding, the QKV and the MLP
      up-projection, and the output embedding;
    * wang_init (Ben Wang's Mesh-Transformer-JAX): N(0, (2 / (n_layer
      sqrt(d_model)))^2) for the layers that write into the residual
      stream, ``attention.dense`` and ``mlp.dense_4h_to_h``;
    * biases 0, LayerNorm weight 1, bias 0.

    Names are transformers' GPT-NeoX ones (``gpt_neox.layers.{i}.attention.dense.weight``,
    ``embed_in``, ``embed_out``), whose own ``_init_weights`` uses N(0, 0.02^2)
    everywhere: the Pythia models were trained with this recipe instead
    (EleutherAI/pythia#129).
    """
    n_layer = _positive_int(n_layer, "n_layer")
    d_model = _positive_int(d_model, "d_model")
    small = math.sqrt(2 / (5 * d_model))
    wang = 2 / (n_layer * math.sqrt(d_model))
    rules: list[_Rule] = _norms("*norm*")
    rules += [
        ("*.attention.dense.weight", Normal(wang)),
        ("*.mlp.dense_4h_to_h.weight", Normal(wang)),
        ("*.weight", Normal(small)),
        ("*.bias", Zeros()),
    ]
    return Recipe(
        f"neox(n_layer={n_layer}, d_model={d_model})",
        rules,
        "Black et al. 2022 sec. 2.3.1; gpt-neox megatron/model/init_functions.py "
        "(small_init_init_method, wang_init_method)",
        {"small_init_std": small, "wang_init_std": wang},
    )


def t5(
    d_model: int,
    d_ff: int,
    *,
    d_kv: int = 64,
    n_heads: int | None = None,
    factor: float = 1.0,
    lm_head_std: float | None = None,
) -> Recipe:
    """T5 (Raffel et al. 2020) as Mesh TensorFlow, t5x and transformers initialize it.

    Source: transformers ``models/t5/modeling_t5.py``,
    ``T5PreTrainedModel._init_weights`` (from Mesh TensorFlow), all normal
    with mean 0 and std times ``factor``:

    * attention ``q``: (d_model d_kv)^-1/2 (the 1/sqrt(d_kv) of scaled
      dot-product attention is folded into q's init); ``k``, ``v``:
      d_model^-1/2; ``o``: (n_heads d_kv)^-1/2; ``relative_attention_bias``:
      d_model^-1/2;
    * feed-forward ``wi`` (``wi_0``, ``wi_1`` gated): d_model^-1/2; ``wo``:
      d_ff^-1/2;
    * the shared embedding: 1; layer norms (RMS, weight only): 1;
    * an untied ``lm_head``: d_model^-1/2 by default, as t5x's
      ``logits_dense`` (variance_scaling(1, "fan_in")). transformers draws it
      with std 1, which gives an initial loss near 110
      (google-research/t5x#1477); pass ``lm_head_std=1.0`` for that.

    ``n_heads`` defaults to d_model // d_kv. Names are transformers'
    (``encoder.block.{i}.layer.0.SelfAttention.q.weight``, ``shared.weight``, ...).
    """
    d_model = _positive_int(d_model, "d_model")
    d_ff = _positive_int(d_ff, "d_ff")
    d_kv = _positive_int(d_kv, "d_kv")
    heads = d_model // d_kv if n_heads is None else _positive_int(n_heads, "n_heads")
    if heads < 1:
        raise ValueError(f"n_heads defaults to d_model // d_kv, which is 0 for {d_model}, {d_kv}")
    f = _positive(factor, "factor")
    head = d_model**-0.5 if lm_head_std is None else _positive(lm_head_std, "lm_head_std")
    rules: list[_Rule] = [
        ("*layer_norm.weight", Constant(f)),
        ("*.q.weight", Normal(f * (d_model * d_kv) ** -0.5)),
        ("*.k.weight", Normal(f * d_model**-0.5)),
        ("*.v.weight", Normal(f * d_model**-0.5)),
        ("*.o.weight", Normal(f * (heads * d_kv) ** -0.5)),
        ("*.relative_attention_bias.weight", Normal(f * d_model**-0.5)),
        ("*.wi.weight", Normal(f * d_model**-0.5)),
        ("*.wi_0.weight", Normal(f * d_model**-0.5)),
        ("*.wi_1.weight", Normal(f * d_model**-0.5)),
        ("*.wo.weight", Normal(f * d_ff**-0.5)),
        ("lm_head.weight", Normal(f * head)),
        ("shared.weight", Normal(f * 1.0)),
        ("*embed_tokens.weight", Normal(f * 1.0)),
    ]
    return Recipe(
        f"t5(d_model={d_model}, d_ff={d_ff}, d_kv={d_kv}, n_heads={heads})",
        rules,
        "Raffel et al. 2020; transformers modeling_t5.py T5PreTrainedModel._init_weights; "
        "t5x network.py (logits_dense)",
    )


def vit(
    style: str = "timm",
    *,
    patch_size: int = 16,
    in_chans: int = 3,
    head_bias: float = 0.0,
) -> Recipe:
    """Vision Transformer (Dosovitskiy et al. 2021) as timm initializes it.

    Source: timm ``models/vision_transformer.py``, ``VisionTransformer.init_weights``
    with ``init_weights_vit_timm`` (``style="timm"``, timm's default) or
    ``init_weights_vit_jax`` (``style="jax"``, the original big_vision/Flax
    init). Both: ``pos_embed`` N(0, 0.02^2) (torch's trunc_normal_ at +-2,
    i.e. 100 std), ``cls_token``/``reg_token`` N(0, 1e-12), norms 1 and 0.

    * timm: every Linear weight (qkv, proj, fc1, fc2, head) N(0, 0.02^2)
      (same truncation), biases 0; the patch embedding keeps torch's Conv2d
      default, weight and bias U(+-1/sqrt(in_chans patch_size^2)).
    * jax: Linear weights Glorot uniform on the fused matrix, MLP biases
      N(0, 1e-12), other biases 0; the head weight 0 and bias ``head_bias``;
      the patch embedding LeCun normal (truncated at 2 std, variance 1/fan_in), bias 0.

    ``patch_size`` and ``in_chans`` give the patch embedding's fan_in.
    """
    if style not in ("timm", "jax"):
        raise ValueError(f"style must be 'timm' or 'jax', got {style!r}")
    patch_size = _positive_int(patch_size, "patch_size")
    in_chans = _positive_int(in_chans, "in_chans")
    if isinstance(head_bias, bool) or not isinstance(head_bias, numbers.Real):
        raise TypeError(f"head_bias must be a number, got {head_bias!r}")
    rules: list[_Rule] = [
        ("cls_token", Normal(1e-6)),
        ("reg_token", Normal(1e-6)),
        ("pos_embed", _torch_trunc_normal(0.02)),
    ]
    rules += _norms("*norm*")
    if style == "timm":
        bound = 1 / math.sqrt(in_chans * patch_size * patch_size)
        rules += [
            ("patch_embed.proj.weight", FanInUniform(layout="torch")),
            ("patch_embed.proj.bias", Uniform(bound)),
            ("*.weight", _torch_trunc_normal(0.02)),
            ("*.bias", Zeros()),
        ]
        ref = "init_weights_vit_timm"
    else:
        rules += [
            ("patch_embed.proj.weight", LeCunNormal(layout="torch")),
            ("patch_embed.proj.bias", Zeros()),
            ("head.weight", Zeros()),
            ("head.bias", Constant(float(head_bias))),
            ("*.mlp.*.bias", Normal(1e-6)),
            ("*.weight", GlorotUniform(layout="torch")),
            ("*.bias", Zeros()),
        ]
        ref = "init_weights_vit_jax"
    return Recipe(
        f"vit(style={style!r})",
        rules,
        f"Dosovitskiy et al. 2021; timm models/vision_transformer.py ({ref})",
    )


def resnet(zero_init_residual: bool = True, *, block: str = "bottleneck") -> Recipe:
    """ResNet (He et al. 2016) as torchvision initializes it.

    Source: torchvision ``models/resnet.py``, ``ResNet.__init__``: every
    Conv2d He normal with ``mode="fan_out"`` and the ReLU gain (std
    sqrt(2 / (out k_h k_w))); BatchNorm/GroupNorm weight 1, bias 0; with
    ``zero_init_residual`` the last BatchNorm of each residual branch
    (``bn3`` of a Bottleneck, ``bn2`` of a BasicBlock) weight 0, so each
    block starts as the identity (Goyal et al. 2017). The classifier ``fc``
    keeps nn.Linear's default, U(+-1/sqrt(512 expansion)) for weight and bias.

    ``block`` is ``"bottleneck"`` (ResNet-50/101/152, expansion 4) or
    ``"basic"`` (ResNet-18/34, expansion 1): it decides which BatchNorm is
    the branch's last and fc's fan_in. Names are torchvision's.
    """
    if block not in ("bottleneck", "basic"):
        raise ValueError(f"block must be 'bottleneck' or 'basic', got {block!r}")
    if not isinstance(zero_init_residual, bool):
        raise TypeError(f"zero_init_residual must be a bool, got {zero_init_residual!r}")
    last_bn = "bn3" if block == "bottleneck" else "bn2"
    expansion = 4 if block == "bottleneck" else 1
    rules: list[_Rule] = []
    if zero_init_residual:
        rules.append((f"layer*.{last_bn}.weight", Zeros()))
    rules += _norms("*bn*", "*.downsample.1")
    rules += [
        ("fc.weight", FanInUniform(layout="torch")),
        ("fc.bias", Uniform(1 / math.sqrt(512 * expansion))),
        ("*.weight", HeNormal(gain="relu", mode="fan_out", layout="torch")),
    ]
    return Recipe(
        f"resnet(zero_init_residual={zero_init_residual}, block={block!r})",
        rules,
        "He et al. 2016; Goyal et al. 2017 (zero-init residual); torchvision models/resnet.py",
    )


def fixup(n_blocks: int, m: int = 2) -> Recipe:
    """Fixup (Zhang, Dauphin & Ma 2019): residual networks without normalization.

    The paper's rule (section 3): the classification layer and the last
    layer of each residual branch 0; every other layer He normal; the
    weight layers inside the residual branches scaled by
    L^(-1/(2m-2)), L = ``n_blocks`` residual branches of ``m`` layers each.
    Scalar biases (``bias1a``, ...) 0 and multipliers (``scale``) 1.

    Source: hongyi-zhang/Fixup, ``cifar/models/fixup_resnet_cifar.py``
    (m = 2: branch ``conv1`` N(0, 2/(out k^2) L^-1), ``conv2`` 0, ``fc`` 0)
    and ``imagenet/models/fixup_resnet_imagenet.py`` (m = 3: ``conv1``,
    ``conv2`` scaled by L^(-1/4), ``conv3`` 0; ``downsample`` N(0, 2/(out k^2))).
    He normal here is the repository's: std sqrt(2 / (out k_h k_w)), fan_out.
    The stem convolution, which the cifar code leaves at torch's default, gets
    the same He normal (the paper's "standard method").
    """
    n_blocks = _positive_int(n_blocks, "n_blocks")
    m = _positive_int(m, "m")
    if m < 2:
        raise ValueError(f"m (layers per residual branch) must be at least 2, got {m}")
    scale = n_blocks ** (-1 / (2 * m - 2))
    he = HeNormal(gain="relu", mode="fan_out", layout="torch")
    rules: list[_Rule] = [
        ("fc.weight", Zeros()),
        ("fc.bias", Zeros()),
        ("*bias*", Zeros()),
        ("*scale*", Ones()),
        (f"*.conv{m}.weight", Zeros()),
    ]
    branch = HeNormal(gain=math.sqrt(2) * scale, mode="fan_out", layout="torch")
    rules += [(f"*.conv{i}.weight", branch) for i in range(1, m)]
    rules += [("*.weight", he)]
    return Recipe(
        f"fixup(n_blocks={n_blocks}, m={m})",
        rules,
        "Zhang, Dauphin & Ma 2019; hongyi-zhang/Fixup cifar/models/fixup_resnet_cifar.py, "
        "imagenet/models/fixup_resnet_imagenet.py",
        {"branch_scale": scale},
    )


def deepnet(
    n_layer: int, encoder_decoder: bool = False, *, n_decoder_layer: int | None = None
) -> Recipe:
    """DeepNet / DeepNorm (Wang et al. 2022): 1,000-layer Post-LN transformers.

    DeepNorm computes x_{l+1} = LN(alpha x_l + G(x_l)) and initializes, per
    the paper's figure 2, the feed-forward layers (``fc1``, ``fc2``) and the
    attention's ``v_proj`` and ``out_proj`` Xavier normal with gain beta,
    ``q_proj`` and ``k_proj`` Xavier normal with gain 1:

    * encoder-only or decoder-only, N layers: alpha = (2N)^(1/4),
      beta = (8N)^(-1/4);
    * encoder-decoder, N encoder and M decoder layers: encoder alpha =
      0.81 (N^4 M)^(1/16), beta = 0.87 (N^4 M)^(-1/16); decoder alpha =
      (3M)^(1/4), beta = (12M)^(-1/4). M = ``n_decoder_layer`` (default N).

    alpha is not an initializer: it is in ``recipe.constants`` (``alpha``,
    or ``encoder_alpha`` and ``decoder_alpha``) for the model's forward.
    Norms 1 and 0, biases 0; embeddings are the model's own choice (no rule:
    add one). Names are torchscale's (``encoder.layers.{i}.self_attn.v_proj.weight``,
    ``.ffn.fc1``; cross-attention ``encoder_attn``). Source: microsoft/torchscale
    ``torchscale/architecture/encoder.py``, ``decoder.py`` (deepnorm branch:
    the same constants, applied to its default init).
    """
    n_layer = _positive_int(n_layer, "n_layer")
    if not isinstance(encoder_decoder, bool):
        raise TypeError(f"encoder_decoder must be a bool, got {encoder_decoder!r}")
    if n_decoder_layer is not None and not encoder_decoder:
        raise ValueError("n_decoder_layer needs encoder_decoder=True")
    dec = n_layer if n_decoder_layer is None else _positive_int(n_decoder_layer, "n_decoder_layer")

    def scaled(prefix: str, beta: float) -> list[_Rule]:
        g = GlorotNormal(gain=beta, layout="torch")
        return [(f"{prefix}*.{n}.weight", g) for n in ("v_proj", "out_proj", "fc1", "fc2")]

    ones = GlorotNormal(layout="torch")
    rules: list[_Rule] = _norms("*layer_norm*", "*layernorm*")
    if encoder_decoder:
        n, mm = n_layer, dec
        constants = {
            "encoder_alpha": 0.81 * (n**4 * mm) ** (1 / 16),
            "encoder_beta": 0.87 * (n**4 * mm) ** (-1 / 16),
            "decoder_alpha": (3 * mm) ** (1 / 4),
            "decoder_beta": (12 * mm) ** (-1 / 4),
        }
        rules += scaled("encoder.", constants["encoder_beta"])
        rules += scaled("decoder.", constants["decoder_beta"])
        name = f"deepnet(n_layer={n_layer}, encoder_decoder=True, n_decoder_layer={dec})"
    else:
        constants = {"alpha": (2 * n_layer) ** (1 / 4), "beta": (8 * n_layer) ** (-1 / 4)}
        rules += scaled("", constants["beta"])
        name = f"deepnet(n_layer={n_layer})"
    rules += [("*.q_proj.weight", ones), ("*.k_proj.weight", ones), ("*.bias", Zeros())]
    return Recipe(
        name,
        rules,
        "Wang et al. 2022 (DeepNet, fig. 2 and table 1); microsoft/torchscale "
        "torchscale/architecture/encoder.py, decoder.py",
        constants,
    )


def zero_head(names: Sequence[str] = ("head", "lm_head", "classifier", "fc")) -> Recipe:
    """The output layer's weight and bias zero: every output starts at the same logits.

    Used by the ViT JAX init, Fixup and many fine-tuning recipes (the
    initial loss is log(classes) and the first gradients go to the head).
    ``names`` are top-level module names: the rules are ``{name}.*``.
    Combine with another recipe: ``zero_head() + vit()``. A head tied to
    the input embedding is one parameter under the embedding's name and is
    not matched.
    """
    if isinstance(names, str):
        names = (names,)
    for n in names:
        if not isinstance(n, str) or not n:
            raise ValueError(f"names must be non-empty module names, got {n!r}")
    return Recipe(
        f"zero_head({', '.join(names)})",
        [(f"{n}.*", Zeros()) for n in names],
        "zero-initialized classifier (Zhang et al. 2019; Dosovitskiy et al. 2021, JAX init)",
    )
