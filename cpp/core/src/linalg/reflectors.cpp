// Householder reflectors (larfg) and compact WY blocks (larft, larfb). See
// reflectors.hpp for the determinism argument.
#include "weightinit/linalg/reflectors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "compact_wy.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"

namespace weightinit::linalg {
namespace {

// Euclidean norm of n elements in a fixed order: plain sum of squares when no
// square can overflow or lose everything to underflow, otherwise scaled by the
// largest magnitude first (IEEE operations only, no libm).
template <class T>
T norm2(std::int64_t n, const T* x, std::int64_t incx) {
  // Four lanes (element i goes to lane i % 4), written out so the compiler
  // keeps them in vector registers; max is exact and order-free.
  T m[4] = {0, 0, 0, 0};
  std::int64_t i = 0;
  if (incx == 1) {
    for (; i + 4 <= n; i += 4)
      for (int l = 0; l < 4; ++l) m[l] = std::max(m[l], std::fabs(x[i + l]));
  }
  for (; i < n; ++i) m[i & 3] = std::max(m[i & 3], std::fabs(x[i * incx]));
  const T amax = std::max(std::max(m[0], m[1]), std::max(m[2], m[3]));
  if (amax == 0 || !std::isfinite(amax)) return amax;
  const T lo = std::sqrt(std::numeric_limits<T>::min()) * T(4);
  const T hi = std::sqrt(std::numeric_limits<T>::max()) / T(4 * (n + 1));
  const bool scale = !(amax > lo && amax < hi);
  T s[4] = {0, 0, 0, 0};
  i = 0;
  if (incx == 1 && !scale) {
    for (; i + 4 <= n; i += 4)
      for (int l = 0; l < 4; ++l) s[l] = s[l] + x[i + l] * x[i + l];
  }
  for (; i < n; ++i) {
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
}  // namespace

std::int64_t block_size(std::int64_t m, std::int64_t k) {
  // nb = 32 for k < 256, 64 for k < 1024, 128 from there: blocks of 64-128
  // keep the rank-nb updates level-3 (docs/algorithms.md 6.2: 64-128 reach ~70% of
  // GEMM) while the extra work of applying each diagonal block with larfb
  // (about m*n*nb flops in all) stays a few percent of the whole, which only
  // a large k affords for nb = 128.
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
  if (incx == 1)
    for (std::int64_t i = 0; i < n - 1; ++i) x[i] = x[i] / scal;
  else
    for (std::int64_t i = 0; i < n - 1; ++i) x[i * incx] = x[i * incx] / scal;
  alpha = beta;
  return tau;
}

template <class T>
void larft_s_tile(std::int64_t rows, std::int64_t ib, const T* v, std::int64_t ldv,
                  std::int64_t tile, T* s) {
  const std::int64_t groups = ceil_div(ib, kLarftGroup);
  const std::int64_t pair[2] = {tile, groups - 1 - tile};
  for (int i = 0; i < (pair[0] == pair[1] ? 1 : 2); ++i) {
    const std::int64_t g0 = pair[i] * kLarftGroup, g1 = std::min(ib, g0 + kLarftGroup);
    for (std::int64_t l = g0; l < g1; ++l) std::fill(s + l * ib, s + l * ib + g1, T(0));
    gemm_update(g1, g1 - g0, rows - g0, MatRef<const T>{v + g0, ldv, 1},
                MatRef<const T>{v + g0 + g0 * ldv, 1, ldv}, MatRef<T>{s + g0 * ib, 1, ib}, false);
  }
}

template <class T>
void larft_t(std::int64_t ib, const T* tau, const T* s, T* t) {
  std::vector<T> tmp(static_cast<std::size_t>(ib));
  for (std::int64_t l = 0; l < ib; ++l) {
    T* tl = t + l * ib;
    for (std::int64_t p = 0; p < ib; ++p) tl[p] = T(0);
    if (tau[l] == 0) continue;
    // T(0:l, l) = T(0:l, 0:l) * (-tau_l * V(:, 0:l)^T v_l), T(l, l) = tau_l.
    for (std::int64_t p = 0; p < l; ++p) tmp[p] = -tau[l] * s[p + l * ib];
    // Plain multiply-add (not an FMA): this code is shared by every ISA, so
    // it is deterministic either way, and baseline x86-64 has no FMA unit
    // (std::fma would be a library call per element). Each tl[p] sums over
    // q = p..l-1 in ascending order; looping q outside makes the inner loop
    // contiguous (vectorisable) without changing any element's order.
    for (std::int64_t q = 0; q < l; ++q) {
      const T* tq = t + q * ib;
      const T x = tmp[q];
      for (std::int64_t p = 0; p <= q; ++p) tl[p] = tl[p] + tq[p] * x;
    }
    tl[l] = tau[l];
  }
}

template <class T>
void larft(std::int64_t rows, std::int64_t ib, const T* v, std::int64_t ldv, const T* tau, T* t) {
  const IsaPin pin;  // one instruction set for the whole call (isa.hpp)
  std::vector<T> s(static_cast<std::size_t>(ib * ib));
  parallel_for(larft_tiles(ib), rows * ib * ib, kMinParallelFlops / 8,
               [&](std::int64_t tile) { larft_s_tile(rows, ib, v, ldv, tile, s.data()); });
  larft_t(ib, tau, s.data(), t);
}

template <class T>
void larfb_panel(std::int64_t ib, const T* v, std::int64_t ldv, const PackedV<T>& pv, const T* t,
                 bool transpose, MatRef<T> c, const KnownStructure& known, std::int64_t j0,
                 std::int64_t w) {
  if (w <= 0) return;
  const std::int64_t rows = pv.vu.mn();
  thread_local std::vector<T> wbuf;
  if (wbuf.size() < static_cast<std::size_t>(2 * ib * w))
    wbuf.resize(static_cast<std::size_t>(2 * ib * w));
  T* w1 = wbuf.data();
  T* w2 = w1 + ib * w;
  std::fill(w1, w1 + 2 * ib * w, T(0));
  const MatRef<T> cp{c.data + j0 * c.cs, c.rs, c.cs};
  const std::int64_t nu = std::clamp<std::int64_t>(known.unit_cols - j0, 0, w);
  // W = V^T C_p: unit columns e_e give row e of V; the rest skip zero rows.
  for (std::int64_t jj = 0; jj < nu; ++jj) {
    const std::int64_t e = known.unit_row0 + j0 + jj;
    for (std::int64_t q = 0; q < ib; ++q) w1[q + jj * ib] = v[e + q * ldv];
  }
  const std::int64_t r0 = pv.r0;
  pv.vt.update(pv.vt_data, ib, w - nu, rows - r0,
               MatRef<const T>{cp.data + r0 * cp.rs + nu * cp.cs, cp.rs, cp.cs},
               MatRef<T>{w1 + nu * ib, 1, ib});
  // W2 = op(T) W. T is upper triangular: row block [q0, q1) of T W needs
  // only T's columns q >= q0 (the rest are leading zeros of each chain).
  if (transpose) {
    gemm_update(ib, w, ib, MatRef<const T>{t, ib, 1}, MatRef<const T>{w1, 1, ib},
                MatRef<T>{w2, 1, ib}, false);
  } else {
    constexpr std::int64_t kRowBlock = 32;
    for (std::int64_t q0 = 0; q0 < ib; q0 += kRowBlock) {
      const std::int64_t q1 = std::min(ib, q0 + kRowBlock);
      gemm_update(q1 - q0, w, ib - q0, MatRef<const T>{t + q0 + q0 * ib, 1, ib},
                  MatRef<const T>{w1 + q0, 1, ib}, MatRef<T>{w2 + q0, 1, ib}, false);
    }
  }
  // C_p(:, [a, b)) -= V(:, :kk) W2(:kk, [a, b)).
  const auto update = [&](std::int64_t a, std::int64_t b, std::int64_t kk) {
    if (pv.right)
      pv.vu.update(pv.vu_data, b - a, rows, kk, MatRef<const T>{w2 + a * ib, ib, 1},
                   MatRef<T>{cp.data + a * cp.cs, cp.cs, cp.rs});
    else
      pv.vu.update(pv.vu_data, rows, b - a, kk, MatRef<const T>{w2 + a * ib, 1, ib},
                   MatRef<T>{cp.data + a * cp.cs, cp.rs, cp.cs});
  };
  // On a unit column e, W2 is zero below row e (V and T are triangular), so
  // groups of unit columns stop their chains early.
  constexpr std::int64_t kUnitGroup = 32;
  for (std::int64_t g0 = 0; g0 < nu; g0 += kUnitGroup) {
    const std::int64_t g1 = std::min(nu, g0 + kUnitGroup);
    update(g0, g1, std::min(ib, known.unit_row0 + j0 + g1));
  }
  update(nu, w, ib);
}

template <class T>
void larfb(std::int64_t rows, std::int64_t ncols, std::int64_t ib, const T* v, std::int64_t ldv,
           const T* t, bool transpose, MatRef<T> c) {
  if (rows <= 0 || ncols <= 0 || ib <= 0) return;
  const IsaPin pin;  // one instruction set for the whole call (isa.hpp)
  const MatRef<const T> cc{c.data, c.rs, c.cs};
  std::vector<T> vt(static_cast<std::size_t>(PackedV<T>::vt_size(rows, ib))),
      vu(static_cast<std::size_t>(PackedV<T>::vu_size(rows, ib, cc)));
  const PackedV<T> pv(rows, ib, 0, cc, vt.data(), vu.data());
  parallel_for(pv.tiles(), 2 * rows * ib, std::int64_t{1} << 16,
               [&](std::int64_t tile) { pv.pack_tile(tile, v, ldv); });
  // Panel width only balances the threads: columns are independent, so it
  // never changes values.
  // A whole number of panels per thread (static schedule), at most ~512 wide.
  const std::int64_t threads = get_num_threads();
  const std::int64_t rounds = ceil_div(ncols, threads * 512);
  const std::int64_t pw =
      std::max<std::int64_t>(48, ceil_div(ceil_div(ncols, threads * rounds), 48) * 48);
  parallel_for(ceil_div(ncols, pw), 4 * rows * ib * ncols, kMinParallelFlops, [&](std::int64_t p) {
    const std::int64_t j0 = p * pw;
    larfb_panel(ib, v, ldv, pv, t, transpose, c, KnownStructure{}, j0, std::min(pw, ncols - j0));
  });
}

#define WEIGHTINIT_INSTANTIATE(T)                                                                 \
  template T larfg<T>(std::int64_t, T&, T*, std::int64_t);                                        \
  template void larft<T>(std::int64_t, std::int64_t, const T*, std::int64_t, const T*, T*);       \
  template void larfb<T>(std::int64_t, std::int64_t, std::int64_t, const T*, std::int64_t,        \
                         const T*, bool, MatRef<T>);                                              \
  template void larft_s_tile<T>(std::int64_t, std::int64_t, const T*, std::int64_t, std::int64_t, \
                                T*);                                                              \
  template void larft_t<T>(std::int64_t, const T*, const T*, T*);                                 \
  template void larfb_panel<T>(std::int64_t, const T*, std::int64_t, const PackedV<T>&, const T*, \
                               bool, MatRef<T>, const KnownStructure&, std::int64_t,              \
                               std::int64_t);
WEIGHTINIT_INSTANTIATE(float)
WEIGHTINIT_INSTANTIATE(double)
#undef WEIGHTINIT_INSTANTIATE

}  // namespace weightinit::linalg
