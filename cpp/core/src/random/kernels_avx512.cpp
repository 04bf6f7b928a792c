// AVX-512 instantiation of the distribution kernels: 16 Philox blocks per
// zmm, structure-of-arrays words, transposed to element order on store.
// Compiled with -mavx512f -mavx512dq -mavx512vl -mavx512bw only for this file
// (or, in the test-only emulated build, against SIMDe for baseline x86-64:
// weightinit/common/avx512_intrinsics.hpp, docs/building.md).
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernel_tables.hpp"
#include "weightinit/common/avx512_intrinsics.hpp"
#include "weightinit/random/counter.hpp"

namespace weightinit::random::avx512 {

struct Ops {
  static constexpr int N = 16;
  using U = __m512i;
  using F = __m512;
  using Q = __m512i;
  using D = __m512d;

  // 32-bit integer lanes
  static U set1(std::uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
  static U iota() {
    return _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  }
  static U add(U a, U b) { return _mm512_add_epi32(a, b); }
  static U sub(U a, U b) { return _mm512_sub_epi32(a, b); }
  static U and_(U a, U b) { return _mm512_and_si512(a, b); }
  static U or_(U a, U b) { return _mm512_or_si512(a, b); }
  static U xor_(U a, U b) { return _mm512_xor_si512(a, b); }
  static U xor3(U a, U b, U c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
  template <int n>
  static U srl(U a) {
    return _mm512_srli_epi32(a, n);
  }
  template <int n>
  static U sll(U a) {
    return _mm512_slli_epi32(a, n);
  }
  static bool all(U m) { return _mm512_cmpeq_epi32_mask(m, set1(~0u)) == 0xFFFF; }
  static U select(U m, U a, U b) { return _mm512_ternarylogic_epi32(m, a, b, 0xCA); }
  // 32x32 -> 64 products of all lanes (docs/algorithms.md 1.5): even lanes by one
  // vpmuludq, odd lanes by another after a shift; each result word is then
  // one masked in-lane word swap, no further multiply or cross-lane permute.
  // (Measured on Zen 4: Philox 9% faster than vpermt2d for the high words
  // and vpmulld for the low words.)
  static void mulhilo(U a, std::uint32_t m, U& hi, U& lo) {
    const U mv = set1(m);
    const U pe = _mm512_mul_epu32(a, mv);
    const U po = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), mv);
    hi = _mm512_mask_shuffle_epi32(po, 0x5555, pe, _MM_PERM_CDAB);
    lo = _mm512_mask_shuffle_epi32(pe, 0xAAAA, po, _MM_PERM_CDAB);
  }

  // float lanes
  static F fset1(float x) { return _mm512_set1_ps(x); }
  static F as_f(U a) { return _mm512_castsi512_ps(a); }
  static U as_u(F a) { return _mm512_castps_si512(a); }
  static F fadd(F a, F b) { return _mm512_add_ps(a, b); }
  static F fsub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F fmul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F fdiv(F a, F b) { return _mm512_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fsqrt(F a) { return _mm512_sqrt_ps(a); }
  static F fmin(F a, F b) { return _mm512_min_ps(a, b); }
  static F fmax(F a, F b) { return _mm512_max_ps(a, b); }
  static U flt(F a, F b) { return _mm512_movm_epi32(_mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)); }
  static F fselect(U m, F a, F b) { return as_f(select(m, as_u(a), as_u(b))); }
  // a where bit `b` of x is set, else c (a mask register, no mask vector)
  template <int b>
  static F fselect_bit(U x, F a, F c) {
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(x, set1(1u << b)), c, a);
  }
  // a ^ (b & c) in one ternary-logic instruction
  static U xor_and(U a, U b, U c) { return _mm512_ternarylogic_epi32(a, b, c, 0x78); }
  static F cvt_i32_f(U a) { return _mm512_cvtepi32_ps(a); }

  // 64-bit lanes lo | hi << 32: blocks [0, N/2) and [N/2, N) of a group,
  // each one two-source permute that interleaves the 32-bit words.
  static Q q_lo(U lo, U hi) {
    const U idx = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    return _mm512_permutex2var_epi32(lo, idx, hi);
  }
  static Q q_hi(U lo, U hi) {
    const U idx = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    return _mm512_permutex2var_epi32(lo, idx, hi);
  }
  static Q qset1(std::uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }
  static Q qadd(Q a, Q b) { return _mm512_add_epi64(a, b); }
  static Q qsub(Q a, Q b) { return _mm512_sub_epi64(a, b); }
  static Q qand(Q a, Q b) { return _mm512_and_si512(a, b); }
  static Q qor(Q a, Q b) { return _mm512_or_si512(a, b); }
  static Q qxor(Q a, Q b) { return _mm512_xor_si512(a, b); }
  template <int n>
  static Q qsrl(Q a) {
    return _mm512_srli_epi64(a, n);
  }
  template <int n>
  static Q qsll(Q a) {
    return _mm512_slli_epi64(a, n);
  }
  static bool qall(Q m) { return _mm512_cmpeq_epi64_mask(m, qset1(~0ull)) == 0xFF; }
  static Q qselect(Q m, Q a, Q b) { return _mm512_ternarylogic_epi64(m, a, b, 0xCA); }

  // double lanes
  static D dset1(double x) { return _mm512_set1_pd(x); }
  static D as_d(Q a) { return _mm512_castsi512_pd(a); }
  static Q as_q(D a) { return _mm512_castpd_si512(a); }
  static D dadd(D a, D b) { return _mm512_add_pd(a, b); }
  static D dsub(D a, D b) { return _mm512_sub_pd(a, b); }
  static D dmul(D a, D b) { return _mm512_mul_pd(a, b); }
  static D ddiv(D a, D b) { return _mm512_div_pd(a, b); }
  static D dfma(D a, D b, D c) { return _mm512_fmadd_pd(a, b, c); }
  static D dsqrt(D a) { return _mm512_sqrt_pd(a); }
  static D dmin(D a, D b) { return _mm512_min_pd(a, b); }
  static D dmax(D a, D b) { return _mm512_max_pd(a, b); }
  static Q dlt(D a, D b) { return _mm512_movm_epi64(_mm512_cmp_pd_mask(a, b, _CMP_LT_OQ)); }
  static Q dle(D a, D b) { return _mm512_movm_epi64(_mm512_cmp_pd_mask(a, b, _CMP_LE_OQ)); }
  static D dselect(Q m, D a, D b) { return as_d(qselect(m, as_q(a), as_q(b))); }
  template <int b>
  static D dselect_bit(Q x, D a, D c) {
    return _mm512_mask_blend_pd(_mm512_test_epi64_mask(x, qset1(1ull << b)), c, a);
  }
  static Q qxor_and(Q a, Q b, Q c) { return _mm512_ternarylogic_epi64(a, b, c, 0x78); }

  // dst[4j + i] = o_i[j]: two rounds of two-source permutes (8 in all):
  // interleave words of o0/o1 and o2/o3, then interleave their word pairs.
  static void store4(float* dst, F o0, F o1, F o2, F o3) {
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi =
        _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512i plo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i phi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    const __m512d a0 = _mm512_castps_pd(_mm512_permutex2var_ps(o0, lo, o1));
    const __m512d a1 = _mm512_castps_pd(_mm512_permutex2var_ps(o0, hi, o1));
    const __m512d b0 = _mm512_castps_pd(_mm512_permutex2var_ps(o2, lo, o3));
    const __m512d b1 = _mm512_castps_pd(_mm512_permutex2var_ps(o2, hi, o3));
    _mm512_storeu_ps(dst, _mm512_castpd_ps(_mm512_permutex2var_pd(a0, plo, b0)));
    _mm512_storeu_ps(dst + 16, _mm512_castpd_ps(_mm512_permutex2var_pd(a0, phi, b0)));
    _mm512_storeu_ps(dst + 32, _mm512_castpd_ps(_mm512_permutex2var_pd(a1, plo, b1)));
    _mm512_storeu_ps(dst + 48, _mm512_castpd_ps(_mm512_permutex2var_pd(a1, phi, b1)));
  }
  // dst[4j + i] = low 16 bits of b_i[j] (high halves zero): elements 4j, 4j+1
  // paired in one 32-bit word, 4j+2, 4j+3 in another, the two interleaved.
  static void store4_u16(std::uint16_t* dst, U b0, U b1, U b2, U b3) {
    const U p01 = _mm512_or_si512(b0, _mm512_slli_epi32(b1, 16));
    const U p23 = _mm512_or_si512(b2, _mm512_slli_epi32(b3, 16));
    _mm512_storeu_si512(dst, q_lo(p01, p23));
    _mm512_storeu_si512(dst + 32, q_hi(p01, p23));
  }
  // dst[2j] = a[j], dst[2j + 1] = b[j]
  static void store2(double* dst, D a, D b) {
    const __m512i i0 = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
    const __m512i i1 = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
    _mm512_storeu_pd(dst, _mm512_permutex2var_pd(a, i0, b));
    _mm512_storeu_pd(dst + 8, _mm512_permutex2var_pd(a, i1, b));
  }
};

#include "kernels.inl"

const KernelTable& kernels() {
  static const KernelTable table{kernel_f32, kernel_f64, kernel_bf16};
  return table;
}

}  // namespace weightinit::random::avx512
