// GEMM dispatch: the table of the active instruction set (the same switch the
// random kernels use, so weightinit.simd.force() selects this path too).
#include "gemm_tables.hpp"
#include "weightinit/random/dispatch.hpp"

namespace weightinit::linalg {
namespace {

const GemmTable& active_table() {
  switch (active_isa()) {
#if defined(WEIGHTINIT_X86)
    case Isa::avx512:
      return avx512::gemm_table();
    case Isa::avx2:
      return avx2::gemm_table();
#endif
    default:
      return scalar::gemm_table();
  }
}

}  // namespace

void gemm_update(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const double> a,
                 MatRef<const double> b, MatRef<double> c, bool subtract) {
  active_table().f64(m, n, k, a, b, c, subtract);
}

void gemm_update(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const float> a,
                 MatRef<const float> b, MatRef<float> c, bool subtract) {
  active_table().f32(m, n, k, a, b, c, subtract);
}

GemmShape active_gemm_shape() { return active_table().shape; }

}  // namespace weightinit::linalg
