// Haar-distributed orthogonal matrices by direct Householder reflectors:
// reflectors are drawn from Philox sub-streams and applied by linalg's orgqr,
// so any range of columns is the same bits as the whole matrix.
#pragma once

#include <cstdint>

#include "weightinit/linalg/gemm.hpp"

namespace weightinit::random {

// Columns [c0, c1) of the m x n (m >= n >= 1) Haar-distributed matrix with
// orthonormal columns of (key, stream), times `gain`, into q. Reflector i is
// drawn as x ~ N(0, I_{m-i}) (float64) from reflector_stream(stream, i) (counter.hpp)
// (Stewart 1980); column i is multiplied by sign(beta_i) (Mezzadri 2007). For
// float32, v and tau are rounded to float32 and Q is formed in float32.
template <class T>
void orthogonal_columns(std::uint64_t key, std::uint64_t stream, std::int64_t m, std::int64_t n,
                        std::int64_t c0, std::int64_t c1, double gain, linalg::MatRef<T> q);

}  // namespace weightinit::random
