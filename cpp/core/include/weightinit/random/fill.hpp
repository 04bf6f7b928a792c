// The kernels' API: fill a block of a logical tensor with one distribution.
#pragma once

#include <cstddef>
#include <cstdint>

#include "weightinit/common/strided.hpp"
#include "weightinit/random/distributions.hpp"

namespace weightinit::random {

// Contiguous run of logical elements [first, first + n) of stream `stream`
// under `key`, written to out[0..n). Element e of a 32-bit draw uses word e % 4
// of block e / 4; 64-bit draws use words 2(e%2), 2(e%2)+1 of block e / 2
// (low word first). Box-Muller pairs elements (2t, 2t+1).
using KernelF32 = void (*)(const DistParams&, std::uint64_t key, std::uint64_t stream,
                           std::uint64_t first, std::size_t n, float* out);
using KernelF64 = void (*)(const DistParams&, std::uint64_t key, std::uint64_t stream,
                           std::uint64_t first, std::size_t n, double* out);

struct KernelTable {
  KernelF32 f32;
  KernelF64 f64;
};

// The table of the active instruction set.
const KernelTable& active_kernels();
const KernelTable& scalar_kernels();

// Fills `block` (any dtype, any strides). Preconditions (checked by the
// bindings before this runs; kernels never throw): parameters are finite and
// valid, the block lies inside the logical shape, the destination is writable.
void fill(const DistParams& params, std::uint64_t key, std::uint64_t stream,
          const StridedBlock& block);

// IEEE binary16 from binary32, round to nearest even (the same integer code
// on every path), and back.
std::uint16_t float_to_half(float f);
float half_to_float(std::uint16_t h);

}  // namespace weightinit::random
