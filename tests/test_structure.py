"""The package's structure: no import cycles (lazy ones included), the CLI's command modules."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from _env import child_env

import weightinit
import weightinit.cli as cli

PACKAGE = Path(weightinit.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, modules: set) -> set:
    """weightinit modules ``path`` imports, at import time or later inside functions."""
    is_package = path.name == "__init__.py"
    base = name.split(".") if is_package else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                root = ".".join(base[: len(base) - node.level + 1])
                target = f"{root}.{node.module}" if node.module else root
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import x` imports the submodule x
                if f"{target}.{alias.name}" in modules:
                    out.add(f"{target}.{alias.name}")
            if target in modules:
                out.add(target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in modules)
    # A package's __init__ is imported before any of its modules: not an edge.
    return {m for m in out if m != name and not name.startswith(m + ".")}


def test_no_import_cycles():
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {n: _imports(p, n, set(paths)) for n, p in paths.items()}
    state = {}

    def visit(n, stack):
        if state.get(n) == "done":
            return
        if state.get(n) == "open":
            cycle = stack[stack.index(n) :] + [n]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        state[n] = "open"
        for m in sorted(graph[n]):
            visit(m, stack + [n])
        state[n] = "done"

    for n in sorted(graph):
        visit(n, [])
    # The graph is read correctly: known edges are there.
    assert "weightinit._validation" in graph["weightinit._sampling"]
    assert "weightinit._rng" in graph["weightinit.random"]
    assert "weightinit.npy" in graph["weightinit.cli.sample"]  # a lazy import counts


def test_every_command_module_registers_the_same_way():
    import importlib

    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert list(subparsers.choices) == [c.replace("_", "-") for c in cli.COMMANDS]
    for name in cli.COMMANDS:
        module = importlib.import_module(f"weightinit.cli.{name}")
        assert callable(module.register) and callable(module.run)
        assert subparsers.choices[name.replace("_", "-")].get_default("handler") is module.run


def test_command_errors_are_one_line_with_status_2(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["demo", "--seed", "-1"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "weightinit demo: error: argument --seed: must be a non-negative integer, got -1"
    ]
    assert cli.main(["demo", "--inits", "no_such_init", "--layers", "1", "--no-plot"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("weightinit demo: error: unknown initializer")


@pytest.mark.parametrize("module", ["weightinit", "weightinit.cli"])
def test_python_m_runs_the_command_line(module):
    env = child_env()
    p = subprocess.run(
        [sys.executable, "-m", module, "--version"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"weightinit {weightinit.__version__}"
