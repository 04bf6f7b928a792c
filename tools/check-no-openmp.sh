#!/usr/bin/env bash
# A build without OpenMP (-DWEIGHTINIT_OPENMP=OFF) is single-threaded and gives
# the same bits: build the extension so, check that it does not link an OpenMP
# runtime and reports one thread, then run the value-digest tests against it.
# Usage: tools/check-no-openmp.sh [build-dir]   (default: a fresh temporary one)
# Needs cmake, ninja (optional), pybind11 and the test dependencies for python3.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

dir=${1:-$(mktemp -d)/build-no-openmp}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "== extension without OpenMP into $dir =="
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DWEIGHTINIT_OPENMP=OFF \
  -DPython_EXECUTABLE="$(command -v "$python")" \
  -Dpybind11_DIR="$("$python" -c 'import pybind11; print(pybind11.get_cmake_dir())')" >/dev/null
cmake --build "$dir" --target _core

so=$(ls "$dir"/_core*.so)
if readelf -d "$so" | grep -E 'NEEDED.*(gomp|omp|iomp)'; then
  echo "$so links an OpenMP runtime"
  exit 1
fi

# The package from the source tree with this extension in place of any other.
pkg=$(mktemp -d)
cp -r python/weightinit "$pkg/"
rm -f "$pkg"/weightinit/_core*.so
cp "$so" "$pkg/weightinit/"
export PYTHONPATH="$pkg"
"$python" - <<'PY'
import weightinit as wi
wi.set_num_threads(4)  # accepted, no effect: one thread
assert wi.get_num_threads() == 1, wi.get_num_threads()
print("single-threaded build:", wi.__file__)
PY
echo "== digest tests against it =="
"$python" -m pytest -q -p no:cacheprovider tests/test_reproducibility.py tests/test_orthogonal.py \
  tests/test_init_determinism.py
