// One kernel table per instruction set; each lives in its own translation unit.
#pragma once

#include "weightinit/random/fill.hpp"

namespace weightinit::random {
namespace scalar {
const KernelTable& kernels();
}
namespace avx2 {
const KernelTable& kernels();
}
namespace avx512 {
const KernelTable& kernels();
}
}  // namespace weightinit::random
