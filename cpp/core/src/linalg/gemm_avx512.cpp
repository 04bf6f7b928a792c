// AVX-512 GEMM path: dgemm 16 x 14 (28 zmm accumulators) and sgemm 32 x 12
// (24), the BLIS SKX shapes (algorithms.md 6.5). Compiled with the AVX-512
// flags only here.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gemm_tables.hpp"

namespace weightinit::linalg::avx512 {
namespace {

struct OpsD {
  using T = double;
  using V = __m512d;
  static constexpr int L = 8;
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static V set1(T x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
};

struct OpsF {
  using T = float;
  using V = __m512;
  static constexpr int L = 16;
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(T x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
};

#include "gemm_kernels.inl"

// kc = 128 (BLIS SKX uses 256/384): with a 32 KiB L1 (Zen 4, Skylake) a
// 256 x 14 B micro-panel (28 KiB) is evicted by the streaming A micro-panel;
// at 128 both fit, which lifts the long-k W = V^T C of larfb (float32 +10%)
// and matches k = nb = 128 of its C -= V W.
using GemmD = Gemm<OpsD, 2, 14, 128, 240, 3752>;
using GemmF = Gemm<OpsF, 2, 12, 128, 480, 3072>;

}  // namespace

const GemmTable& gemm_table() {
  static const GemmTable table{gemm_fns<GemmD>(), gemm_fns<GemmF>(), {16, 14, 32, 12}};
  return table;
}

}  // namespace weightinit::linalg::avx512
