#!/usr/bin/env bash
# Runs the AVX-512 kernels on any x86-64 CPU, with or without AVX-512: builds
# the test-only emulated configuration (-DWEIGHTINIT_EMULATE_AVX512=ON: the
# *_avx512.cpp files compiled for baseline x86-64 against SIMDe's portable
# intrinsics), checks that those files hold no AVX instruction, then runs the
# C++ tests (every instruction set, avx512 included) and the value-digest and
# element-order tests with WEIGHTINIT_ISA=avx512. This proves the AVX-512
# kernel logic and element order give the recorded bits; it does not test the
# compiler's real AVX-512 code generation (docs/building.md).
# Usage: tools/check-avx512-emulated.sh [build-dir]   (default: a fresh temporary one)
# Needs cmake, ninja (optional), pybind11 and the test dependencies for python3;
# installs Debian's libsimde-dev with apt-get if SIMDe's headers are missing
# (or SIMDE_INCLUDE_DIR names the directory that holds simde/).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

if [ "$(uname -m)" != x86_64 ]; then
  echo "check-avx512-emulated: x86-64 only (the ISA files are built there only)"
  exit 1
fi
# SIMDe elsewhere: SIMDE_INCLUDE_DIR=<dir holding simde/>.
simde=${SIMDE_INCLUDE_DIR:-/usr/include}
if [ ! -f "$simde/simde/x86/avx512.h" ]; then
  echo "== installing SIMDe (libsimde-dev) =="
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libsimde-dev >/dev/null
  simde=/usr/include
fi

dir=${1:-$(mktemp -d)/build-avx512-emulated}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "== emulated AVX-512 build (SIMDe) into $dir =="
cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DWEIGHTINIT_EMULATE_AVX512=ON \
  -DWEIGHTINIT_SIMDE_INCLUDE_DIR="$simde" -DWEIGHTINIT_CPP_TESTS=ON \
  -DPython_EXECUTABLE="$(command -v "$python")" \
  -Dpybind11_DIR="$("$python" -c 'import pybind11; print(pybind11.get_cmake_dir())')" >/dev/null
cmake --build "$dir"

# The AVX-512 objects must be baseline x86-64: no ymm/zmm/mask register and no
# VEX/EVEX-encoded (v...) instruction, else the "emulated" path would run real
# AVX code (and die on CPUs without it).
objects=$(find "$dir" -name '*_avx512.cpp.o')
[ -n "$objects" ] || { echo "no *_avx512.cpp.o in $dir"; exit 1; }
for obj in $objects; do
  n=$(objdump -d --no-show-raw-insn "$obj" | grep -cE '%(ymm|zmm)[0-9]|%k[0-7]\b|:\s+v[a-z]' || true)
  if [ "$n" != 0 ]; then
    echo "$obj: $n AVX instructions in an emulated AVX-512 object"
    exit 1
  fi
  echo "$(basename "$obj"): baseline x86-64 only"
done

if grep -qw avx512f /proc/cpuinfo; then
  echo "this CPU has AVX-512: this run tests the emulation; the normal tests cover the real path"
fi

echo "== C++ tests (every instruction set, avx512 emulated) =="
ctest --test-dir "$dir" --output-on-failure

# The package from the source tree with this extension in place of any other.
pkg=$(mktemp -d)
cp -r python/weightinit "$pkg/"
rm -f "$pkg"/weightinit/_core*.so
cp "$dir"/_core*.so "$pkg/weightinit/"
export PYTHONPATH="$pkg"
WEIGHTINIT_ISA=avx512 "$python" - <<'PY'
import weightinit as wi
assert wi.simd.active() == "avx512", wi.simd.active()
print("emulated build:", wi.__file__, "paths", wi.simd.available())
PY
echo "== digest, element-order and ISA-identity tests on the avx512 path =="
WEIGHTINIT_ISA=avx512 "$python" -m pytest -q -p no:cacheprovider tests/test_reproducibility.py \
  tests/test_orthogonal.py tests/test_init_determinism.py tests/test_linalg.py \
  tests/test_philox_reference.py tests/test_bfloat16.py tests/test_complex.py
