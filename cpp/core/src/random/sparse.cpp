#include "weightinit/random/sparse.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/random/counter.hpp"
#include "weightinit/random/fill.hpp"

namespace weightinit::random {
namespace {

// Lemire's multiply-shift: floor(x * range / 2^64), in [0, range).
inline std::uint64_t bounded(std::uint64_t x, std::uint64_t range) {
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(x) * range) >> 64);
}

void store(DType dtype, char* dst, double v) {
  switch (dtype) {
    case DType::float64:
      std::memcpy(dst, &v, sizeof v);
      break;
    case DType::float32: {
      const float f = static_cast<float>(v);
      std::memcpy(dst, &f, sizeof f);
      break;
    }
    case DType::float16: {
      const std::uint16_t h = float_to_half(static_cast<float>(v));
      std::memcpy(dst, &h, sizeof h);
      break;
    }
    case DType::bfloat16: {  // through float32, as the float32 tensor has it
      const std::uint16_t h = float_to_bfloat16(static_cast<float>(v));
      std::memcpy(dst, &h, sizeof h);
      break;
    }
  }
}

}  // namespace

void sparse_indices(std::uint64_t key, std::uint64_t stream, std::uint64_t unit,
                    std::int64_t n_inputs, std::int64_t k, std::int64_t* indices,
                    std::vector<unsigned char>& seen) {
  const std::uint64_t sub = sparse_index_stream(stream, unit);
  Block words{};
  for (std::int64_t t = 0; t < k; ++t) {
    // word64(key, sub, t), one Philox block per two draws.
    const auto draw = static_cast<std::uint64_t>(t);
    if (draw % 2 == 0) words = counter_block(key, sub, block_of_word64(draw));
    const std::uint64_t x = word64_in(words, draw);
    // Floyd: pick from [0, j]; if taken, take j itself (never taken before).
    const std::int64_t j = n_inputs - k + t;
    std::int64_t pick = static_cast<std::int64_t>(bounded(x, static_cast<std::uint64_t>(j) + 1));
    if (seen[static_cast<std::size_t>(pick)]) pick = j;
    seen[static_cast<std::size_t>(pick)] = 1;
    indices[t] = pick;
  }
  for (std::int64_t t = 0; t < k; ++t) seen[static_cast<std::size_t>(indices[t])] = 0;
}

bool sparse_fill(const SparseParams& p, std::uint64_t key, std::uint64_t stream,
                 const StridedBlock& block) {
  const int u = p.unit_axis, a = 1 - p.unit_axis;
  const std::int64_t unit0 = block.start[u], units = block.extent[u];
  const std::int64_t row0 = block.start[a], rows = block.extent[a];
  if (units == 0 || rows == 0) return true;
  const IsaPin pin;  // one instruction set for the whole call (isa.hpp)
  const std::int64_t ustride = block.strides[u], rstride = block.strides[a];
  const std::size_t k = static_cast<std::size_t>(p.nonzeros);
  DistParams normal{};
  normal.kind = Distribution::normal;
  normal.normal = {0.0, p.std};
  const KernelTable& kernels = active_kernels();
  char* const base = static_cast<char*>(block.data);
  const DType dtype = block.dtype;
  const std::int64_t tiles = (units + kSparseUnitsPerTile - 1) / kSparseUnitsPerTile;
  std::atomic<bool> allocated{true};
  parallel_for(tiles, units * (rows + p.nonzeros), kSparseMinParallel, [&](std::int64_t tile) {
    // Scratch per tile; a huge logical shape behind a small region can make it
    // unallocatable, which must not escape into the thread pool.
    std::vector<unsigned char> seen;
    std::vector<std::int64_t> indices;
    std::vector<double> values;
    try {
      seen.assign(static_cast<std::size_t>(p.n_inputs), 0);
      indices.resize(k);
      values.resize(k);
    } catch (const std::bad_alloc&) {
      allocated.store(false);
      return;
    }
    const std::int64_t first = tile * kSparseUnitsPerTile;
    const std::int64_t last = std::min(units, first + kSparseUnitsPerTile);
    for (std::int64_t j = first; j < last; ++j) {
      char* line = base + j * ustride;
      for (std::int64_t r = 0; r < rows; ++r) store(dtype, line + r * rstride, 0.0);
      if (k == 0) continue;
      const std::uint64_t unit = static_cast<std::uint64_t>(unit0 + j);
      sparse_indices(key, stream, unit, p.n_inputs, p.nonzeros, indices.data(), seen);
      kernels.f64(normal, key, sparse_value_stream(stream, unit), 0, k, values.data());
      for (std::size_t t = 0; t < k; ++t) {
        const std::int64_t r = indices[t] - row0;
        if (r >= 0 && r < rows) store(dtype, line + r * rstride, values[t]);
      }
    }
  });
  return allocated.load();
}

}  // namespace weightinit::random
