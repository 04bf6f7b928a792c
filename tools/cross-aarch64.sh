#!/usr/bin/env bash
# The non-x86 path on aarch64: cross-compile the C++ core (scalar kernels only)
# and its unit tests with Debian's g++-aarch64-linux-gnu, then run the tests
# under qemu-user. Installs both with apt-get when missing (needs root).
# Usage: tools/cross-aarch64.sh [build-dir]   (default: a fresh temporary one)
# Variables: WEIGHTINIT_OPENMP=ON|OFF (default ON; libgomp comes with the
# cross compiler), CMAKE_BUILD_TYPE (default RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v aarch64-linux-gnu-g++ >/dev/null || missing+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || missing+=(qemu-user)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]} =="
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

dir=${1:-$(mktemp -d)/build-aarch64}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
echo "== cross-compile for aarch64 into $dir =="
cmake -S . -B "$dir" "${generator[@]}" \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" \
  -DWEIGHTINIT_PYTHON=OFF -DWEIGHTINIT_CPP_TESTS=ON \
  -DWEIGHTINIT_OPENMP="${WEIGHTINIT_OPENMP:-ON}" >/dev/null
cmake --build "$dir"

# Make sure these are Arm binaries, not host ones that would pass trivially.
for t in "$dir"/test_*; do
  [ -x "$t" ] || continue
  readelf -h "$t" | grep -q 'Machine:.*AArch64' || { echo "$t is not an aarch64 binary"; exit 1; }
done

echo "== C++ tests under qemu-aarch64 =="
ctest --test-dir "$dir" --output-on-failure -V | grep -E 'failures|tests passed|Failed|FAILED'
