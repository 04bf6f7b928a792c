// Householder reflectors and compact WY blocks (LAPACK larfg / larft /
// larfb), the pieces orgqr.hpp and geqrf.hpp are built from, each testable
// alone.
//
// Conventions: H = I - tau v v^T with v(0) = 1; a block of ib reflectors is
// stored as V, a (rows x ib) column-major matrix holding its explicit unit
// diagonal and zeros above it, and H_0 ... H_{ib-1} = I - V T V^T with T upper
// triangular (Schreiber & Van Loan 1989).
//
// Determinism: the GEMM updates every element by one ascending FMA chain
// (gemm.hpp), the scalar parts below use a fixed operation order, threads
// split only output columns, and the block size is a function of the shape.
// So results are the same bits for any thread count, any ISA, and any range
// of output columns computed on its own (docs/algorithms.md 5.7 and 6.4).
#pragma once

#include <cstdint>

#include "weightinit/linalg/gemm.hpp"

namespace weightinit::linalg {

// Work (modelled flops) below which a step of larft, larfb or orgqr stays on
// the calling thread (exposed to the tests as _core.PARALLEL_THRESHOLDS).
inline constexpr std::int64_t kMinParallelFlops = std::int64_t{1} << 24;

// Block size nb used for an m x k reflector set (fixed by the shape only).
std::int64_t block_size(std::int64_t m, std::int64_t k);

// LAPACK dlarfg: given alpha and x (n - 1 elements, stride incx), returns
// beta in `alpha`, overwrites x with v(1:) and returns tau. tau = 0 (H = I,
// beta = alpha) when x is zero. The norm is computed with scaling, so finite
// input never overflows.
template <class T>
T larfg(std::int64_t n, T& alpha, T* x, std::int64_t incx);

// T factor (ib x ib, column-major, leading dimension ib) of a block V
// (rows x ib, leading dimension ldv) with scalars tau (LAPACK dlarft,
// forward, columnwise), from S = V^T V computed by the GEMM.
template <class T>
void larft(std::int64_t rows, std::int64_t ib, const T* v, std::int64_t ldv, const T* tau, T* t);

// C (rows x ncols) := (I - V T V^T) C, or (I - V T^T V^T) C when `transpose`
// (LAPACK dlarfb, left side, forward, columnwise). Column panels of C run on
// the library's threads; each panel computes W = V^T C_p, W <- T W,
// C_p -= V W, so no reduction is ever split.
template <class T>
void larfb(std::int64_t rows, std::int64_t ncols, std::int64_t ib, const T* v, std::int64_t ldv,
           const T* t, bool transpose, MatRef<T> c);

}  // namespace weightinit::linalg
