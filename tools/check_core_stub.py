"""What mypy's stubtest cannot see in a pybind11 module: its functions carry no
inspectable signature, only the one pybind11 writes on the first line of each
docstring. This checks, for every function of weightinit._core, that the stub
declares it with the same argument names, in the same order, with the same
defaults, and that the binding has a docstring beyond that signature.

Usage: python tools/check_core_stub.py path/to/_core.pyi
"""

from __future__ import annotations

import ast
import sys
from types import BuiltinFunctionType

from weightinit import _core


def _signature(fn: ast.FunctionDef) -> list[tuple[str, str | None]]:
    args = fn.args
    params = args.posonlyargs + args.args
    defaults: list[ast.expr | None] = [None] * (len(params) - len(args.defaults))
    defaults += list(args.defaults)
    return [(p.arg, None if d is None else ast.unparse(d)) for p, d in zip(params, defaults)]


def _runtime_signature(name: str, doc: str) -> list[tuple[str, str | None]]:
    first = doc.split("\n", 1)[0]
    tree = ast.parse(f"def {first}: pass")
    fn = tree.body[0]
    assert isinstance(fn, ast.FunctionDef) and fn.name == name, first
    return _signature(fn)


def check(stub_path: str) -> list[str]:
    with open(stub_path) as f:
        stub = ast.parse(f.read())
    declared = {n.name: _signature(n) for n in stub.body if isinstance(n, ast.FunctionDef)}
    problems = []
    functions = {
        name: obj
        for name, obj in vars(_core).items()
        if isinstance(obj, BuiltinFunctionType) and not name.startswith("_")
    }
    for name, fn in sorted(functions.items()):
        doc = fn.__doc__ or ""
        if name not in declared:
            problems.append(f"{name}: in the module, not in the stub")
            continue
        runtime = _runtime_signature(name, doc)
        if runtime != declared[name]:
            problems.append(f"{name}: binding has {runtime}, stub has {declared[name]}")
        if not doc.split("\n", 1)[-1].strip() or "\n" not in doc:
            problems.append(f"{name}: the binding has no docstring")
    for name in sorted(set(declared) - set(functions)):
        problems.append(f"{name}: in the stub, not in the module")
    return problems


if __name__ == "__main__":
    found = check(sys.argv[1])
    for p in found:
        print(p)
    print(f"check_core_stub: {len(found)} problem(s)")
    sys.exit(1 if found else 0)
