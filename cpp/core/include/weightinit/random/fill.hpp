// The kernels' API: fill a block of a logical tensor with one distribution.
#pragma once

#include <cstddef>
#include <cstdint>

#include "weightinit/common/strided.hpp"
#include "weightinit/random/distributions.hpp"

namespace weightinit::random {

// Contiguous run of logical elements [first, first + n) of stream `stream`
// under `key`, written to out[0..n), element e from its draws as counter.hpp
// defines them (32-bit draws for float32, 64-bit draws for float64).
using KernelF32 = void (*)(const DistParams&, std::uint64_t key, std::uint64_t stream,
                           std::uint64_t first, std::size_t n, float* out);
using KernelF64 = void (*)(const DistParams&, std::uint64_t key, std::uint64_t stream,
                           std::uint64_t first, std::size_t n, double* out);
// bfloat16 bit patterns: the float32 kernel's values, rounded in registers by
// float_to_bfloat16's rule before they are stored (docs/algorithms.md 2.4).
using KernelBF16 = void (*)(const DistParams&, std::uint64_t key, std::uint64_t stream,
                            std::uint64_t first, std::size_t n, std::uint16_t* out);

struct KernelTable {
  KernelF32 f32;
  KernelF64 f64;
  KernelBF16 bf16;
};

// The table of the active instruction set.
const KernelTable& active_kernels();
const KernelTable& scalar_kernels();

// Tile of a run handed to one thread: a multiple of every group size so tiles
// start on group boundaries and no group is computed twice.
inline constexpr std::int64_t kFillTile = 1 << 15;
// Below this many elements one thread is faster than waking a team.
inline constexpr std::int64_t kFillMinParallel = 1 << 16;

// Fills `block` (any dtype, any strides). Preconditions (checked by the
// bindings before this runs; kernels never throw): parameters are finite and
// valid, the block lies inside the logical shape, the destination is writable.
void fill(const DistParams& params, std::uint64_t key, std::uint64_t stream,
          const StridedBlock& block);

// One element through the scalar path's distribution transform, from draws
// given as counter.hpp defines them: x1 = draw e for uniform and truncated
// normal (slot 0, x2 unused); x1, x2 = draws pair_first_draw(e) and the one
// after it, slot = pair_slot(e), for normal. The reference every kernel is
// held to, element by element, by tests/cpp/test_counter.cpp.
float scalar_element_f32(const DistParams& params, std::uint32_t x1, std::uint32_t x2, int slot);
double scalar_element_f64(const DistParams& params, std::uint64_t x1, std::uint64_t x2, int slot);

// IEEE binary16 from binary32, round to nearest even (the same integer code
// on every path), and back.
std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);

// bfloat16 bits of binary32, round to nearest even: (u + 0x7FFF + ((u >> 16) & 1)) >> 16
// on the bits u, NaN kept quiet as (u >> 16) | 0x40 (the rule of torch, ml_dtypes and
// weightinit._bfloat16; docs/algorithms.md 2.4). The reference the kernels are held to.
std::uint16_t float_to_bfloat16(float f);

}  // namespace weightinit::random
