// Householder reflectors, compact WY blocks and the drivers built on them,
// split the LAPACK way (larfg / larft / larfb / orgqr / geqrf) so each piece
// is testable alone.
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
// of output columns computed on its own (algorithms.md 5.7 and 6.4).
#pragma once

#include <cstdint>
#include <functional>

#include "weightinit/linalg/gemm.hpp"

namespace weightinit::linalg {

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

// Supplies reflectors i0 + l, l in [l0, l1), of the block starting at i0:
// fills columns l of V (rows i0..m-1, leading dimension ldv, unit diagonal
// and zeros above it) and tau[l]. Called concurrently for disjoint ranges.
template <class T>
using ReflectorSource = std::function<void(std::int64_t i0, std::int64_t l0, std::int64_t l1, T* v,
                                           std::int64_t ldv, T* tau)>;

// Columns [c0, c1) of Q = H_0 H_1 ... H_{k-1} [I; 0] (m rows) into q, whose
// element (r, j - c0) is column j. Blocks are applied from the last to the
// first; a block starting at i0 touches only columns j >= i0 (the others are
// still e_j). The diagonal block is applied with larfb as well, so every
// column goes through the same level-3 operations wherever the range starts.
// One team applies all blocks with no barrier between them (a column takes
// block b once block b + 1 is done with it); threads starting block b
// prepare block b - 1 (reflectors, S, T, packed V), which does not depend
// on Q. `finish`, if given, runs on each finished column panel.
// Called on finished columns [j, j + w) (absolute indices; `cols` points at
// column j) after the last block has been applied to them.
template <class T>
using ColumnEpilogue = std::function<void(std::int64_t j, std::int64_t w, MatRef<T> cols)>;

template <class T>
void orgqr_columns(std::int64_t m, std::int64_t k, std::int64_t c0, std::int64_t c1, MatRef<T> q,
                   const ReflectorSource<T>& source, const ColumnEpilogue<T>& finish = {});

// Blocked Householder QR in place (LAPACK dgeqrf): R on and above the
// diagonal, reflectors below it, tau[min(m, n)].
template <class T>
void geqrf(std::int64_t m, std::int64_t n, MatRef<T> a, T* tau);

// Reflectors [0, k) of a geqrf result as a ReflectorSource.
template <class T>
ReflectorSource<T> stored_reflectors(std::int64_t m, MatRef<const T> a, const T* tau);

// Columns [c0, c1) of the m x n (m >= n >= 1) Haar-distributed matrix with
// orthonormal columns of (key, stream), times `gain`, into q. Reflector i is
// drawn as x ~ N(0, I_{m-i}) (float64) from random::reflector_stream(stream, i)
// (Stewart 1980); column i is multiplied by sign(beta_i) (Mezzadri 2007). For
// float32, v and tau are rounded to float32 and Q is formed in float32.
template <class T>
void orthogonal_columns(std::uint64_t key, std::uint64_t stream, std::int64_t m, std::int64_t n,
                        std::int64_t c0, std::int64_t c1, double gain, MatRef<T> q);

}  // namespace weightinit::linalg
