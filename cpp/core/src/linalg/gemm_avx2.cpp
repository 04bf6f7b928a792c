// AVX2 + FMA GEMM path: dgemm 8 x 6, sgemm 16 x 6 register blocks (12 ymm
// accumulators, docs/algorithms.md 6.5). Compiled with -mavx2 -mfma only here.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "gemm_tables.hpp"

namespace weightinit::linalg::avx2 {
namespace {

// transpose: r[j] holds L values of line j -> r[k] holds value k of every
// line (unpacks, shuffles, then 128-bit lane permutes). neg flips the sign
// bit, exactly as -x does.
struct OpsD {
  using T = double;
  using V = __m256d;
  static constexpr int L = 4;
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static void store_first(T* p, V v, int n) {
    if (n == L) return store(p, v);
    const __m256i first = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), _mm256_setr_epi64x(0, 1, 2, 3));
    _mm256_maskstore_pd(p, first, v);
  }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V neg(V v) { return _mm256_xor_pd(v, _mm256_set1_pd(-0.0)); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static void transpose(V r[4]) {
    const V t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
    const V t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
    r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
  }
};

struct OpsF {
  using T = float;
  using V = __m256;
  static constexpr int L = 8;
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static void store_first(T* p, V v, int n) {
    if (n == L) return store(p, v);
    const __m256i first =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(p, first, v);
  }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V neg(V v) { return _mm256_xor_ps(v, _mm256_set1_ps(-0.0f)); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static void transpose(V r[8]) {
    V t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
      u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
      u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
      u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; ++i) {
      r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
      r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
  }
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
