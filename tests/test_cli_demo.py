"""The ``weightinit demo`` command, end to end in subprocesses."""

import subprocess
import sys

import numpy as np
import pytest
from _env import child_env

from weightinit.diagnostics import conclusions, figure_size, run_demo


def _run(args, tmp_path, code=None, timeout=60):
    env = child_env()
    cmd = (
        [sys.executable, "-m", "weightinit", *args]
        if code is None
        else [sys.executable, "-c", code, *args]
    )
    return subprocess.run(
        cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_demo_end_to_end_writes_png(tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    out = tmp_path / "fig.png"
    # No timing assertion (STYLE: no timings in tests); the timeout only guards a hang.
    p = _run(["demo", "--out", str(out)], tmp_path, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "10 layers of width 512" in p.stdout
    for act in ("tanh:", "sigmoid:", "relu:"):
        assert act in p.stdout
    assert "Normal(0.01)" in p.stdout and "HeNormal(relu)" in p.stdout
    # The guidance's recommendations, each with a measured verdict
    for act, label in [
        ("tanh", "GlorotUniform(gain=5/3)"),
        ("tanh", "Orthogonal"),
        ("sigmoid", "GlorotUniform(gain=4)"),
        ("relu", "Orthogonal(relu)"),
        ("relu", "LSUV"),
    ]:
        (line,) = [x for x in p.stdout.splitlines() if x.startswith(f"{act}, the guidance")]
        assert f"{label} held (" in line or f"{label} did not hold (" in line, (act, label)
    assert f"Figure written to {out}" in p.stdout
    image = mpimg.imread(out)
    width, height = figure_size(3, 6)  # tanh: 2 naive + 3 recommended + LSUV
    assert image.shape[:2] == (height, width)


def test_demo_without_matplotlib_still_prints_table(tmp_path):
    # Simulate a missing matplotlib: a None entry in sys.modules makes import fail.
    code = (
        "import sys; sys.modules['matplotlib'] = None; from weightinit.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    p = _run(["demo", "--layers", "3", "--width", "32", "--batch", "64"], tmp_path, code)
    assert p.returncode == 0, p.stderr
    assert "relu:" in p.stdout and "gain" in p.stdout
    assert "matplotlib is not installed" in p.stdout
    assert "pip install matplotlib" in p.stdout
    assert not (tmp_path / "weightinit-demo.png").exists()


def test_demo_with_user_data_and_options(tmp_path):
    x = np.random.default_rng(0).normal(3.0, 5.0, size=(50, 12))
    np.save(tmp_path / "x.npy", x)
    p = _run(
        [
            "demo",
            "--data",
            "x.npy",
            "--layers",
            "4",
            "--width",
            "24",
            "--activations",
            "linear,leaky_relu",
            "--inits",
            "glorot,he",
            "--no-plot",
        ],
        tmp_path,
    )
    assert p.returncode == 0, p.stderr
    assert "x.npy (50 x 12)" in p.stdout
    assert "linear:" in p.stdout and "leaky_relu:" in p.stdout and "tanh:" not in p.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--width", "-5"], "--width: must be a positive integer, got -5"),
        (["--layers", "0"], "--layers: must be a positive integer"),
        (["--activations", "softmax"], "unknown activation 'softmax'"),
        (["--inits", "glorot,bogus"], "unknown initializer 'bogus'"),
        (["--data", "rank3.npy"], "data must be 2-D (examples, features), got shape (3, 4, 5)"),
        (["--data", "missing.npy"], "cannot read --data missing.npy"),
    ],
)
def test_bad_arguments_one_line_no_traceback(tmp_path, args, message):
    np.save(tmp_path / "rank3.npy", np.zeros((3, 4, 5)))
    p = _run(["demo", *args, "--no-plot"], tmp_path)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("weightinit demo: error:"), p.stderr
    assert message in lines[0]
    assert p.stdout == ""


def test_conclusions_follow_the_measurements():
    alive = run_demo(layers=10, width=256, activations=["relu"], inits=["normal", "he"], batch=256)
    line, guidance = conclusions(alive)
    assert line.startswith("relu: HeNormal(relu) keeps the signal alive")
    assert "1 of 1 recommended held: HeNormal(relu) held (" in guidance
    assert "Normal(0.01) did not hold" in guidance
    assert "Normal(0.01) is worst" in line
    # Remove the good initializer: the sentence must change, not repeat a script.
    dead = run_demo(
        layers=10, width=256, activations=["relu"], inits=["normal", "fan_in_uniform"], batch=256
    )
    (line,) = conclusions(dead)  # no recommended initializer and no LSUV: no guidance line
    assert line.startswith("relu: none of these keeps the signal within x10")


def test_plot_in_process(tmp_path):
    mpimg = pytest.importorskip("matplotlib.image")
    from weightinit.diagnostics import plot

    demo = run_demo(
        layers=3, width=32, activations=["tanh", "relu"], inits=["glorot", "he"], batch=64
    )
    path = plot(demo, tmp_path / "p.png", dpi=50)
    assert mpimg.imread(path).shape[:2] == figure_size(2, 2, dpi=50)[::-1]


def test_default_demo_runs_the_guidance_per_activation():
    demo = run_demo(layers=6, width=128, batch=256)
    labels = {a: [r.label for r in demo.by_activation(a)] for a in demo.activations}
    naive = ["Normal(0.01)", "U(+-1/sqrt(fan_in))"]
    assert labels["tanh"] == naive + [
        "GlorotUniform",
        "GlorotUniform(gain=5/3)",
        "Orthogonal",
        "LSUV",
    ]
    assert labels["sigmoid"] == naive + ["GlorotUniform", "GlorotUniform(gain=4)", "LSUV"]
    assert labels["relu"] == naive + ["HeNormal(relu)", "Orthogonal(relu)", "LSUV"]
    # LSUV scaled every layer's pre-activation variance on the batch into 1 +- 0.1
    for act in demo.activations:
        (lsuv_run,) = [r for r in demo.by_activation(act) if r.label == "LSUV"]
        assert np.all(np.abs(lsuv_run.layers.pre_var - 1) <= 0.1), act


def test_held_verdicts_follow_the_measurements():
    # The sentence must say what the numbers say: "held" exactly when the run is alive.
    from weightinit.diagnostics._demo import summarize

    demo = run_demo(layers=10, width=256, batch=256)
    lines = conclusions(demo)
    for act in demo.activations:
        (guidance,) = [x for x in lines if x.startswith(f"{act}, the guidance")]
        for r in demo.by_activation(act):
            s = summarize(r)
            verdict = "held (" if s.alive else "did not hold ("
            if r.label != "Normal(0.01)" and r.label != "U(+-1/sqrt(fan_in))":
                assert f"{r.label} {verdict}" in guidance, (act, r.label)
