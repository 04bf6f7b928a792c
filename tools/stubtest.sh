#!/usr/bin/env bash
# Checks python/weightinit/_core.pyi against the compiled module: mypy's
# stubtest (every name, its kind and type) and, because pybind11 functions
# carry no inspectable signature, tools/check_core_stub.py (every argument name
# and default against the signature pybind11 puts in each docstring).
# Usage: tools/stubtest.sh  (imports weightinit from PYTHONPATH or the environment)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# stubtest type-checks the stub's package: give it a stub-only copy of the
# package, so only _core.pyi is under test here (mypy --strict checks the rest).
stubs=$(mktemp -d)
trap 'rm -rf "$stubs"' EXIT
mkdir "$stubs/weightinit"
cp "$root/python/weightinit/_core.pyi" "$stubs/weightinit/_core.pyi"
: >"$stubs/weightinit/__init__.pyi"
(cd "$stubs" && MYPYPATH="$stubs" python3 -m mypy.stubtest weightinit._core --allowlist "$root/tools/stubtest-allowlist.txt")
python3 "$root/tools/check_core_stub.py" "$root/python/weightinit/_core.pyi"
