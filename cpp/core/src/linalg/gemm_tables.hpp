// One GEMM table per instruction set; each lives in its own translation unit.
#pragma once

#include "weightinit/linalg/gemm.hpp"

namespace weightinit::linalg {

// The entry points of one instruction set's Gemm<...> for one dtype.
template <class T>
struct GemmFns {
  void (*update)(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const T> a,
                 MatRef<const T> b, MatRef<T> c, bool subtract);
  std::int64_t (*packed_size)(bool left, std::int64_t mn, std::int64_t k);
  std::int64_t (*pack_tiles)(bool left, std::int64_t mn, std::int64_t k);
  void (*pack_tile)(bool left, std::int64_t mn, std::int64_t k, MatRef<const T> x, bool negate,
                    T* dst, std::int64_t tile);
  void (*update_packed)(bool left, std::int64_t m, std::int64_t n, std::int64_t k, const T* packed,
                        std::int64_t k_packed, MatRef<const T> other, MatRef<T> c);
};

struct GemmTable {
  GemmFns<double> f64;
  GemmFns<float> f32;
  GemmShape shape;
  template <class T>
  const GemmFns<T>& fns() const {
    if constexpr (sizeof(T) == 8)
      return f64;
    else
      return f32;
  }
};

namespace scalar {
const GemmTable& gemm_table();
}
namespace avx2 {
const GemmTable& gemm_table();
}
namespace avx512 {
const GemmTable& gemm_table();
}

}  // namespace weightinit::linalg
