// Packed GEMM with register-blocked micro-kernels (Goto & van de Geijn 2008;
// BLIS), one instantiation per instruction set, used by larfb/larft.
//
// Determinism (docs/design.md contract 2, docs/algorithms.md 6.4): every output element
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

struct GemmTable;

// One factor of C += A B packed once for several gemm updates that share it
// (larfb applies the same V to every column panel of C, on every thread):
// `left` is A (mn x k), `right` is B (k x mn). The packed layout belongs to
// the instruction set active when the operand is described, which it keeps
// using. Packing copies (or negates) exactly, so an update through a packed
// operand gives the bits of gemm_update with the same operands.
enum class Side { left, right };

template <class T>
class PackedOperand {
 public:
  PackedOperand() = default;
  PackedOperand(Side side, std::int64_t mn, std::int64_t k);
  std::int64_t mn() const { return mn_; }
  std::int64_t size() const;   // elements of the packed buffer
  std::int64_t tiles() const;  // independent packing tasks
  // Tile `tile` of x (A or B of the shape above), negated if asked, into data.
  void pack_tile(std::int64_t tile, MatRef<const T> x, bool negate, T* data) const;
  // C (m x n) += A~ B (left, m = mn) or A B~ (right, n = mn), with the first
  // k (<= the packed k) of the packed operand and `other` the unpacked
  // factor. C may have any strides; a left operand is fastest for a C with
  // unit row stride, a right one for a C^T with unit row stride.
  void update(const T* data, std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const T> other,
              MatRef<T> c) const;

 private:
  Side side_ = Side::left;
  std::int64_t mn_ = 0, k_ = 0;
  const GemmTable* path_ = nullptr;
};

// Register-block shape of the active path (for benchmarks and panel sizing).
struct GemmShape {
  int mr_f64, nr_f64, mr_f32, nr_f32;
};
GemmShape active_gemm_shape();

}  // namespace weightinit::linalg
