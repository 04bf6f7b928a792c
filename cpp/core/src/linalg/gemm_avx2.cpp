// AVX2 + FMA GEMM path: dgemm 8 x 6, sgemm 16 x 6 register blocks (12 ymm
// accumulators, algorithms.md 6.5). Compiled with -mavx2 -mfma only here.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gemm_tables.hpp"

namespace weightinit::linalg::avx2 {
namespace {

struct OpsD {
  using T = double;
  using V = __m256d;
  static constexpr int L = 4;
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
};

struct OpsF {
  using T = float;
  using V = __m256;
  static constexpr int L = 8;
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
};

#include "gemm_kernels.inl"

using GemmD = Gemm<OpsD, 2, 6, 256, 96, 4080>;
using GemmF = Gemm<OpsF, 2, 6, 256, 192, 4080>;

}  // namespace

const GemmTable& gemm_table() {
  static const GemmTable table{gemm_fns<GemmD>(), gemm_fns<GemmF>(), {8, 6, 16, 6}};
  return table;
}

}  // namespace weightinit::linalg::avx2
