// Packed GEMM with register-blocked micro-kernels (Goto & van de Geijn 2008;
// BLIS), one instantiation per instruction set, used by larfb/larft.
//
// Determinism (DESIGN.md contract 2, algorithms.md 6.4): every output element
// c_ij is updated in place by one chain of correctly rounded FMAs over k in
// ascending order, c <- fma(a_ik, b_kj, c), starting from the value already in
// C. Cache blocking (kc, mc, nc), register blocking (mr x nr), packing and
// threading therefore cannot change a single bit: scalar, AVX2 and AVX-512
// give identical results, and callers may split the output columns between
// threads freely. Callers never split k.
#pragma once

#include <cstdint>

namespace weightinit::linalg {

// A strided matrix: element (i, j) at data[i * rs + j * cs] (element strides,
// any sign).
template <class T>
struct MatRef {
  T* data;
  std::int64_t rs;
  std::int64_t cs;
  T& operator()(std::int64_t i, std::int64_t j) const { return data[i * rs + j * cs]; }
};

// C (m x n) += A (m x k) * B (k x n), or -= when `subtract` (A is negated
// exactly while packing). Single-threaded; uses the active instruction set.
// Never throws (workspace is thread-local and grows once).
void gemm_update(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const double> a,
                 MatRef<const double> b, MatRef<double> c, bool subtract);
void gemm_update(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const float> a,
                 MatRef<const float> b, MatRef<float> c, bool subtract);

// Register-block shape of the active path (for benchmarks and panel sizing).
struct GemmShape {
  int mr_f64, nr_f64, mr_f32, nr_f32;
};
GemmShape active_gemm_shape();

}  // namespace weightinit::linalg
