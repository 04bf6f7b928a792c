// The AVX-512 intrinsics of the *_avx512.cpp files (every one includes this
// header instead of <immintrin.h>). A normal build gets <immintrin.h>. The
// test-only emulated build (CMake -DWEIGHTINIT_EMULATE_AVX512=ON, never a
// wheel; docs/building.md) gets SIMDe's portable implementations under the
// same names, compiled for baseline x86-64, so the unchanged AVX-512 kernels
// run, element order and all, on a CPU without AVX-512. It shows that the
// kernel logic gives the recorded bits; it does not test the compiler's real
// AVX-512 code generation.
//
// SIMDe (0.7.4, Debian 12's libsimde-dev) lacks a few of the names the
// kernels use, and its portable _mm512_fmadd_ps/pd round the product before
// the add (two roundings where VFMADD has one), which changes values. Both
// are given below, lane by lane as the Intel Intrinsics Guide's operation
// sections define them. A kernel that uses a name SIMDe does not provide
// fails to compile in the emulated build: add the name here.
#pragma once

#if !defined(WEIGHTINIT_EMULATE_AVX512)

#include <immintrin.h>

#else

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace weightinit::emulated_avx512 {

// Internal linkage (static): one copy per AVX-512 file, nothing for the
// linker to merge with baseline code.

// VFMADD: a * b + c with one rounding (std::fma is correctly rounded).
static inline simde__m512 fmadd_ps(simde__m512 a, simde__m512 b, simde__m512 c) {
  float x[16], y[16], z[16];
  simde_mm512_storeu_ps(x, a);
  simde_mm512_storeu_ps(y, b);
  simde_mm512_storeu_ps(z, c);
  for (int i = 0; i < 16; ++i) x[i] = std::fma(x[i], y[i], z[i]);
  return simde_mm512_loadu_ps(x);
}

static inline simde__m512d fmadd_pd(simde__m512d a, simde__m512d b, simde__m512d c) {
  double x[8], y[8], z[8];
  simde_mm512_storeu_pd(x, a);
  simde_mm512_storeu_pd(y, b);
  simde_mm512_storeu_pd(z, c);
  for (int i = 0; i < 8; ++i) x[i] = std::fma(x[i], y[i], z[i]);
  return simde_mm512_loadu_pd(x);
}

// VCVTDQ2PS: int32 -> float32, rounded to nearest (the default MXCSR mode).
static inline simde__m512 cvtepi32_ps(simde__m512i a) {
  std::int32_t x[16];
  float r[16];
  simde_mm512_storeu_si512(x, a);
  for (int i = 0; i < 16; ++i) r[i] = static_cast<float>(x[i]);
  return simde_mm512_loadu_ps(r);
}

// VPSHUFD with a merge mask: within each 128-bit lane, word j takes word
// imm[2j+1:2j] of that lane of a; words whose mask bit is clear keep src's.
static inline simde__m512i mask_shuffle_epi32(simde__m512i src, simde__mmask16 k, simde__m512i a,
                                              int imm) {
  std::uint32_t s[16], x[16];
  simde_mm512_storeu_si512(s, src);
  simde_mm512_storeu_si512(x, a);
  for (int i = 0; i < 16; ++i)
    if ((k >> i) & 1) s[i] = x[(i & ~3) + ((imm >> (2 * (i & 3))) & 3)];
  return simde_mm512_loadu_si512(s);
}

// VMOVUPS/VMOVUPD with a mask: only the selected elements are written
// (the GEMM stores its edge tiles so; the others may lie outside the array).
static inline void mask_storeu_ps(void* p, simde__mmask16 k, simde__m512 v) {
  float x[16];
  simde_mm512_storeu_ps(x, v);
  for (int i = 0; i < 16; ++i)
    if ((k >> i) & 1) std::memcpy(static_cast<char*>(p) + 4 * i, &x[i], 4);
}

static inline void mask_storeu_pd(void* p, simde__mmask8 k, simde__m512d v) {
  double x[8];
  simde_mm512_storeu_pd(x, v);
  for (int i = 0; i < 8; ++i)
    if ((k >> i) & 1) std::memcpy(static_cast<char*>(p) + 8 * i, &x[i], 8);
}

}  // namespace weightinit::emulated_avx512

#undef _mm512_fmadd_ps
#define _mm512_fmadd_ps(a, b, c) ::weightinit::emulated_avx512::fmadd_ps(a, b, c)
#undef _mm512_fmadd_pd
#define _mm512_fmadd_pd(a, b, c) ::weightinit::emulated_avx512::fmadd_pd(a, b, c)

#if !defined(_mm512_cvtepi32_ps)
#define _mm512_cvtepi32_ps(a) ::weightinit::emulated_avx512::cvtepi32_ps(a)
#endif
#if !defined(_mm512_mask_shuffle_epi32)
#define _mm512_mask_shuffle_epi32(src, k, a, imm) \
  ::weightinit::emulated_avx512::mask_shuffle_epi32(src, k, a, imm)
#if !defined(_MM_PERM_CDAB)
#define _MM_PERM_CDAB 0xB1  // words (1, 0, 3, 2) of each 128-bit lane
#endif
#endif
#if !defined(_mm512_mask_storeu_ps)
#define _mm512_mask_storeu_ps(p, k, v) ::weightinit::emulated_avx512::mask_storeu_ps(p, k, v)
#endif
#if !defined(_mm512_mask_storeu_pd)
#define _mm512_mask_storeu_pd(p, k, v) ::weightinit::emulated_avx512::mask_storeu_pd(p, k, v)
#endif
#if !defined(_mm512_shuffle_f32x4)
#define _mm512_shuffle_f32x4(a, b, imm) simde_mm512_shuffle_f32x4(a, b, imm)
#endif
#if !defined(_mm512_shuffle_f64x2)
#define _mm512_shuffle_f64x2(a, b, imm) simde_mm512_shuffle_f64x2(a, b, imm)
#endif

// The mask types (C++ allows a typedef to be repeated with the same type).
typedef simde__mmask8 __mmask8;
typedef simde__mmask16 __mmask16;

#endif  // WEIGHTINIT_EMULATE_AVX512
