// Haar-orthogonal columns: reflector i drawn from its own Philox sub-stream
// (counter.hpp), applied with linalg's orgqr; sign fix and gain per panel.
#include "weightinit/random/orthogonal.hpp"

#include <vector>

#include "weightinit/common/isa.hpp"
#include "weightinit/linalg/orgqr.hpp"
#include "weightinit/linalg/reflectors.hpp"
#include "weightinit/random/counter.hpp"
#include "weightinit/random/distributions.hpp"
#include "weightinit/random/fill.hpp"

namespace weightinit::random {

template <class T>
void orthogonal_columns(std::uint64_t key, std::uint64_t stream, std::int64_t m, std::int64_t n,
                        std::int64_t c0, std::int64_t c1, double gain, linalg::MatRef<T> q) {
  if (c1 <= c0) return;
  const IsaPin pin;  // one instruction set for the whole call (isa.hpp)
  std::vector<double> sign(static_cast<std::size_t>(c1 - c0), 1.0);
  DistParams normal{};
  normal.kind = Distribution::normal;
  normal.normal = {0.0, 1.0};
  const KernelTable& kernels = active_kernels();
  const linalg::ReflectorSource<T> source = [&](std::int64_t i0, std::int64_t l0, std::int64_t l1,
                                                T* v, std::int64_t ldv, T* tau) {
    for (std::int64_t l = l0; l < l1; ++l) {
      const std::int64_t i = i0 + l, len = m - i;
      thread_local std::vector<double> x;
      if (x.size() < static_cast<std::size_t>(len)) x.resize(static_cast<std::size_t>(len));
      kernels.f64(normal, key, reflector_stream(stream, static_cast<std::uint64_t>(i)), 0,
                  static_cast<std::size_t>(len), x.data());
      double alpha = x[0];
      const double t = linalg::larfg<double>(len, alpha, x.data() + 1, 1);
      // beta (now in alpha) is the would-be r_ii; its sign makes Q Haar.
      if (i >= c0 && i < c1) sign[static_cast<std::size_t>(i - c0)] = alpha < 0 ? -1.0 : 1.0;
      tau[l] = static_cast<T>(t);
      T* col = v + l * ldv;
      for (std::int64_t r = 0; r < l; ++r) col[r] = T(0);
      col[l] = T(1);
      for (std::int64_t r = 1; r < len; ++r)
        col[l + r] = static_cast<T>(x[static_cast<std::size_t>(r)]);
    }
  };
  // Sign fix and gain on each finished panel, while it is still in cache.
  // Every reflector has been drawn by then (block 0 is applied last).
  const linalg::ColumnEpilogue<T> finish = [&](std::int64_t j, std::int64_t w,
                                               linalg::MatRef<T> cols) {
    std::vector<T> scale(static_cast<std::size_t>(w));
    for (std::int64_t jj = 0; jj < w; ++jj)
      scale[jj] = static_cast<T>(sign[static_cast<std::size_t>(j - c0 + jj)] * gain);
    if (cols.cs == 1) {
      for (std::int64_t r = 0; r < m; ++r) {
        T* row = cols.data + r * cols.rs;
        for (std::int64_t jj = 0; jj < w; ++jj) row[jj] = row[jj] * scale[jj];
      }
    } else {
      for (std::int64_t jj = 0; jj < w; ++jj)
        for (std::int64_t r = 0; r < m; ++r) cols(r, jj) = cols(r, jj) * scale[jj];
    }
  };
  linalg::orgqr_columns<T>(m, n, c0, c1, q, source, finish);
}

#define WEIGHTINIT_INSTANTIATE(T)                                                               \
  template void orthogonal_columns<T>(std::uint64_t, std::uint64_t, std::int64_t, std::int64_t, \
                                      std::int64_t, std::int64_t, double, linalg::MatRef<T>);
WEIGHTINIT_INSTANTIATE(float)
WEIGHTINIT_INSTANTIATE(double)
#undef WEIGHTINIT_INSTANTIATE

}  // namespace weightinit::random
