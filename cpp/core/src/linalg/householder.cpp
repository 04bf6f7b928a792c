// Householder reflectors, compact WY (larft/larfb), orgqr over a column range,
// blocked geqrf, and Haar-orthogonal sampling by direct reflectors. See
// householder.hpp for the determinism argument.
#include "weightinit/linalg/householder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "weightinit/common/parallel.hpp"
#include "weightinit/random/distributions.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/philox.hpp"

namespace weightinit::linalg {
namespace {

// Work (flops) below which a step stays on the calling thread.
constexpr std::int64_t kMinParallelFlops = std::int64_t{1} << 24;

// Euclidean norm of n elements in a fixed order: plain sum of squares when no
// square can overflow or lose everything to underflow, otherwise scaled by the
// largest magnitude first (IEEE operations only, no libm).
template <class T>
T norm2(std::int64_t n, const T* x, std::int64_t incx) {
  T amax = 0;
  for (std::int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(x[i * incx]));
  if (amax == 0 || !std::isfinite(amax)) return amax;
  const T lo = std::sqrt(std::numeric_limits<T>::min()) * T(4);
  const T hi = std::sqrt(std::numeric_limits<T>::max()) / T(4 * (n + 1));
  const bool scale = !(amax > lo && amax < hi);
  T s[4] = {0, 0, 0, 0};
  for (std::int64_t i = 0; i < n; ++i) {
    const T y = scale ? x[i * incx] / amax : x[i * incx];
    const T y2 = y * y;
    s[i & 3] = s[i & 3] + y2;
  }
  const T total = (s[0] + s[1]) + (s[2] + s[3]);
  return scale ? amax * std::sqrt(total) : std::sqrt(total);
}

// sqrt(a^2 + b^2) without overflow (LAPACK dlapy2), IEEE operations only.
template <class T>
T hypot2(T a, T b) {
  a = std::fabs(a);
  b = std::fabs(b);
  const T w = std::max(a, b), z = std::min(a, b);
  if (z == 0) return w;
  const T r = z / w;
  return w * std::sqrt(T(1) + r * r);
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// q(r, j) = f(r, j) for an m x w matrix, visiting memory in the order it is
// laid out (a column loop on a row-major q touches a new cache line, and often
// a new page, per element). Threads take tiles of the outer index.
template <class T, class F>
void for_each_element(std::int64_t m, std::int64_t w, MatRef<T> q, F f) {
  const bool by_rows = std::llabs(q.cs) < std::llabs(q.rs);
  const std::int64_t outer = by_rows ? m : w, inner = by_rows ? w : m;
  constexpr std::int64_t kTile = 16;
  parallel_for(ceil_div(outer, kTile), m * w, std::int64_t{1} << 16, [&](std::int64_t t) {
    const std::int64_t o1 = std::min(outer, (t + 1) * kTile);
    for (std::int64_t o = t * kTile; o < o1; ++o)
      for (std::int64_t i = 0; i < inner; ++i) {
        const std::int64_t r = by_rows ? o : i, j = by_rows ? i : o;
        T& x = q(r, j);
        x = f(r, j, x);
      }
  });
}

}  // namespace

std::int64_t block_size(std::int64_t m, std::int64_t k) {
  // nb = 64 keeps the rank-nb updates level-3 (algorithms.md 6.2: 64-128 reach
  // ~70% of GEMM) while the extra work of applying each diagonal block with
  // larfb (about m*n*nb flops in all) stays a few percent; small matrices use 32.
  (void)m;
  return k >= 1024 ? 128 : k >= 256 ? 64 : 32;
}

template <class T>
T larfg(std::int64_t n, T& alpha, T* x, std::int64_t incx) {
  if (n <= 1) return T(0);
  const T xnorm = norm2(n - 1, x, incx);
  if (xnorm == 0) return T(0);
  const T beta = -std::copysign(hypot2(alpha, xnorm), alpha);
  const T tau = (beta - alpha) / beta;
  const T scal = alpha - beta;
  for (std::int64_t i = 0; i < n - 1; ++i) x[i * incx] = x[i * incx] / scal;
  alpha = beta;
  return tau;
}

template <class T>
void larft(std::int64_t rows, std::int64_t ib, const T* v, std::int64_t ldv, const T* tau, T* t) {
  // S = V^T V (the strictly upper part is what dlarft's gemv calls compute).
  std::vector<T> s(static_cast<std::size_t>(ib * ib), T(0));
  gemm_update(ib, ib, rows, MatRef<const T>{v, ldv, 1}, MatRef<const T>{v, 1, ldv},
              MatRef<T>{s.data(), 1, ib}, false);
  std::vector<T> tmp(static_cast<std::size_t>(ib));
  for (std::int64_t l = 0; l < ib; ++l) {
    T* tl = t + l * ib;
    for (std::int64_t p = 0; p < ib; ++p) tl[p] = T(0);
    if (tau[l] == 0) continue;
    // T(0:l, l) = T(0:l, 0:l) * (-tau_l * V(:, 0:l)^T v_l), T(l, l) = tau_l.
    for (std::int64_t p = 0; p < l; ++p) tmp[p] = -tau[l] * s[p + l * ib];
    for (std::int64_t p = 0; p < l; ++p) {
      T acc = 0;
      // Plain multiply-add (not an FMA): this code is shared by every ISA, so
      // it is deterministic either way, and baseline x86-64 has no FMA unit
      // (std::fma would be a library call per element).
      for (std::int64_t q = p; q < l; ++q) acc = acc + t[p + q * ib] * tmp[q];
      tl[p] = acc;
    }
    tl[l] = tau[l];
  }
}

template <class T>
void larfb(std::int64_t rows, std::int64_t ncols, std::int64_t ib, const T* v, std::int64_t ldv,
           const T* t, bool transpose, MatRef<T> c) {
  if (rows <= 0 || ncols <= 0 || ib <= 0) return;
  // Panel width only balances the threads: columns are independent, so it
  // never changes values.
  const std::int64_t threads = get_num_threads();
  std::int64_t pw = std::min<std::int64_t>(ceil_div(ncols, threads), 512);
  pw = std::max<std::int64_t>(48, ceil_div(pw, 48) * 48);
  const std::int64_t panels = ceil_div(ncols, pw);
  const MatRef<const T> vt{v, ldv, 1}, vn{v, 1, ldv};
  const MatRef<const T> tm = transpose ? MatRef<const T>{t, ib, 1} : MatRef<const T>{t, 1, ib};
  parallel_for(panels, 4 * rows * ib * ncols, kMinParallelFlops, [&](std::int64_t p) {
    const std::int64_t j0 = p * pw, w = std::min(pw, ncols - j0);
    thread_local std::vector<T> wbuf;
    if (wbuf.size() < static_cast<std::size_t>(2 * ib * w)) wbuf.resize(static_cast<std::size_t>(2 * ib * w));
    T* w1 = wbuf.data();
    T* w2 = w1 + ib * w;
    std::fill(w1, w1 + 2 * ib * w, T(0));
    const MatRef<T> cp{c.data + j0 * c.cs, c.rs, c.cs};
    gemm_update(ib, w, rows, vt, MatRef<const T>{cp.data, cp.rs, cp.cs}, MatRef<T>{w1, 1, ib}, false);
    gemm_update(ib, w, ib, tm, MatRef<const T>{w1, 1, ib}, MatRef<T>{w2, 1, ib}, false);
    gemm_update(rows, w, ib, vn, MatRef<const T>{w2, 1, ib}, cp, true);
  });
}

template <class T>
void orgqr_columns(std::int64_t m, std::int64_t k, std::int64_t c0, std::int64_t c1, MatRef<T> q,
                   const ReflectorSource<T>& source) {
  if (c1 <= c0 || m <= 0) return;
  for_each_element(m, c1 - c0, q,
                   [c0](std::int64_t r, std::int64_t j, T) { return r == c0 + j ? T(1) : T(0); });
  if (k <= 0) return;
  const std::int64_t nb = block_size(m, k);
  std::vector<T> v(static_cast<std::size_t>(m * nb)), tau(static_cast<std::size_t>(nb)),
      t(static_cast<std::size_t>(nb * nb));
  for (std::int64_t b = ceil_div(k, nb) - 1; b >= 0; --b) {
    const std::int64_t i0 = b * nb;
    if (i0 >= c1) continue;
    const std::int64_t ib = std::min(nb, k - i0), rows = m - i0, j0 = std::max(c0, i0);
    source(i0, ib, v.data(), rows, tau.data());
    larft(rows, ib, v.data(), rows, tau.data(), t.data());
    larfb(rows, c1 - j0, ib, v.data(), rows, t.data(), false,
          MatRef<T>{&q(i0, j0 - c0), q.rs, q.cs});
  }
}

template <class T>
void geqrf(std::int64_t m, std::int64_t n, MatRef<T> a, T* tau) {
  const std::int64_t kmin = std::min(m, n);
  if (kmin <= 0) return;
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
  return [m, a, tau](std::int64_t i0, std::int64_t ib, T* v, std::int64_t ldv, T* tb) {
    for (std::int64_t l = 0; l < ib; ++l) {
      tb[l] = tau[i0 + l];
      for (std::int64_t r = 0; r < m - i0; ++r)
        v[r + l * ldv] = r < l ? T(0) : r == l ? T(1) : a(i0 + r, i0 + l);
    }
  };
}

template <class T>
void orthogonal_columns(std::uint64_t key, std::uint64_t stream, std::int64_t m, std::int64_t n,
                        std::int64_t c0, std::int64_t c1, double gain, MatRef<T> q) {
  if (c1 <= c0) return;
  std::vector<double> sign(static_cast<std::size_t>(c1 - c0), 1.0);
  random::DistParams normal{};
  normal.kind = random::Distribution::normal;
  normal.normal = {0.0, 1.0};
  const random::KernelTable& kernels = random::active_kernels();
  const ReflectorSource<T> source = [&](std::int64_t i0, std::int64_t ib, T* v, std::int64_t ldv,
                                        T* tau) {
    parallel_for(ib, ib * (m - i0), std::int64_t{1} << 17, [&](std::int64_t l) {
      const std::int64_t i = i0 + l, len = m - i;
      thread_local std::vector<double> x;
      if (x.size() < static_cast<std::size_t>(len)) x.resize(static_cast<std::size_t>(len));
      kernels.f64(normal, key, random::substream(stream, kOrthogonalTag, static_cast<std::uint64_t>(i)),
                  0, static_cast<std::size_t>(len), x.data());
      double alpha = x[0];
      const double t = larfg<double>(len, alpha, x.data() + 1, 1);
      // beta (now in alpha) is the would-be r_ii; its sign makes Q Haar.
      if (i >= c0 && i < c1) sign[static_cast<std::size_t>(i - c0)] = alpha < 0 ? -1.0 : 1.0;
      tau[l] = static_cast<T>(t);
      T* col = v + l * ldv;
      for (std::int64_t r = 0; r < l; ++r) col[r] = T(0);
      col[l] = T(1);
      for (std::int64_t r = 1; r < len; ++r) col[l + r] = static_cast<T>(x[static_cast<std::size_t>(r)]);
    });
  };
  orgqr_columns<T>(m, n, c0, c1, q, source);
  std::vector<T> scale(sign.size());
  for (std::size_t j = 0; j < sign.size(); ++j) scale[j] = static_cast<T>(sign[j] * gain);
  for_each_element(m, c1 - c0, q, [&scale](std::int64_t, std::int64_t j, T x) {
    return x * scale[static_cast<std::size_t>(j)];
  });
}

#define WEIGHTINIT_INSTANTIATE(T)                                                                  \
  template T larfg<T>(std::int64_t, T&, T*, std::int64_t);                                         \
  template void larft<T>(std::int64_t, std::int64_t, const T*, std::int64_t, const T*, T*);        \
  template void larfb<T>(std::int64_t, std::int64_t, std::int64_t, const T*, std::int64_t, const T*, \
                         bool, MatRef<T>);                                                         \
  template void orgqr_columns<T>(std::int64_t, std::int64_t, std::int64_t, std::int64_t, MatRef<T>, \
                                 const ReflectorSource<T>&);                                       \
  template void geqrf<T>(std::int64_t, std::int64_t, MatRef<T>, T*);                               \
  template ReflectorSource<T> stored_reflectors<T>(std::int64_t, MatRef<const T>, const T*);       \
  template void orthogonal_columns<T>(std::uint64_t, std::uint64_t, std::int64_t, std::int64_t,    \
                                      std::int64_t, std::int64_t, double, MatRef<T>);
WEIGHTINIT_INSTANTIATE(float)
WEIGHTINIT_INSTANTIATE(double)
#undef WEIGHTINIT_INSTANTIATE

}  // namespace weightinit::linalg
