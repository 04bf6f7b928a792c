// Sparse initialisation (Martens 2010, "Deep learning via Hessian-free
// optimization"): every unit gets exactly k non-zero incoming weights at
// uniformly random positions, drawn N(0, std^2); everything else is zero.
//
// Unit j's index set and values come from two sub-streams of (key, stream)
// tagged with j (counter.hpp), so any block of columns (or rows) is
// regenerated alone, on any thread count, bit for bit (docs/design.md contract 1).
#pragma once

#include <cstdint>
#include <vector>

#include "weightinit/common/strided.hpp"

namespace weightinit::random {

struct SparseParams {
  std::int64_t n_inputs;  // size of the fan-in axis
  std::int64_t nonzeros;  // k, 0 <= k <= n_inputs
  double std;             // standard deviation of the non-zero values, finite, >= 0
  int unit_axis;          // 1: units are columns (inputs, units); 0: rows (units, inputs)
};

// Units handed to one thread at a time; values never depend on it.
inline constexpr std::int64_t kSparseUnitsPerTile = 16;
// Below this much work (elements written plus draws) one thread is faster.
inline constexpr std::int64_t kSparseMinParallel = 1 << 16;

// The k distinct input indices of `unit`, in draw order, by Floyd's algorithm
// (Bentley & Floyd 1987): exactly k bounded draws, no rejection. Draw t is
// Lemire's multiply-shift of 64-bit draw t of the unit's index sub-stream
// (counter.hpp), so its bias is at most n_inputs / 2^64.
// `seen` is scratch of n_inputs bytes, all zero on entry and on return.
void sparse_indices(std::uint64_t key, std::uint64_t stream, std::uint64_t unit,
                    std::int64_t n_inputs, std::int64_t k, std::int64_t* indices,
                    std::vector<unsigned char>& seen);

// Fills a block of the 2-D tensor `block.shape` (any strides, any dtype):
// slot t of unit j holds value t of N(0, std^2) drawn in float64 from the
// unit's value sub-stream and rounded to the output dtype. Preconditions are
// checked by the bindings; this never throws. Returns false if a worker could
// not allocate its scratch (n_inputs bytes + 16 k bytes); the block is then
// incomplete.
bool sparse_fill(const SparseParams& params, std::uint64_t key, std::uint64_t stream,
                 const StridedBlock& block);

}  // namespace weightinit::random
