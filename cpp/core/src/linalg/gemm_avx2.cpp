// AVX2 + FMA GEMM path: dgemm 8 x 6, sgemm 16 x 6 register blocks (12 ymm
// accumulators, algorithms.md 6.5). Compiled with -mavx2 -mfma only here.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "gemm_tables.hpp"

namespace weightinit::linalg::avx2 {
namespace {

// r[j] = lanes k of column j  ->  r[k] = lanes j of row k (4 x 4 doubles).
inline void transpose4(__m256d r[4]) {
  const __m256d t0 = _mm256_unpacklo_pd(r[0], r[1]), t1 = _mm256_unpackhi_pd(r[0], r[1]);
  const __m256d t2 = _mm256_unpacklo_pd(r[2], r[3]), t3 = _mm256_unpackhi_pd(r[2], r[3]);
  r[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
  r[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
  r[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
  r[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// The same for 8 x 8 floats.
inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
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

// pack_columns<NR> (gemm_kernels.inl): dst[k * NR + j] = +-src[j * cs + k]
// for the NR columns of a column-major B, L values of k at a time through
// in-register transposes, for the whole groups of L in kc; returns the k
// reached. Negation flips the sign bit, exactly as -x does.
struct OpsD {
  using T = double;
  using V = __m256d;
  static constexpr int L = 4;
  static V load(const T* p) { return _mm256_loadu_pd(p); }
  static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  static V set1(T x) { return _mm256_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  template <int NR>
  static std::int64_t pack_columns(std::int64_t kc, const T* src, std::int64_t cs, bool negate,
                                   T* dst) {
    static_assert(NR > 4 && NR <= 8, "two 4-column groups");
    const V sign = _mm256_set1_pd(negate ? -0.0 : 0.0);
    std::int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
      V lo[4], hi[4];
      for (int j = 0; j < 4; ++j) lo[j] = _mm256_xor_pd(load(src + j * cs + k), sign);
      for (int j = 0; j < 4; ++j)
        hi[j] =
            j < NR - 4 ? _mm256_xor_pd(load(src + (4 + j) * cs + k), sign) : _mm256_setzero_pd();
      transpose4(lo);
      transpose4(hi);
      alignas(32) T row[4];
      for (int kk = 0; kk < 4; ++kk) {
        store(dst + (k + kk) * NR, lo[kk]);
        _mm256_store_pd(row, hi[kk]);
        for (int j = 0; j < NR - 4; ++j) dst[(k + kk) * NR + 4 + j] = row[j];
      }
    }
    return k;
  }
};

struct OpsF {
  using T = float;
  using V = __m256;
  static constexpr int L = 8;
  static V load(const T* p) { return _mm256_loadu_ps(p); }
  static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  static V set1(T x) { return _mm256_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  template <int NR>
  static std::int64_t pack_columns(std::int64_t kc, const T* src, std::int64_t cs, bool negate,
                                   T* dst) {
    static_assert(NR <= 8, "one 8-column group");
    const V sign = _mm256_set1_ps(negate ? -0.0f : 0.0f);
    const __m256i mask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(NR), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    std::int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      V r[8];
      for (int j = 0; j < 8; ++j)
        r[j] = j < NR ? _mm256_xor_ps(load(src + j * cs + k), sign) : _mm256_setzero_ps();
      transpose8(r);
      for (int kk = 0; kk < 8; ++kk) _mm256_maskstore_ps(dst + (k + kk) * NR, mask, r[kk]);
    }
    return k;
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
