// AVX-512 GEMM path: dgemm 16 x 14 (28 zmm accumulators) and sgemm 32 x 12
// (24), the BLIS SKX shapes (docs/algorithms.md 6.5). Compiled with the AVX-512
// flags only here (or against SIMDe in the test-only emulated build:
// weightinit/common/avx512_intrinsics.hpp, docs/building.md).
#include <algorithm>
#include <cstdint>

#include "gemm_tables.hpp"
#include "weightinit/common/avx512_intrinsics.hpp"

namespace weightinit::linalg::avx512 {
namespace {

// transpose: r[j] holds L values of line j -> r[k] holds value k of every
// line (unpacks, then 128-bit lane shuffles). neg flips the sign bit,
// exactly as -x does.
struct OpsD {
  using T = double;
  using V = __m512d;
  static constexpr int L = 8;
  static V load(const T* p) { return _mm512_loadu_pd(p); }
  static void store(T* p, V v) { _mm512_storeu_pd(p, v); }
  static void store_first(T* p, V v, int n) {
    _mm512_mask_storeu_pd(p, static_cast<__mmask8>((1u << n) - 1), v);
  }
  static V set1(T x) { return _mm512_set1_pd(x); }
  static V neg(V v) { return _mm512_xor_pd(v, _mm512_set1_pd(-0.0)); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static void transpose(V r[8]) {
    V t[8];
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
};

struct OpsF {
  using T = float;
  using V = __m512;
  static constexpr int L = 16;
  static V load(const T* p) { return _mm512_loadu_ps(p); }
  static void store(T* p, V v) { _mm512_storeu_ps(p, v); }
  static void store_first(T* p, V v, int n) {
    _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1), v);
  }
  static V set1(T x) { return _mm512_set1_ps(x); }
  static V neg(V v) { return _mm512_xor_ps(v, _mm512_set1_ps(-0.0f)); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static void transpose(V r[16]) {
    V t[16];
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    const auto lo = [](V a, V b) {
      return _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(a), _mm512_castps_pd(b)));
    };
    const auto hi = [](V a, V b) {
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
