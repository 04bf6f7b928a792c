"""weightinit.audit and ``weightinit audit``: seeded faults are found, clean models pass.

Statistical tolerances (docs/audit.md): a std matches when within 5 standard
errors of the sample std (at least 2%), a mean within 6; the chance that a
correctly initialized parameter of these sizes is flagged is below 1e-6 per
parameter (normal tails at 5 and 6 sigma), so the no-flag assertions fail
falsely less than once in 10^4 runs of this file.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from _env import child_env

import weightinit as wi

# --- numpy files -------------------------------------------------------------------------


def _clean_arrays():
    return {
        "embed.weight": wi.Normal(0.02).sample((1000, 64), "float32", rng=0, stream="e"),
        "fc1.weight": wi.HeNormal(gain="relu", layout="torch").sample(
            (256, 64), "float32", rng=0, stream="f1"
        ),
        "fc1.bias": np.zeros(256, np.float32),
        "fc2.weight": wi.GlorotUniform(layout="torch").sample((64, 256), "float32", rng=0),
        "norm.weight": np.ones(64, np.float32),
        "norm.bias": np.zeros(64, np.float32),
    }


def test_clean_arrays_match_their_initializers_and_raise_no_flag(tmp_path):
    np.savez(tmp_path / "m.npz", **_clean_arrays())
    r = wi.audit(tmp_path / "m.npz")
    assert [p.name for p in r.parameters] == list(_clean_arrays())
    assert r.flagged == []
    assert "normal(0.02) (normal)" in r["embed.weight"].matches
    assert "he (normal)" in r["fc1.weight"].matches
    assert "glorot (uniform)" in r["fc2.weight"].matches


@pytest.mark.parametrize(
    "fault, flag",
    [
        ("zeros", "all_zero"),  # fresh pages after to_empty read as zeros
        ("garbage", "nonfinite"),  # reused heap bytes read as float32
        ("sqrt3", "std_factor"),  # U(-s, s) where N(0, s) was meant
        ("double_gain", "std_factor"),  # gain sqrt(2) applied twice
        ("norm_normal", "norm_not_ones"),
        ("copy", "identical"),
    ],
)
def test_each_seeded_fault_is_flagged_on_its_parameter_only(tmp_path, fault, flag):
    a = _clean_arrays()
    target = "fc1.weight"
    if fault == "zeros":
        a[target] = np.zeros_like(a[target])
    elif fault == "garbage":
        a[target] = np.random.default_rng(1).bytes(a[target].nbytes)
        a[target] = np.frombuffer(a[target], np.float32).reshape(256, 64)
    elif fault == "sqrt3":
        s = math.sqrt(2 / 64)
        a[target] = wi.Uniform((-s, s)).sample((256, 64), "float32", rng=0)
    elif fault == "double_gain":
        a[target] = a[target] * math.sqrt(2)
    elif fault == "norm_normal":
        target = "norm.weight"
        a[target] = wi.Normal(1.0).sample(64, "float32", rng=0)
    else:
        a["fc2b.weight"] = a["fc2.weight"].copy()  # the same stream initialized twice
        target = "fc2b.weight"
    np.savez(tmp_path / "m.npz", **a)
    r = wi.audit(tmp_path / "m.npz")
    assert flag in r[target].flags, r.table()
    flagged = {p.name for p in r.flagged}
    expected = {"fc2.weight", "fc2b.weight"} if fault == "copy" else {target}
    assert flagged == expected, r.table()
    assert r[target].notes


def test_rules_give_the_expected_std_and_flag_a_mismatch(tmp_path):
    a = _clean_arrays()
    np.savez(tmp_path / "m.npz", **a)
    rules = {
        "embed.weight": wi.Normal(0.02),
        "fc1.weight": wi.HeNormal(gain="relu", layout="torch"),
        "fc2.weight": wi.GlorotUniform(layout="torch"),
        "*.bias": wi.Zeros(),
        "norm.weight": wi.Ones(),
    }
    r = wi.audit(tmp_path / "m.npz", rules=rules)
    assert r.flagged == []
    assert r["fc1.weight"].expected_std == pytest.approx(math.sqrt(2 / 64), rel=0.02)
    # The same file against a recipe that wants N(0, 0.05) for fc2: a mismatch, not
    # a known factor (0.0765 / 0.05 = 1.53).
    r = wi.audit(tmp_path / "m.npz", rules={**rules, "fc2.weight": wi.Normal(0.05)})
    assert {p.name for p in r.flagged} == {"fc2.weight"}
    assert r["fc2.weight"].flags == ("mismatch",)


def test_hash_is_the_same_for_every_source_kind_and_diff_finds_changes(tmp_path):
    a = _clean_arrays()
    np.savez(tmp_path / "m.npz", **a)
    d = tmp_path / "npy"
    d.mkdir()
    for name, x in a.items():
        np.save(d / f"{name}.npy", x)
    np.save(d / "fortran.npy", np.asfortranarray(a["fc2.weight"]))
    r1, r2 = wi.audit(tmp_path / "m.npz"), wi.audit(d)
    assert r2["fortran"].sha256 == r2["fc2.weight"].sha256  # C-order values, any layout
    d12 = r1.diff(r2)
    assert d12["differ"] == [] and d12["only_in_second"] == ["fortran"]
    a["fc2.weight"] = a["fc2.weight"] + np.float32(1e-3)
    np.savez(tmp_path / "m2.npz", **a)
    assert r1.diff(wi.audit(tmp_path / "m2.npz"))["differ"] == ["fc2.weight"]


def test_bad_sources_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="source"):
        wi.audit(tmp_path / "missing.safetensors")
    with pytest.raises(ValueError, match="holds no"):
        wi.audit(tmp_path)
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(ValueError, match="expected a .safetensors"):
        wi.audit(tmp_path / "x.txt")
    (tmp_path / "bad.safetensors").write_bytes(b"\xff" * 16)
    with pytest.raises(ValueError, match="not a safetensors file"):
        wi.audit(tmp_path / "bad.safetensors")
    with pytest.raises(TypeError, match="source must be"):
        wi.audit(42)
    with pytest.raises(TypeError, match="rules"):
        wi.audit(tmp_path / "x.txt", rules={1: wi.Zeros()})
    with pytest.raises(ValueError, match="block_bytes"):
        wi.audit(tmp_path / "x.txt", block_bytes=0)


# --- torch models and safetensors -----------------------------------------------------


def _model(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(500, 64)
            self.ln = nn.LayerNorm(64)
            self.attn = nn.Linear(64, 192)
            self.proj = nn.Linear(64, 64)
            self.mlp = nn.Sequential(nn.Linear(64, 256), nn.GELU(), nn.Linear(256, 64))
            self.head = nn.Linear(64, 500, bias=False)

    return Block()


_RULES = {
    "*.bias": wi.Zeros(),
    "ln.weight": wi.Ones(),
    "*.weight": wi.Normal(0.02),
}


def test_torch_model_seeded_faults_and_its_checkpoint(tmp_path):
    torch = pytest.importorskip("torch")
    st = pytest.importorskip("safetensors.torch")
    import weightinit.torch as wit

    with torch.device("meta"):
        model = _model(torch)
    wit.materialize(model, _RULES, rng=0)
    clean = wi.audit(model, rules=_RULES)
    assert clean.flagged == [], clean.table()
    assert wi.audit(model).flagged == [], wi.audit(model).table()
    st.save_file(
        {k: v.contiguous() for k, v in model.state_dict().items()}, tmp_path / "m.safetensors"
    )
    from_file = wi.audit(tmp_path / "m.safetensors", rules=_RULES)
    assert from_file.diff(clean)["differ"] == []
    assert from_file.flagged == []

    with torch.no_grad():
        model.attn.weight.copy_(
            torch.from_numpy(
                np.frombuffer(np.random.default_rng(2).bytes(192 * 64 * 4), np.float32)
                .copy()
                .reshape(192, 64)
            )
        )  # what to_empty can leave behind in reused memory
        model.proj.weight.zero_()  # ... and in fresh pages
        model.mlp[0].weight.uniform_(-0.02, 0.02)  # std 0.02 / sqrt(3)
        model.ln.weight.normal_(0.0, 1.0)
    r = wi.audit(model, rules=_RULES)
    flags = {p.name: set(p.flags) for p in r.flagged}
    assert "nonfinite" in flags["attn.weight"] or "huge" in flags["attn.weight"]
    assert "all_zero" in flags["proj.weight"]
    assert "std_factor" in flags["mlp.0.weight"]
    assert "norm_not_ones" in flags["ln.weight"]
    assert set(flags) == {"attn.weight", "proj.weight", "mlp.0.weight", "ln.weight"}, r.table()
    # The same stream initialized twice: two parameters with the same values.
    with torch.no_grad():
        wit.init_(model.proj.weight, wi.Normal(0.02), rng=0, stream="proj.weight")
        wit.init_(model.attn.weight[:64], wi.Normal(0.02), rng=0, stream="proj.weight")
    r = wi.audit(model, rules=_RULES)
    assert "identical" not in r["attn.weight"].flags  # a part is not the whole
    with torch.no_grad():
        wit.init_(model.mlp[2].weight, wi.Normal(0.02), rng=0, stream="mlp.0.weight")
        wit.init_(model.mlp[0].weight, wi.Normal(0.02), rng=0, stream="mlp.0.weight")
    r = wi.audit(model, rules=_RULES)
    assert "identical" not in r["mlp.2.weight"].flags  # other shape, other values
    with torch.no_grad():
        model.head.weight[:] = model.embed.weight  # copied, not tied
    r = wi.audit(model, rules=_RULES)
    assert "identical" in r["head.weight"].flags and "identical" in r["embed.weight"].flags


def test_meta_and_bfloat16_parameters(tmp_path):
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        meta = torch.nn.Linear(8, 4)
    r = wi.audit(meta)
    assert r["weight"].flags == ("unmaterialized",)
    lin = torch.nn.Linear(512, 256).to(torch.bfloat16)
    r = wi.audit(lin)
    assert "torch_default (uniform)" in r["weight"].matches, r.table()
    assert r["weight"].dtype == "bfloat16"


# --- the command line and bounded memory -----------------------------------------------


def test_cli_table_json_manifest_and_exit_status(tmp_path):
    np.savez(tmp_path / "m.npz", **_clean_arrays())
    run = [sys.executable, "-m", "weightinit", "audit"]
    p = subprocess.run(
        [*run, "m.npz"], cwd=tmp_path, env=child_env(), capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    assert "6 parameters, 0 flagged" in p.stdout
    a = _clean_arrays()
    a["fc2.weight"] = np.zeros_like(a["fc2.weight"])
    np.savez(tmp_path / "bad.npz", **a)
    p = subprocess.run(
        [*run, "bad.npz", "--json"], cwd=tmp_path, env=child_env(), capture_output=True, text=True
    )
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert [x["name"] for x in doc["parameters"] if x["flags"]] == ["fc2.weight"]
    p = subprocess.run(
        [*run, "m.npz", "bad.npz"], cwd=tmp_path, env=child_env(), capture_output=True, text=True
    )
    assert p.returncode == 1 and "differ: fc2.weight" in p.stdout
    p = subprocess.run(
        [*run, "nothing.npz"], cwd=tmp_path, env=child_env(), capture_output=True, text=True
    )
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "nothing.npz" in p.stderr


def test_manifest_from_the_checkpoint_writer(tmp_path):
    pytest.importorskip("safetensors")
    params = {
        "w": ((512, 256), "float32", wi.GlorotNormal(layout="torch")),
        "b": ((512,), "float32", wi.Zeros()),
    }
    wi.save_safetensors(tmp_path / "ckpt", params, rng=0)
    out = tmp_path / "ckpt"
    manifest = wi.write_manifest(
        tmp_path / "m.json", {**params, "w": ((512, 256), "float32", wi.HeNormal(layout="torch"))}
    )
    run = [sys.executable, "-m", "weightinit", "audit", str(out), "--manifest", str(manifest)]
    p = subprocess.run(run, env=child_env(), capture_output=True, text=True)
    # Glorot where the manifest says He (Lasagne's He, gain 1): std 0.0510 against
    # 0.0442, 1.15x: a mismatch, and only there.
    assert p.returncode == 1, p.stdout + p.stderr
    doc = subprocess.run([*run, "--json"], env=child_env(), capture_output=True, text=True)
    flagged = {x["name"]: x["flags"] for x in json.loads(doc.stdout)["parameters"] if x["flags"]}
    assert flagged == {"w": ["mismatch"]}
    p = subprocess.run(
        [*run[:-1], str(wi.write_manifest(tmp_path / "ok.json", params))],
        env=child_env(),
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stdout + p.stderr


_RSS_PROBE = textwrap.dedent(
    """
    import resource, sys
    import weightinit as wi
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    r = wi.audit(sys.argv[1], block_bytes=1 << 20)
    assert r.flagged == [], r.table()
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
    """
)


@pytest.mark.parametrize("mib", [64, pytest.param(1024, marks=pytest.mark.slow)])
def test_memory_stays_bounded_whatever_the_checkpoint_size(tmp_path, mib):
    pytest.importorskip("safetensors")
    n = mib * 2**20 // 4
    params = {"w": ((n // 4096, 4096), "float32", wi.Normal(0.02))}
    wi.save_safetensors(tmp_path / "ckpt", params, rng=0)
    out = tmp_path / "ckpt"
    p = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, str(out)],
        env=child_env(),
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stderr
    # Reading by 1 MiB blocks: float64 temporaries of _CHUNK values (a few MiB each).
    assert int(p.stdout) < 48, f"peak RSS grew by {p.stdout.strip()} MiB auditing {mib} MiB"


@pytest.mark.parametrize(
    "recipe, shapes",
    [
        ("gpt2", "_gpt2"),
        ("neox", "_neox"),
        ("t5", "_t5"),
    ],
)
def test_models_built_by_the_recipes_raise_no_flag(tmp_path, recipe, shapes):
    """The recipes' own parameter sets (tests/test_recipes.py), sampled and audited
    against the recipe: nothing flagged, and every std within tolerance."""
    import test_recipes as tr

    from weightinit import recipes

    if recipe == "gpt2":
        rules, names = recipes.gpt2(4), tr._gpt2(4, 128)
    elif recipe == "neox":
        rules, names = recipes.neox(4, 128), tr._neox(4, 128)
    else:
        rules, names = recipes.t5(128, 512), tr._t5(2, 128, 512, 32, 4)
    np.savez(tmp_path / "m.npz", **rules.sample(names, rng=0))
    r = wi.audit(tmp_path / "m.npz", rules=rules)
    assert len(r.parameters) == len(names)
    assert r.flagged == [], r.table()
