// Blocked Householder QR (dgeqrf): an unblocked panel (dgeqr2), then the
// trailing columns updated with larft/larfb.
#include "weightinit/linalg/geqrf.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "weightinit/common/isa.hpp"
#include "weightinit/linalg/reflectors.hpp"

namespace weightinit::linalg {

template <class T>
void geqrf(std::int64_t m, std::int64_t n, MatRef<T> a, T* tau) {
  const std::int64_t kmin = std::min(m, n);
  if (kmin <= 0) return;
  const IsaPin pin;  // one instruction set for the whole call (isa.hpp)
  const std::int64_t nb = block_size(m, kmin);
  std::vector<T> v(static_cast<std::size_t>(m * nb)), t(static_cast<std::size_t>(nb * nb));
  for (std::int64_t i0 = 0; i0 < kmin; i0 += nb) {
    const std::int64_t ib = std::min(nb, kmin - i0), pend = i0 + ib;
    // Unblocked panel (dgeqr2): reflector l, then H_l applied to the panel's
    // later columns with a fixed-order FMA chain per column.
    for (std::int64_t l = i0; l < pend; ++l) {
      T alpha = a(l, l);
      const T tl = larfg(m - l, alpha, &a(l + 1, l), a.rs);
      tau[l] = tl;
      a(l, l) = alpha;
      if (tl == 0) continue;
      for (std::int64_t c = l + 1; c < pend; ++c) {
        T w = a(l, c);
        for (std::int64_t r = l + 1; r < m; ++r) w = std::fma(a(r, l), a(r, c), w);
        const T tw = tl * w;
        a(l, c) = a(l, c) - tw;
        for (std::int64_t r = l + 1; r < m; ++r) a(r, c) = std::fma(-tw, a(r, l), a(r, c));
      }
    }
    if (pend >= n) continue;
    const std::int64_t rows = m - i0;
    for (std::int64_t l = 0; l < ib; ++l)
      for (std::int64_t r = 0; r < rows; ++r)
        v[r + l * rows] = r < l ? T(0) : r == l ? T(1) : a(i0 + r, i0 + l);
    larft(rows, ib, v.data(), rows, tau + i0, t.data());
    larfb(rows, n - pend, ib, v.data(), rows, t.data(), true, MatRef<T>{&a(i0, pend), a.rs, a.cs});
  }
}

template <class T>
ReflectorSource<T> stored_reflectors(std::int64_t m, MatRef<const T> a, const T* tau) {
  return [m, a, tau](std::int64_t i0, std::int64_t l0, std::int64_t l1, T* v, std::int64_t ldv,
                     T* tb) {
    for (std::int64_t l = l0; l < l1; ++l) {
      tb[l] = tau[i0 + l];
      for (std::int64_t r = 0; r < m - i0; ++r)
        v[r + l * ldv] = r < l ? T(0) : r == l ? T(1) : a(i0 + r, i0 + l);
    }
  };
}

#define WEIGHTINIT_INSTANTIATE(T)                                    \
  template void geqrf<T>(std::int64_t, std::int64_t, MatRef<T>, T*); \
  template ReflectorSource<T> stored_reflectors<T>(std::int64_t, MatRef<const T>, const T*);
WEIGHTINIT_INSTANTIATE(float)
WEIGHTINIT_INSTANTIATE(double)
#undef WEIGHTINIT_INSTANTIATE

}  // namespace weightinit::linalg
