// One GEMM table per instruction set; each lives in its own translation unit.
#pragma once

#include "weightinit/linalg/gemm.hpp"

namespace weightinit::linalg {

struct GemmTable {
  void (*f64)(std::int64_t, std::int64_t, std::int64_t, MatRef<const double>, MatRef<const double>,
              MatRef<double>, bool);
  void (*f32)(std::int64_t, std::int64_t, std::int64_t, MatRef<const float>, MatRef<const float>,
              MatRef<float>, bool);
  GemmShape shape;
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
