// Portable GEMM path: one lane per "vector", std::fma (correctly rounded with
// or without hardware FMA), 4 x 4 register block.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "gemm_tables.hpp"

namespace weightinit::linalg::scalar {
namespace {

template <class F>
struct Ops {
  using T = F;
  using V = F;
  static constexpr int L = 1;
  static V load(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V set1(T x) { return x; }
  static V fma(V a, V b, V c) { return std::fma(a, b, c); }
  static void store_first(T* p, V v, int) { *p = v; }
  static V neg(V v) { return -v; }
  static void transpose(V*) {}  // one value of one line
};

#include "gemm_kernels.inl"

using GemmD = Gemm<Ops<double>, 4, 4, 256, 64, 1024>;
using GemmF = Gemm<Ops<float>, 4, 4, 256, 64, 1024>;

}  // namespace

const GemmTable& gemm_table() {
  static const GemmTable table{gemm_fns<GemmD>(), gemm_fns<GemmF>(), {4, 4, 4, 4}};
  return table;
}

}  // namespace weightinit::linalg::scalar
