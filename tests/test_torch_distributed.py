"""weightinit.torch on sharded models: DTensor init_, initialize and materialize.

Real engines only: the layout rule (local_region) is checked against torch's
own sharding code, and the rest runs on torch.distributed gloo groups of
spawned processes (tests/_distributed.py). The unmarked tests (world sizes 2
and 3, one spawn each) are the CI subset; world sizes 1 and 4, the 2x2
meshes and FSDP2 + tensor parallelism are marked slow.
"""

import itertools

import numpy as np
import pytest

import weightinit as wi

torch = pytest.importorskip("torch")
import weightinit.torch as wit  # noqa: E402 - after the framework check

if not torch.distributed.is_available():  # pragma: no cover - CPU wheels have it
    pytest.skip("torch.distributed is not available", allow_module_level=True)

from _distributed import run  # noqa: E402
from torch.distributed.tensor import Partial, Replicate, Shard  # noqa: E402
from torch.distributed.tensor.placement_types import _StridedShard  # noqa: E402

nn = torch.nn


# --- the layout rule against torch's own code (no processes) -------------------------


def placement(code):
    """``"S0"`` -> Shard(0), ``"R"`` -> Replicate(), ``"SS0/2"`` -> _StridedShard(0, sf=2)."""
    if code == "R":
        return Replicate()
    if code.startswith("SS"):
        dim, sf = code[2:].split("/")
        return _StridedShard(int(dim), split_factor=int(sf))
    return Shard(int(code[1:]))


def torch_indices(n, mesh_shape, coordinate, placements, dim):
    """The global indices of axis ``dim`` a rank holds, by torch's own split functions."""
    idx = torch.arange(n).view([1] * dim + [n])  # the split functions cut axis p.dim
    for mesh_dim, p in enumerate(placements):
        if isinstance(p, (Shard, _StridedShard)) and p.dim == dim:
            pieces, _ = p._split_tensor(
                idx, mesh_shape[mesh_dim], with_padding=False, contiguous=True
            )
            idx = pieces[coordinate[mesh_dim]]
    return idx.reshape(-1).tolist()


LAYOUT_CASES = [
    ((7, 5), (2,), ["S0"]),
    ((7, 5), (3,), ["S1"]),
    ((3, 10), (4,), ["S0"]),  # rank 3 holds nothing
    ((5, 9), (4,), ["S0"]),  # torch.chunk: 2, 2, 1, 0
    ((0, 4), (2,), ["S0"]),
    ((6, 4), (2,), ["R"]),
    ((7, 5), (2, 2), ["S0", "S1"]),
    ((7, 5), (2, 2), ["R", "S0"]),
    ((7, 5), (2, 2), ["S0", "S0"]),
    ((9, 4), (2, 3), ["S0", "S0"]),
    ((8, 4), (2, 2), ["SS0/2", "S0"]),
    ((9, 4), (2, 2), ["SS0/2", "S0"]),
    ((11, 3), (3, 2), ["SS0/2", "S0"]),
    ((6, 5, 4), (2, 2), ["S2", "S1"]),
    ((6, 5, 4), (2, 2), ["SS1/2", "S1"]),
]


@pytest.mark.parametrize(("shape", "mesh_shape", "codes"), LAYOUT_CASES)
def test_local_region_is_torch_layout(shape, mesh_shape, codes):
    from torch.distributed.tensor._utils import _compute_local_shape_and_global_offset

    placements = [placement(c) for c in codes]
    for coordinate in itertools.product(*map(range, mesh_shape)):
        runs = wit.local_region(shape, mesh_shape, coordinate, placements)
        local_shape, offset = _compute_local_shape_and_global_offset(
            shape, mesh_shape, list(coordinate), placements
        )
        assert tuple(sum(n for _, n in r) for r in runs) == tuple(local_shape)
        for d, r in enumerate(runs):
            mine = [i for start, n in r for i in range(start, start + n)]
            assert mine == torch_indices(shape[d], mesh_shape, coordinate, placements, d)
            if r:
                assert r[0][0] == offset[d]


def test_local_region_rejects_partial_and_bad_dims():
    with pytest.raises(ValueError, match=r"Partial\(sum\)"):
        wit.local_region((4, 4), (2,), (0,), [Partial()])
    with pytest.raises(ValueError, match="placement"):
        wit.local_region((4, 4), (2,), (0,), ["Shard(0)"])
    with pytest.raises(ValueError, match="shards dim 2"):
        wit.local_region((4, 4), (2,), (0,), [Shard(2)])
    with pytest.raises(ValueError, match="one entry per mesh dimension"):
        wit.local_region((4, 4), (2, 2), (0,), [Shard(0)])


# --- DTensor init_ on gloo --------------------------------------------------------------

DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.bfloat16}
INITS = [
    wi.Normal(std=0.02),
    wi.GlorotUniform(),
    wi.TruncatedNormal(),
    wi.Orthogonal(gain="relu"),
    wi.HeNormal(gain="relu"),
]


def dtensor_cases(mesh_shape, fast=False):
    """(shape, placement codes, initializer, dtype name) covering uneven and empty shards."""
    if len(mesh_shape) == 1:
        layouts = [
            ((13, 6), ["S0"]),
            ((13, 6), ["S1"]),
            ((6, 13), ["S1"]),  # wide Orthogonal, split along Q's columns: cheap
            ((2, 5), ["S0"]),  # more ranks than rows: empty shards
            ((8, 3, 3, 3), ["S1"]),
            ((7,), ["S0"]),
            ((5, 4), ["R"]),
        ]
    else:
        layouts = [
            ((13, 6), ["S0", "S1"]),
            ((13, 6), ["R", "S0"]),
            ((13, 6), ["S0", "S0"]),
            ((13, 6), ["S1", "R"]),
            ((3, 5), ["S0", "S0"]),  # 2, 1, 0, 0 rows
            ((8, 6), ["SS0/2", "S0"]),
            ((9, 7), ["SS0/2", "S1"]),
        ]
    if fast:  # the CI subset: every layout once, the initializer kinds and dtypes in turn
        kinds = [wi.Orthogonal(gain="relu"), wi.GlorotUniform(), wi.Normal(std=0.02)]
        dtypes = ["float32", "bfloat16", "float64"]
        return [
            (shape, codes, kinds[i % 3] if len(shape) > 1 else wi.Normal(), dtypes[i % 3])
            for i, (shape, codes) in enumerate(layouts)
        ]
    cases = []
    for (shape, codes), init in itertools.product(layouts, INITS):
        if len(shape) < 2 and not isinstance(init, (wi.Normal, wi.TruncatedNormal)):
            continue
        for dtype in DTYPES:
            cases.append((shape, codes, init, dtype))
    return cases


def bits(t):
    """Compare bit patterns (bfloat16 through int16)."""
    return t.view(torch.int16) if t.dtype == torch.bfloat16 else t


def _check_dtensors(rank, world_size, mesh_shape, cases):
    """On each rank: init_ every case (in a rank-dependent order, so any collective
    inside init_ would deadlock or mismatch), then compare the gathered tensors."""
    import torch.distributed.tensor as dt
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset

    mesh = init_device_mesh("cpu", tuple(mesh_shape))
    tensors = []
    for shape, codes, _, dtype in cases:
        placements = [placement(c) for c in codes]
        tensors.append(
            dt.empty(shape, dtype=DTYPES[dtype], device_mesh=mesh, placements=placements)
        )
    order = list(range(len(cases)))
    if rank % 2:
        order.reverse()
    for i in order:
        wit.init_(tensors[i], cases[i][2], rng=11, stream=f"case{i}")
    report = []
    for i, (shape, codes, init, dtype) in enumerate(cases):
        t = tensors[i]
        torch_shape, torch_offset = compute_local_shape_and_global_offset(shape, mesh, t.placements)
        runs = wit.local_region(shape, mesh.shape, mesh.get_coordinate(), t.placements)
        full = t.full_tensor()
        plain = wit.init_(torch.empty(shape, dtype=DTYPES[dtype]), init, rng=11, stream=f"case{i}")
        report.append(
            {
                "case": (shape, codes, repr(init), dtype),
                "local_shape": tuple(t.to_local().shape),
                "torch_local_shape": tuple(torch_shape),
                "offset": tuple(r[0][0] if r else None for r in runs),
                "torch_offset": tuple(torch_offset),
                "equal": torch.equal(
                    full.view(torch.int16 if dtype == "bfloat16" else full.dtype),
                    plain.view(torch.int16 if dtype == "bfloat16" else full.dtype),
                ),
                "local_numel": t.to_local().numel(),
            }
        )
    # Host memory numpy allocates while filling a shard (tracemalloc sees numpy's
    # allocations): in place for float32, bounded scratch for bfloat16 -- never the
    # 8 MiB float32 global tensor.
    import tracemalloc

    peaks = {}
    for dtype in ("float32", "bfloat16"):
        t = dt.empty(
            (2048, 1024),
            dtype=DTYPES[dtype],
            device_mesh=mesh,
            placements=[Shard(0)] * len(mesh_shape),
        )
        tracemalloc.start()
        wit.init_(t, wi.Normal(std=0.02), rng=3, stream="big")
        peaks[dtype] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # A placement that is not a block of the logical tensor: a clear error, nothing written.
    partial = dt.DTensor.from_local(torch.zeros(4, 4), mesh, [Partial()] * len(mesh_shape))
    try:
        wit.init_(partial, wi.Normal(), rng=0)
        partial_error = None
    except ValueError as e:
        partial_error = str(e)
    return report, partial_error, bool((partial.to_local() == 0).all()), peaks


def check_dtensor_reports(results, world_size):
    checked = 0
    empty_somewhere = False
    for report, partial_error, untouched, peaks in results:
        assert peaks["float32"] < 2**20, peaks
        assert peaks["bfloat16"] < 3 * 2**20, peaks
        assert partial_error is not None and "Partial(sum)" in partial_error
        assert untouched
        for r in report:
            assert r["equal"], r["case"]
            assert r["local_shape"] == r["torch_local_shape"], r
            for mine, theirs in zip(r["offset"], r["torch_offset"], strict=True):
                assert mine is None or mine == theirs, r
            empty_somewhere |= r["local_numel"] == 0
            checked += 1
    assert checked == world_size * len(results[0][0]) > 0
    return empty_somewhere


@pytest.mark.slow
@pytest.mark.parametrize("world_size", [2, 3])
def test_dtensor_init_equals_plain_init_1d_all_cases(world_size):
    cases = dtensor_cases((world_size,))
    results = run(_check_dtensors, world_size, (world_size,), cases)
    assert check_dtensor_reports(results, world_size) == (world_size == 3)


@pytest.mark.slow
def test_dtensor_init_equals_plain_init_2x2():
    cases = dtensor_cases((2, 2))
    results = run(_check_dtensors, 4, (2, 2), cases)
    assert check_dtensor_reports(results, 4)


# --- whole models: a small transformer, sharded and materialized ------------------------


class Rotary(nn.Module):
    """Rotary position embedding; ``inv_freq`` is a non-persistent buffer."""

    def __init__(self, head_dim, base=10000.0):
        super().__init__()
        self.head_dim, self.base = head_dim, base
        self.register_buffer("inv_freq", torch.empty(head_dim // 2), persistent=False)
        self.reset_parameters()

    def reset_parameters(self):
        with torch.no_grad():
            steps = torch.arange(
                0, self.head_dim, 2, dtype=torch.float32, device=self.inv_freq.device
            )
            self.inv_freq.copy_(1.0 / self.base ** (steps / self.head_dim))

    def forward(self, x):  # x: (batch, heads, seq, head_dim)
        t = torch.arange(x.shape[-2], dtype=torch.float32)
        angles = torch.outer(t, self.inv_freq)
        cos, sin = angles.cos(), angles.sin()
        x1, x2 = x[..., 0::2], x[..., 1::2]
        return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, dim, heads, hidden):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.rope = Rotary(dim // heads)
        self.norm2 = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)

    def forward(self, x):
        b, s, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, s, 3, self.heads, -1).transpose(1, 3).unbind(2)
        a = nn.functional.scaled_dot_product_attention(
            self.rope(q), self.rope(k), v, is_causal=True
        )
        x = x + self.proj(a.transpose(1, 2).reshape(b, s, d))
        return x + self.down(nn.functional.gelu(self.up(self.norm2(x))))


class TinyLM(nn.Module):
    def __init__(self, vocab=37, dim=12, heads=2, hidden=29, layers=2):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block(dim, heads, hidden) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight  # tied

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


RULES = {
    "*qkv.weight": wi.Orthogonal(),
    "*.weight": wi.TruncatedNormal(std=0.02),
    "*norm*.bias": wi.Zeros(),
    "*.bias": wi.Uniform(0.01),
}
NORM_RULES = {nn.LayerNorm: {"weight": wi.Ones(), "bias": wi.Zeros()}, **RULES}


def eager_state(dtype=torch.float32):
    model = TinyLM().to(dtype)
    wit.initialize(model, NORM_RULES, rng=2024)
    return model


def _check_transformer(rank, world_size, mesh_shape):
    """fully_shard a meta TinyLM, materialize it; and fully_shard a real one, initialize it."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor import DTensor

    mesh = init_device_mesh("cpu", tuple(mesh_shape))
    eager = eager_state()
    tokens = torch.arange(24).reshape(2, 12) % 37
    with torch.no_grad():
        expected_logits = eager(tokens)

    def shard(model):
        for block in model.blocks:
            fully_shard(block, mesh=mesh)
        fully_shard(model, mesh=mesh)
        return model

    out = {}
    with torch.device("meta"):
        meta = shard(TinyLM())
    out["placements"] = sorted({str(tuple(p.placements)) for p in meta.parameters()})
    local_bytes = sum(p.to_local().numel() for p in meta.parameters())
    try:
        wit.materialize(meta, NORM_RULES, rng=2024)
        out["missing_rope_error"] = None
    except ValueError as e:
        out["missing_rope_error"] = str(e)
    out["still_meta_after_error"] = all(p.to_local().is_meta for p in meta.parameters())
    wit.materialize(meta, NORM_RULES, rng=2024, fallback="reset_parameters")
    out["all_dtensor"] = all(isinstance(p, DTensor) for p in meta.parameters())
    out["local_numel"] = sum(p.to_local().numel() for p in meta.parameters())
    out["local_numel_before"] = local_bytes
    out["tied"] = meta.head.weight is meta.embed.weight
    out["params_equal"] = {
        n: torch.equal(p.full_tensor(), eager.get_parameter(n)) for n, p in meta.named_parameters()
    }
    out["buffers_equal"] = {n: torch.equal(b, eager.get_buffer(n)) for n, b in meta.named_buffers()}
    with torch.no_grad():
        logits = meta(tokens)
    out["logits_close"] = bool(torch.allclose(logits, expected_logits, rtol=1e-5, atol=1e-6))

    # A real model sharded by fully_shard, then initialize(): the same values.
    real = shard(TinyLM())
    wit.initialize(real, NORM_RULES, rng=2024)
    out["initialize_equal"] = {
        n: torch.equal(p.full_tensor(), eager.get_parameter(n)) for n, p in real.named_parameters()
    }
    return out


def check_transformer(results, world_size):
    names = [n for n, _ in TinyLM().named_parameters()]
    total = sum(p.numel() for p in TinyLM().parameters())
    numels = []
    for out in results:
        assert out["placements"] == ["(Shard(dim=0),)"]
        assert "blocks.0.rope.inv_freq" in out["missing_rope_error"]
        assert "blocks.1.rope.inv_freq" in out["missing_rope_error"]
        assert out["still_meta_after_error"]
        assert out["all_dtensor"] and out["tied"]
        assert list(out["params_equal"]) == names and all(out["params_equal"].values())
        assert out["buffers_equal"] and all(out["buffers_equal"].values())
        assert all(out["initialize_equal"].values()) and len(out["initialize_equal"]) == len(names)
        assert out["logits_close"]
        assert out["local_numel"] == out["local_numel_before"]
        numels.append(out["local_numel"])
    # Each rank allocated only its shards: together exactly one copy of the model.
    assert sum(numels) == total
    if world_size > 1:
        assert max(numels) < total


def _check_both(rank, world_size, mesh_shape, cases):
    return _check_dtensors(rank, world_size, mesh_shape, cases), _check_transformer(
        rank, world_size, mesh_shape
    )


def check_both(world_size, fast):
    cases = dtensor_cases((world_size,), fast=fast)
    results = run(_check_both, world_size, (world_size,), cases)
    empty = check_dtensor_reports([d for d, _ in results], world_size)
    assert empty == (world_size > 2)  # (2, 5) over 3 or 4 ranks leaves one empty
    check_transformer([t for _, t in results], world_size)


@pytest.mark.parametrize("world_size", [2, 3])
def test_sharded_init_equals_unsharded(world_size):
    """The CI subset: one spawn per world size, every 1-D layout and the transformer."""
    check_both(world_size, fast=True)


@pytest.mark.slow
@pytest.mark.parametrize("world_size", [1, 4])
def test_sharded_init_equals_unsharded_all_cases(world_size):
    check_both(world_size, fast=False)


def _check_fsdp_tp(rank, world_size):
    """FSDP2 over tensor parallelism on a 2x2 mesh: the 2-D placements FSDP2 produces."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor.parallel import (
        ColwiseParallel,
        RowwiseParallel,
        parallelize_module,
    )

    mesh = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
    eager = eager_state()
    with torch.device("meta"):
        model = TinyLM()
    for block in model.blocks:
        parallelize_module(block, mesh["tp"], {"up": ColwiseParallel(), "down": RowwiseParallel()})
        fully_shard(block, mesh=mesh["dp"])
    fully_shard(model, mesh=mesh["dp"])
    wit.materialize(model, NORM_RULES, rng=2024, fallback="reset_parameters")
    placements = {n: str(tuple(p.placements)) for n, p in model.named_parameters()}
    equal = {
        n: torch.equal(p.full_tensor(), eager.get_parameter(n)) for n, p in model.named_parameters()
    }
    return placements, equal


@pytest.mark.slow
def test_fsdp2_over_tensor_parallel_2x2():
    for placements, equal in run(_check_fsdp_tp, 4):
        assert (
            "_StridedShard" in placements["blocks.0.up.weight"]
            or "_S(" in placements["blocks.0.up.weight"]
        ), placements
        assert all(equal.values()) and len(equal) == len(list(TinyLM().parameters()))


# --- materialize on one process ----------------------------------------------------------


def conv_net():
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5)
    )
    return net


CONV_RULES = {
    nn.BatchNorm2d: {"weight": wi.Ones(), "bias": wi.Zeros()},
    "*.weight": wi.HeNormal(gain="relu"),
    "*.bias": wi.Zeros(),
}


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_materialize_equals_eager_initialize(dtype):
    eager = wit.initialize(conv_net().to(dtype), CONV_RULES, rng=5, stream="net")
    with torch.device("meta"):
        meta = conv_net().to(dtype)
    assert wit.materialize(meta, CONV_RULES, rng=5, stream="net") is meta
    state = meta.state_dict()
    assert list(state) == list(eager.state_dict())
    for name, value in eager.state_dict().items():
        assert state[name].device.type == "cpu"
        assert torch.equal(state[name], value), name
    assert int(meta[1].num_batches_tracked) == 0 and meta[1].running_var.eq(1).all()


def test_materialize_tied_weights_and_streams():
    eager = eager_state()
    with torch.device("meta"):
        meta = TinyLM()
    wit.materialize(meta, NORM_RULES, rng=2024, fallback="reset_parameters")
    assert meta.head.weight is meta.embed.weight
    assert meta.head.weight.requires_grad and isinstance(meta.head.weight, nn.Parameter)
    for name, p in eager.named_parameters():
        assert torch.equal(meta.get_parameter(name), p), name
    for name, b in eager.named_buffers():
        assert torch.equal(meta.get_buffer(name), b), name
    # The tied weight is filled once, under its first name: "embed.weight".
    plain = wit.init_(
        torch.empty(37, 12), wi.TruncatedNormal(std=0.02), rng=2024, stream="embed.weight"
    )
    assert torch.equal(meta.head.weight, plain)


def test_materialize_lists_every_uncovered_tensor_before_changing_anything():
    with torch.device("meta"):
        model = TinyLM()
    rules = {"*.weight": wi.Normal(0.02), "blocks.1.*.bias": None}
    with pytest.raises(ValueError) as info:
        wit.materialize(model, rules, rng=0)
    msg = str(info.value)
    expected = [n for n, _ in model.named_parameters() if n.endswith("bias")]
    assert len(expected) == 13
    for name in expected + ["blocks.0.rope.inv_freq", "blocks.1.rope.inv_freq"]:
        assert repr(name) in msg, name
    assert "embed.weight" not in msg
    assert all(t.is_meta for t in itertools.chain(model.parameters(), model.buffers()))


def test_materialize_keeps_real_tensors_and_checks_the_fallback():
    net = conv_net()
    with torch.device("meta"):
        net[4] = nn.Linear(64, 5)
    keep = net[0].weight.detach().clone()
    gen = np.random.default_rng(3)
    state = gen.bit_generator.state
    with pytest.raises(ValueError, match="fallback must be"):
        wit.materialize(net, CONV_RULES, rng=gen, fallback="reset")
    with pytest.raises(ValueError, match="device must be"):
        wit.materialize(net, CONV_RULES, rng=gen, device="nowhere")
    assert gen.bit_generator.state == state  # errors consume nothing
    wit.materialize(net, {"4.*": wi.Normal(0.1)}, rng=1)
    assert torch.equal(net[0].weight, keep)  # already real: kept
    assert torch.equal(
        net[4].bias, wit.init_(torch.empty(5), wi.Normal(0.1), rng=1, stream="4.bias")
    )

    with torch.device("meta"):
        model = TinyLM()
    with pytest.raises(RuntimeError, match=r"blocks\.0\.rope\.inv_freq"):
        wit.materialize(model, NORM_RULES, rng=0, fallback=lambda module: None)

    class NoReset(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("table", torch.zeros(3))

    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(2, 2), NoReset())
    with pytest.raises(ValueError, match=r"modules \['1'\] .* no reset_parameters"):
        wit.materialize(model, {"*": wi.Zeros()}, rng=0, fallback="reset_parameters")
    assert model[1].table.is_meta
    wit.materialize(model, {"*": wi.Zeros()}, rng=0, fallback=lambda m: m.table.fill_(7.0))
    assert model[1].table.tolist() == [7.0, 7.0, 7.0] and model[0].weight.eq(0).all()


def test_materialize_fallback_reset_parameters_for_uncovered_parameters():
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4))
    torch.manual_seed(0)
    wit.materialize(model, {"0.weight": wi.GlorotUniform()}, rng=4, fallback="reset_parameters")
    # The rule wins on the parameter it covers; the module's own defaults fill the rest.
    assert torch.equal(
        model[0].weight, wit.init_(torch.empty(4, 3), wi.GlorotUniform(), rng=4, stream="0.weight")
    )
    assert model[1].weight.eq(1).all() and model[1].bias.eq(0).all()
    assert torch.isfinite(model[0].bias).all() and model[0].bias.abs().le(3**-0.5).all()
