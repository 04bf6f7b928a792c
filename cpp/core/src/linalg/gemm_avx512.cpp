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

// r[j] = lanes k of column j  ->  r[k] = lanes j of row k (8 x 8 doubles).
inline void transpose8(__m512d r[8]) {
  __m512d t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm512_unpacklo_pd(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_pd(r[i], r[i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    r[i] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0x88);
    r[i + 2] = _mm512_shuffle_f64x2(t[i], t[i + 2], 0xdd);
    r[i + 4] = _mm512_shuffle_f64x2(t[i + 4], t[i + 6], 0x88);
    r[i + 6] = _mm512_shuffle_f64x2(t[i + 4], t[i + 6], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f64x2(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f64x2(r[i], r[i + 4], 0xdd);
  }
  for (int i = 0; i < 8; ++i) r[i] = t[i];
}

// The same for 16 x 16 floats.
inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  const auto lo = [](__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
  };
  const auto hi = [](__m512 a, __m512 b) {
    return _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
  };
  for (int i = 0; i < 16; i += 4) {
    r[i] = lo(t[i], t[i + 2]);
    r[i + 1] = hi(t[i], t[i + 2]);
    r[i + 2] = lo(t[i + 1], t[i + 3]);
    r[i + 3] = hi(t[i + 1], t[i + 3]);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}

// pack_columns<NR> (gemm_kernels.inl): dst[k * NR + j] = +-src[j * cs + k]
// for the NR columns of a column-major B, L values of k at a time through
// in-register transposes (instead of a strided store per element), for the
// whole groups of L in kc; returns the k reached. Negation flips the sign
// bit, exactly as -x does.
struct OpsD {
  using T = double;
  using V = __m512d;
  static constexpr int L = 8;
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static V set1(T x) { return _mm512_set1_pd(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  template <int NR>
  static std::int64_t pack_columns(std::int64_t kc, const T* src, std::int64_t cs, bool negate,
                                   T* dst) {
    static_assert(NR > 8 && NR <= 16, "two 8-column groups");
    const V sign = _mm512_set1_pd(negate ? -0.0 : 0.0);
    std::int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      V lo[8], hi[8];
      for (int j = 0; j < 8; ++j) lo[j] = _mm512_xor_pd(load(src + j * cs + k), sign);
      for (int j = 0; j < 8; ++j)
        hi[j] =
            j < NR - 8 ? _mm512_xor_pd(load(src + (8 + j) * cs + k), sign) : _mm512_setzero_pd();
      transpose8(lo);
      transpose8(hi);
      for (int kk = 0; kk < 8; ++kk) {
        store(dst + (k + kk) * NR, lo[kk]);
        _mm512_mask_storeu_pd(dst + (k + kk) * NR + 8, (1u << (NR - 8)) - 1, hi[kk]);
      }
    }
    return k;
  }
};

struct OpsF {
  using T = float;
  using V = __m512;
  static constexpr int L = 16;
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static V set1(T x) { return _mm512_set1_ps(x); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  template <int NR>
  static std::int64_t pack_columns(std::int64_t kc, const T* src, std::int64_t cs, bool negate,
                                   T* dst) {
    static_assert(NR <= 16, "one 16-column group");
    const V sign = _mm512_set1_ps(negate ? -0.0f : 0.0f);
    std::int64_t k = 0;
    for (; k + 16 <= kc; k += 16) {
      V r[16];
      for (int j = 0; j < 16; ++j)
        r[j] = j < NR ? _mm512_xor_ps(load(src + j * cs + k), sign) : _mm512_setzero_ps();
      transpose16(r);
      for (int kk = 0; kk < 16; ++kk)
        _mm512_mask_storeu_ps(dst + (k + kk) * NR, (1u << NR) - 1, r[kk]);
    }
    return k;
  }
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
