#!/usr/bin/env bash
# Incremental developer build of the extension into build/dev, linked into
# python/weightinit so that `PYTHONPATH=python` imports it. Serialised with a
# lock so several people (or agents) can call it at once. Release users run
# `pip install .` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build
exec 9>build/.dev-build.lock
flock 9
if [ ! -f build/dev/build.ninja ]; then
  cmake -S . -B build/dev -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DWEIGHTINIT_CPP_TESTS=ON -DWEIGHTINIT_CPP_BENCH=ON \
    -Dpybind11_DIR="$(python3 -c 'import pybind11; print(pybind11.get_cmake_dir())')" >/dev/null
fi
cmake --build build/dev "$@"
so=$(cd build/dev && ls _core*.so)
ln -sf "../../build/dev/$so" "python/weightinit/$so"
