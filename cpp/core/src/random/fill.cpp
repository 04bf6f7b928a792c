// The driver: cut a strided block into logical runs, runs into fixed tiles,
// tiles over threads. Values depend only on the logical index, so neither the
// tiling nor the thread count nor the destination layout changes a bit.
#include "weightinit/random/fill.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernel_tables.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"

namespace weightinit::random {
namespace {

// Staging buffer for strided, unaligned and float16 destinations.
constexpr std::int64_t kStage = 1024;

template <typename T>
void store_strided(const T* src, std::int64_t n, char* dst, std::int64_t stride) {
  for (std::int64_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, src + i, sizeof(T));
}

std::uint16_t half_below(double high) {
  // Largest binary16 value strictly below `high` (high is finite).
  std::uint16_t h = float_to_half(static_cast<float>(high));
  auto next_up = [](std::uint16_t x) -> std::uint16_t {
    if (x == 0x8000) return 0x0001;
    return (x & 0x8000) ? x - 1 : x + 1;
  };
  auto next_down = [](std::uint16_t x) -> std::uint16_t {
    if (x == 0x0000) return 0x8001;
    return (x & 0x8000) ? x + 1 : x - 1;
  };
  while (static_cast<double>(half_to_float(h)) >= high) h = next_down(h);
  while (static_cast<double>(half_to_float(next_up(h))) < high) h = next_up(h);
  return h;
}

std::uint16_t half_at_least(double low) {
  // Smallest binary16 value at or above `low` (finite, inside binary16's range).
  const std::uint16_t h = half_below(low);  // largest below low, then one step up
  return h == 0x8000 ? 0x0001 : (h & 0x8000) ? h - 1 : h + 1;
}

struct RunWriter {
  const DistParams& params;
  const KernelTable& kernels;
  std::uint64_t key, stream;
  DType dtype;
  std::int64_t stride;
  float half_limit;  // uniform into float16: largest half below `high`
  float half_floor;  // and the smallest half at or above `low`

  void operator()(std::uint64_t first, std::int64_t n, char* dst) const {
    const std::size_t size = dtype_size(dtype);
    const bool direct = stride == static_cast<std::int64_t>(size) &&
                        reinterpret_cast<std::uintptr_t>(dst) % size == 0;
    if (direct && dtype == DType::float32) {
      kernels.f32(params, key, stream, first, static_cast<std::size_t>(n),
                  reinterpret_cast<float*>(dst));
      return;
    }
    if (direct && dtype == DType::float64) {
      kernels.f64(params, key, stream, first, static_cast<std::size_t>(n),
                  reinterpret_cast<double*>(dst));
      return;
    }
    if (direct && dtype == DType::bfloat16) {
      kernels.bf16(params, key, stream, first, static_cast<std::size_t>(n),
                   reinterpret_cast<std::uint16_t*>(dst));
      return;
    }
    alignas(64) double stage64[kStage];
    alignas(64) float stage32[kStage];
    alignas(64) std::uint16_t stage16[kStage];
    for (std::int64_t done = 0; done < n; done += kStage) {
      const std::int64_t m = std::min(kStage, n - done);
      char* out = dst + done * stride;
      const std::uint64_t e = first + static_cast<std::uint64_t>(done);
      if (dtype == DType::float64) {
        kernels.f64(params, key, stream, e, static_cast<std::size_t>(m), stage64);
        store_strided(stage64, m, out, stride);
        continue;
      }
      if (dtype == DType::bfloat16) {
        kernels.bf16(params, key, stream, e, static_cast<std::size_t>(m), stage16);
        store_strided(stage16, m, out, stride);
        continue;
      }
      kernels.f32(params, key, stream, e, static_cast<std::size_t>(m), stage32);
      if (dtype == DType::float32) {
        store_strided(stage32, m, out, stride);
        continue;
      }
      for (std::int64_t i = 0; i < m; ++i) {
        std::uint16_t h = float_to_half(stage32[i]);
        if (params.kind == Distribution::uniform && half_to_float(h) > half_limit)
          h = float_to_half(half_limit);
        if (params.kind == Distribution::uniform && half_to_float(h) < half_floor)
          h = float_to_half(half_floor);
        stage16[i] = h;
      }
      store_strided(stage16, m, out, stride);
    }
  }
};

}  // namespace

const KernelTable& scalar_kernels() { return scalar::kernels(); }

const KernelTable& active_kernels() {
  return isa_table<KernelTable>(scalar::kernels, WEIGHTINIT_X86_ONLY(avx2::kernels),
                                WEIGHTINIT_X86_ONLY(avx512::kernels));
}

void fill(const DistParams& params, std::uint64_t key, std::uint64_t stream,
          const StridedBlock& block) {
  const IsaPin pin;  // one instruction set for the whole call (isa.hpp)
  const RunLayout layout(block);
  const std::int64_t runs = layout.runs(), length = layout.length();
  if (runs == 0 || length == 0) return;
  const bool half_uniform = params.kind == Distribution::uniform && block.dtype == DType::float16;
  const RunWriter writer{params,
                         active_kernels(),
                         key,
                         stream,
                         block.dtype,
                         layout.inner_stride(),
                         half_uniform ? half_to_float(half_below(params.uniform.high)) : 0.0f,
                         half_uniform ? half_to_float(half_at_least(params.uniform.low)) : 0.0f};
  const std::int64_t per_run = (length + kFillTile - 1) / kFillTile;
  char* const base = static_cast<char*>(block.data);
  parallel_for(runs * per_run, runs * length, kFillMinParallel, [&](std::int64_t tile) {
    const std::int64_t run = tile / per_run, piece = tile % per_run;
    const std::int64_t begin = piece * kFillTile;
    const std::int64_t n = std::min(kFillTile, length - begin);
    writer(layout.first(run) + static_cast<std::uint64_t>(begin), n,
           base + layout.offset(run) + begin * layout.inner_stride());
  });
}

std::uint16_t float_to_half(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t ax = x & 0x7FFFFFFFu;
  if (ax >= 0x7F800000u) return sign | (ax > 0x7F800000u ? 0x7E00u : 0x7C00u);  // NaN, inf
  if (ax >= 0x477FF000u) return sign | 0x7C00u;  // >= 65520 rounds to inf
  if (ax < 0x38800000u) {                        // below 2^-14: subnormal half or zero
    if (ax <= 0x33000000u) return sign;          // <= 2^-25 rounds (to even) to zero
    const int e = static_cast<int>(ax >> 23);
    const std::uint32_t m = (ax & 0x7FFFFFu) | 0x800000u;
    const int shift = 126 - e;
    std::uint32_t h = m >> shift;
    const std::uint32_t rem = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (h & 1u))) ++h;
    return sign | static_cast<std::uint16_t>(h);
  }
  std::uint32_t h = (ax - 0x38000000u) >> 13;
  const std::uint32_t rem = ax & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<std::uint16_t>(h);
}

std::uint16_t float_to_bfloat16(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40u);
  return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (std::uint32_t{h} & 0x8000u) << 16;
  const std::uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  std::uint32_t x;
  if (e == 0) {
    if (m == 0) {
      x = sign;
    } else {  // subnormal: m * 2^-24 is exact in float
      const float v = static_cast<float>(m) * 0x1p-24f;
      std::memcpy(&x, &v, sizeof x);
      x |= sign;
    }
  } else if (e == 31) {
    x = sign | 0x7F800000u | (m << 13);
  } else {
    x = sign | ((e + 112) << 23) | (m << 13);
  }
  float f;
  std::memcpy(&f, &x, sizeof f);
  return f;
}

}  // namespace weightinit::random
