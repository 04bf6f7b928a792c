// GEMM dispatch: the table of the active instruction set (the same helper the
// random kernels use, so weightinit.simd.force() selects this path too).
#include "gemm_tables.hpp"
#include "weightinit/common/isa.hpp"

namespace weightinit::linalg {
namespace {

const GemmTable& active_table() {
  return isa_table<GemmTable>(scalar::gemm_table, WEIGHTINIT_X86_ONLY(avx2::gemm_table),
                              WEIGHTINIT_X86_ONLY(avx512::gemm_table));
}

}  // namespace

void gemm_update(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const double> a,
                 MatRef<const double> b, MatRef<double> c, bool subtract) {
  active_table().f64.update(m, n, k, a, b, c, subtract);
}

void gemm_update(std::int64_t m, std::int64_t n, std::int64_t k, MatRef<const float> a,
                 MatRef<const float> b, MatRef<float> c, bool subtract) {
  active_table().f32.update(m, n, k, a, b, c, subtract);
}

template <class T>
PackedOperand<T>::PackedOperand(Side side, std::int64_t mn, std::int64_t k)
    : side_(side), mn_(mn), k_(k), path_(&active_table()) {}

template <class T>
std::int64_t PackedOperand<T>::size() const {
  return path_->fns<T>().packed_size(side_ == Side::left, mn_, k_);
}

template <class T>
std::int64_t PackedOperand<T>::tiles() const {
  return path_->fns<T>().pack_tiles(side_ == Side::left, mn_, k_);
}

template <class T>
void PackedOperand<T>::pack_tile(std::int64_t tile, MatRef<const T> x, bool negate, T* data) const {
  path_->fns<T>().pack_tile(side_ == Side::left, mn_, k_, x, negate, data, tile);
}

template <class T>
void PackedOperand<T>::update(const T* data, std::int64_t m, std::int64_t n, std::int64_t k,
                              MatRef<const T> other, MatRef<T> c) const {
  path_->fns<T>().update_packed(side_ == Side::left, m, n, k, data, k_, other, c);
}

template class PackedOperand<float>;
template class PackedOperand<double>;

GemmShape active_gemm_shape() { return active_table().shape; }

}  // namespace weightinit::linalg
