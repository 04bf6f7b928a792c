// orgqr over a range of columns: Q = H_0 ... H_{k-1} [I; 0] from reflectors
// supplied block by block (stored ones, geqrf.hpp, or drawn ones,
// random/orthogonal.hpp), on one team of threads with a lock-free schedule.
// Same bits for any thread count, ISA and column range (reflectors.hpp).
#pragma once

#include <cstdint>
#include <functional>

#include "weightinit/linalg/gemm.hpp"

namespace weightinit::linalg {

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

}  // namespace weightinit::linalg
