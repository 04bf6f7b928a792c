// AVX2 + FMA instantiation of the distribution kernels: 8 Philox blocks per
// ymm. Compiled with -mavx2 -mfma only for this file.
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernel_tables.hpp"
#include "weightinit/random/counter.hpp"

namespace weightinit::random::avx2 {

struct Ops {
  static constexpr int N = 8;
  using U = __m256i;
  using F = __m256;
  using Q = __m256i;
  using D = __m256d;

  static U set1(std::uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
  static U iota() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }
  static U add(U a, U b) { return _mm256_add_epi32(a, b); }
  static U sub(U a, U b) { return _mm256_sub_epi32(a, b); }
  static U and_(U a, U b) { return _mm256_and_si256(a, b); }
  static U or_(U a, U b) { return _mm256_or_si256(a, b); }
  static U xor_(U a, U b) { return _mm256_xor_si256(a, b); }
  static U xor3(U a, U b, U c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  template <int n>
  static U srl(U a) {
    return _mm256_srli_epi32(a, n);
  }
  template <int n>
  static U sll(U a) {
    return _mm256_slli_epi32(a, n);
  }
  static bool all(U m) { return _mm256_movemask_ps(_mm256_castsi256_ps(m)) == 0xFF; }
  static U select(U m, U a, U b) { return _mm256_blendv_epi8(b, a, m); }
  static void mulhilo(U a, std::uint32_t m, U& hi, U& lo) {
    const U mv = set1(m);
    const U pe = _mm256_mul_epu32(a, mv);
    const U po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), mv);
    hi = _mm256_blend_epi32(_mm256_srli_epi64(pe, 32), po, 0xAA);
    lo = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
  }

  static F fset1(float x) { return _mm256_set1_ps(x); }
  static F as_f(U a) { return _mm256_castsi256_ps(a); }
  static U as_u(F a) { return _mm256_castps_si256(a); }
  static F fadd(F a, F b) { return _mm256_add_ps(a, b); }
  static F fsub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F fmul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F fdiv(F a, F b) { return _mm256_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fsqrt(F a) { return _mm256_sqrt_ps(a); }
  static F fmin(F a, F b) { return _mm256_min_ps(a, b); }
  static F fmax(F a, F b) { return _mm256_max_ps(a, b); }
  static U flt(F a, F b) { return as_u(_mm256_cmp_ps(a, b, _CMP_LT_OQ)); }
  static F fselect(U m, F a, F b) { return _mm256_blendv_ps(b, a, as_f(m)); }
  // a where bit `b` of x is set, else c: blendv reads only the top bit.
  template <int b>
  static F fselect_bit(U x, F a, F c) {
    return _mm256_blendv_ps(c, a, as_f(_mm256_slli_epi32(x, 31 - b)));
  }
  static U xor_and(U a, U b, U c) { return _mm256_xor_si256(a, _mm256_and_si256(b, c)); }
  static F cvt_i32_f(U a) { return _mm256_cvtepi32_ps(a); }

  // 64-bit lanes lo | hi << 32: blocks [0, N/2) and [N/2, N) of a group
  // (the in-lane unpacks are shared by both halves once inlined).
  static Q q_lo(U lo, U hi) {
    return _mm256_permute2x128_si256(_mm256_unpacklo_epi32(lo, hi), _mm256_unpackhi_epi32(lo, hi),
                                     0x20);
  }
  static Q q_hi(U lo, U hi) {
    return _mm256_permute2x128_si256(_mm256_unpacklo_epi32(lo, hi), _mm256_unpackhi_epi32(lo, hi),
                                     0x31);
  }
  static Q qset1(std::uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); }
  static Q qadd(Q a, Q b) { return _mm256_add_epi64(a, b); }
  static Q qsub(Q a, Q b) { return _mm256_sub_epi64(a, b); }
  static Q qand(Q a, Q b) { return _mm256_and_si256(a, b); }
  static Q qor(Q a, Q b) { return _mm256_or_si256(a, b); }
  static Q qxor(Q a, Q b) { return _mm256_xor_si256(a, b); }
  template <int n>
  static Q qsrl(Q a) {
    return _mm256_srli_epi64(a, n);
  }
  template <int n>
  static Q qsll(Q a) {
    return _mm256_slli_epi64(a, n);
  }
  static bool qall(Q m) { return _mm256_movemask_pd(_mm256_castsi256_pd(m)) == 0xF; }
  static Q qselect(Q m, Q a, Q b) { return _mm256_blendv_epi8(b, a, m); }

  static D dset1(double x) { return _mm256_set1_pd(x); }
  static D as_d(Q a) { return _mm256_castsi256_pd(a); }
  static Q as_q(D a) { return _mm256_castpd_si256(a); }
  static D dadd(D a, D b) { return _mm256_add_pd(a, b); }
  static D dsub(D a, D b) { return _mm256_sub_pd(a, b); }
  static D dmul(D a, D b) { return _mm256_mul_pd(a, b); }
  static D ddiv(D a, D b) { return _mm256_div_pd(a, b); }
  static D dfma(D a, D b, D c) { return _mm256_fmadd_pd(a, b, c); }
  static D dsqrt(D a) { return _mm256_sqrt_pd(a); }
  static D dmin(D a, D b) { return _mm256_min_pd(a, b); }
  static D dmax(D a, D b) { return _mm256_max_pd(a, b); }
  static Q dlt(D a, D b) { return as_q(_mm256_cmp_pd(a, b, _CMP_LT_OQ)); }
  static Q dle(D a, D b) { return as_q(_mm256_cmp_pd(a, b, _CMP_LE_OQ)); }
  static D dselect(Q m, D a, D b) { return _mm256_blendv_pd(b, a, as_d(m)); }
  template <int b>
  static D dselect_bit(Q x, D a, D c) {
    return _mm256_blendv_pd(c, a, as_d(_mm256_slli_epi64(x, 63 - b)));
  }
  static Q qxor_and(Q a, Q b, Q c) { return _mm256_xor_si256(a, _mm256_and_si256(b, c)); }

  static void store4(float* dst, F o0, F o1, F o2, F o3) {
    const F t0 = _mm256_unpacklo_ps(o0, o1), t1 = _mm256_unpackhi_ps(o0, o1);
    const F t2 = _mm256_unpacklo_ps(o2, o3), t3 = _mm256_unpackhi_ps(o2, o3);
    const F s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const F s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const F s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const F s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(s0, s1, 0x20));
    _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(s2, s3, 0x20));
    _mm256_storeu_ps(dst + 16, _mm256_permute2f128_ps(s0, s1, 0x31));
    _mm256_storeu_ps(dst + 24, _mm256_permute2f128_ps(s2, s3, 0x31));
  }
  // dst[4j + i] = low 16 bits of b_i[j] (high halves zero): elements 4j, 4j+1
  // paired in one 32-bit word, 4j+2, 4j+3 in another, the two interleaved.
  static void store4_u16(std::uint16_t* dst, U b0, U b1, U b2, U b3) {
    const U p01 = _mm256_or_si256(b0, _mm256_slli_epi32(b1, 16));
    const U p23 = _mm256_or_si256(b2, _mm256_slli_epi32(b3, 16));
    const U lo = _mm256_unpacklo_epi32(p01, p23), hi = _mm256_unpackhi_epi32(p01, p23);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 16),
                        _mm256_permute2x128_si256(lo, hi, 0x31));
  }
  static void store2(double* dst, D a, D b) {
    const D lo = _mm256_unpacklo_pd(a, b), hi = _mm256_unpackhi_pd(a, b);
    _mm256_storeu_pd(dst, _mm256_permute2f128_pd(lo, hi, 0x20));
    _mm256_storeu_pd(dst + 4, _mm256_permute2f128_pd(lo, hi, 0x31));
  }
};

#include "kernels.inl"

const KernelTable& kernels() {
  static const KernelTable table{kernel_f32, kernel_f64, kernel_bf16};
  return table;
}

}  // namespace weightinit::random::avx2
