// Householder reflectors, compact WY (larft/larfb), orgqr over a column range,
// blocked geqrf, and Haar-orthogonal sampling by direct reflectors. See
// householder.hpp for the determinism argument.
#include "weightinit/linalg/householder.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <thread>
#include <vector>

#include "weightinit/common/parallel.hpp"
#include "weightinit/random/counter.hpp"
#include "weightinit/random/distributions.hpp"
#include "weightinit/random/fill.hpp"

namespace weightinit::linalg {
namespace {

// Work (flops) below which a step stays on the calling thread.
constexpr std::int64_t kMinParallelFlops = std::int64_t{1} << 24;

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

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Spin-wait hint (short waits inside a team, never across calls).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until ready() (a short wait inside a team), then yields the core
// while it keeps waiting, in case the thread it waits for is not running.
template <class Ready>
void wait_until(Ready ready) {
  for (int spins = 0; !ready(); ++spins) {
    if (spins < (1 << 12))
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

// Columns [c0, c0 + w) of the m x m identity into q (element (r, j) is
// r == c0 + j), one line of memory at a time in layout order (a column loop
// on a row-major q would touch a new cache line, and often a new page, per
// element), in tiles of 16 lines that threads claim.
template <class T>
struct IdentityFill {
  static constexpr std::int64_t kTile = 16;
  std::int64_t c0, outer, inner, so, si;
  bool by_rows;
  T* data;
  IdentityFill(std::int64_t m, std::int64_t w, std::int64_t c0_, MatRef<T> q)
      : c0(c0_), data(q.data) {
    by_rows = std::llabs(q.cs) < std::llabs(q.rs);
    outer = by_rows ? m : w;
    inner = by_rows ? w : m;
    so = by_rows ? q.rs : q.cs;
    si = by_rows ? q.cs : q.rs;
  }
  std::int64_t tiles() const { return ceil_div(outer, kTile); }
  void tile(std::int64_t t) const {
    const std::int64_t o1 = std::min(outer, (t + 1) * kTile);
    for (std::int64_t o = t * kTile; o < o1; ++o) {
      T* line = data + o * so;
      if (si == 1)
        std::fill(line, line + inner, T(0));
      else
        for (std::int64_t i = 0; i < inner; ++i) line[i * si] = T(0);
      const std::int64_t one = by_rows ? o - c0 : c0 + o;  // the diagonal's index in this line
      if (one >= 0 && one < inner) line[one * si] = T(1);
    }
  }
};

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
  if (incx == 1)
    for (std::int64_t i = 0; i < n - 1; ++i) x[i] = x[i] / scal;
  else
    for (std::int64_t i = 0; i < n - 1; ++i) x[i * incx] = x[i * incx] / scal;
  alpha = beta;
  return tau;
}

namespace {

// S = V^T V, strictly upper part only (what dlarft's gemv calls compute), by
// column groups [g0, g1): rows [0, g1) of S, summing over V's rows from g0 on.
// V is zero above its diagonal, so the skipped products are all +-0 at the
// head of each chain that starts from +0: the FMA chains and bits are those
// of the full product. Tile `tile` of larft_tiles(ib) takes groups tile and
// G-1-tile, so tiles have equal work; each zeroes its part of s first.
constexpr std::int64_t kLarftGroup = 32;
std::int64_t larft_tiles(std::int64_t ib) { return ceil_div(ceil_div(ib, kLarftGroup), 2); }

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

// T from S and tau, column by column.
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

}  // namespace

template <class T>
void larft(std::int64_t rows, std::int64_t ib, const T* v, std::int64_t ldv, const T* tau, T* t) {
  std::vector<T> s(static_cast<std::size_t>(ib * ib));
  parallel_for(larft_tiles(ib), rows * ib * ib, kMinParallelFlops / 8,
               [&](std::int64_t tile) { larft_s_tile(rows, ib, v, ldv, tile, s.data()); });
  larft_t(ib, tau, s.data(), t);
}

namespace {

// What orgqr knows about C before a block is applied (algorithms.md 5.7):
// its first `unit_cols` columns are still the unit vectors e_{unit_row0 + jj}
// (jj = 0, 1, ...; unit_row0 + unit_cols <= ib), and every other column is
// zero in rows [0, ib). Skipping those zeros never changes a bit: W and W2
// start from +0, so a product that is exactly +-0 at the head of a chain
// leaves it at +0, and one at the tail (after a value that is never -0)
// leaves it unchanged. It removes the V^T C work of the identity part, half
// of T W, and the zero tail of V W on the diagonal block.
struct KnownStructure {
  std::int64_t unit_cols = 0, unit_row0 = 0;
};

// V of one block packed once for larfb_panel and shared by every panel and
// thread: V^T from row r0 on as the left factor of W = V^T C (rows above r0
// are skipped as known zeros of C), and -V as the factor of C -= V W: left
// for a C with unit row stride, right (as -V^T) for a row-major C, whose
// update runs as C^T -= W^T V^T so the micro-kernels store along rows.
// The buffers are the caller's; packing runs in tiles threads can share.
template <class T>
struct PackedV {
  PackedOperand<T> vt, vu;
  T* vt_data = nullptr;
  T* vu_data = nullptr;
  std::int64_t r0 = 0;
  bool right = false;

  PackedV() = default;
  PackedV(std::int64_t rows, std::int64_t ib, std::int64_t r0_, MatRef<const T> c, T* vt_buf,
          T* vu_buf)
      : vt(Side::left, ib, rows - r0_),
        vu(row_major(c) ? Side::right : Side::left, rows, ib),
        vt_data(vt_buf),
        vu_data(vu_buf),
        r0(r0_),
        right(row_major(c)) {}
  static bool row_major(MatRef<const T> c) { return c.rs != 1 && c.cs == 1; }
  // Workspace of the two packed forms for up to `rows` x `ib` (any r0).
  static std::int64_t vt_size(std::int64_t rows, std::int64_t ib) {
    return PackedOperand<T>(Side::left, ib, rows).size();
  }
  static std::int64_t vu_size(std::int64_t rows, std::int64_t ib, MatRef<const T> c) {
    return PackedOperand<T>(row_major(c) ? Side::right : Side::left, rows, ib).size();
  }
  std::int64_t tiles() const { return vt.tiles() + vu.tiles(); }
  void pack_tile(std::int64_t tile, const T* v, std::int64_t ldv) const {
    if (tile < vt.tiles())
      vt.pack_tile(tile, MatRef<const T>{v + r0, ldv, 1}, false, vt_data);
    else if (right)
      vu.pack_tile(tile - vt.tiles(), MatRef<const T>{v, ldv, 1}, true, vu_data);
    else
      vu.pack_tile(tile - vt.tiles(), MatRef<const T>{v, 1, ldv}, true, vu_data);
  }
};

// Columns [j0, j0 + w) of C := (I - V op(T) V^T) C, with V packed in pv.
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
void larfb_impl(std::int64_t rows, std::int64_t ncols, std::int64_t ib, const T* v,
                std::int64_t ldv, const T* t, bool transpose, MatRef<T> c) {
  if (rows <= 0 || ncols <= 0 || ib <= 0) return;
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

// Workspace of at least n elements. Up to kKeepBytes it stays with the
// calling thread for its next call: fresh memory costs a page fault per
// 4 KiB on first touch, measured at 3-4% of an n = 1024 orthogonal matrix.
// Larger workspaces are owned by the call (`owned`) and freed with it.
constexpr std::size_t kKeepBytes = std::size_t{64} << 20;

template <class T>
T* workspace(std::int64_t n, std::unique_ptr<T[]>& owned) {
  const auto count = static_cast<std::size_t>(n);
  if (count * sizeof(T) > kKeepBytes) {
    owned.reset(new T[count]);
    return owned.get();
  }
  thread_local std::unique_ptr<T[]> kept;
  thread_local std::size_t kept_count = 0;
  if (kept_count < count) {
    kept.reset(new T[count]);
    kept_count = count;
  }
  return kept.get();
}

// n rounded up to whole 64-byte lines of T.
template <class T>
std::int64_t aligned_count(std::int64_t n) {
  constexpr std::int64_t line = 64 / sizeof(T);
  return ceil_div(n, line) * line;
}

// Cost of larfb_panel per column of C in GEMM flops, from the known
// structure: a model for splitting columns between threads that never
// affects values. A unit column skips W = V^T C, but its short V W chains,
// in groups of 32, measured at about a full column's time on Zen 4 (float32,
// n = 1024), hence the factor 1.6 (0.9-1.6 measure the same since V is
// packed once per block).
// W = V^T C reads C from row r0 on (PackedV).
inline double larfb_column_cost(std::int64_t rows, std::int64_t ib, std::int64_t r0,
                                const KnownStructure& known, std::int64_t j) {
  const double tw = static_cast<double>(ib) * static_cast<double>(ib);
  if (j < known.unit_cols) return tw + 1.6 * 2.0 * rows * ib;
  return 2.0 * ib * (rows - r0) + tw + 2.0 * rows * ib;
}

// Cost of drawing one reflector element and its share of larft, in the
// same units (measured on Zen 4 against full larfb columns: ~6 ns per
// element at ~90 float / ~45 double GFLOP/s). Only decides whether a step
// is worth a team.
template <class T>
constexpr double kPrepareFlopsPerElement = sizeof(T) == 4 ? 560.0 : 280.0;

}  // namespace

template <class T>
void larfb(std::int64_t rows, std::int64_t ncols, std::int64_t ib, const T* v, std::int64_t ldv,
           const T* t, bool transpose, MatRef<T> c) {
  larfb_impl(rows, ncols, ib, v, ldv, t, transpose, c);
}

template <class T>
void orgqr_columns(std::int64_t m, std::int64_t k, std::int64_t c0, std::int64_t c1, MatRef<T> q,
                   const ReflectorSource<T>& source, const ColumnEpilogue<T>& finish) {
  if (c1 <= c0 || m <= 0) return;
  const IdentityFill<T> identity(m, c1 - c0, c0, q);
  if (k <= 0) {
    parallel_for(identity.tiles(), m * (c1 - c0), std::int64_t{1} << 16,
                 [&](std::int64_t t) { identity.tile(t); });
    if (finish) finish(c0, c1 - c0, q);
    return;
  }
  const std::int64_t nb = block_size(m, k);
  // Blocks starting at or after c1 leave columns [c0, c1) alone.
  const std::int64_t last = std::min(ceil_div(k, nb), ceil_div(c1, nb)) - 1;
  const MatRef<const T> qc{q.data, q.rs, q.cs};
  const int threads = get_num_threads();

  // One team runs the whole product with no barrier between blocks. Block b
  // is applied to columns [max(c0, b nb), c1), in ranges per thread (equal
  // modelled cost) and a shared tail of 48-column chunks; a column takes
  // block b once block b + 1 is done with it (its own counter says so), so
  // a thread that is ahead moves on instead of waiting for the slowest. The
  // preparation of block b (reflectors, S = V^T V, T, packed V), which does
  // not depend on Q, is shared out by the threads as they start block b + 1.
  // Every column still sees blocks last, ..., 0 in order through the same
  // operations, so the bits are those of any other schedule.
  struct Step {
    std::int64_t i0 = 0, ib = 0, rows = 0, j0 = 0, ncols = 0, tasks = 0;
    KnownStructure known;
    std::vector<std::int64_t> bounds;  // threads + 1 column offsets; the tail follows
    T *v = nullptr, *tau = nullptr, *s = nullptr, *t = nullptr;
    PackedV<T> packed;
    std::atomic<std::int64_t> next_draw{0}, drawn{0}, next_task{0}, s_done{0}, tasks_done{0},
        next_chunk{0}, applied{0};
  };
  std::unique_ptr<Step[]> steps(new Step[static_cast<std::size_t>(last + 1)]);

  // Workspace: three slots of V (rows x nb), its two packed forms, tau, S and
  // T, O(m nb) in all; block b uses slot b % 3 (while block b is applied,
  // b - 1 is being prepared and a thread may still be applying b + 1). Not
  // zeroed: every element is written before it is read.
  constexpr int kSlots = 3;
  constexpr std::int64_t kDraw = 8;  // reflectors drawn at a time
  const std::int64_t sizes[6] = {
      m * nb, nb, nb * nb, nb * nb, PackedV<T>::vt_size(m, nb), PackedV<T>::vu_size(m, nb, qc)};
  std::int64_t total = 0;
  for (const std::int64_t n : sizes) total += kSlots * aligned_count<T>(n);
  std::unique_ptr<T[]> owned;
  T* slots[kSlots][6];
  T* next = workspace<T>(total, owned);
  for (auto& slot : slots)
    for (int i = 0; i < 6; ++i) {
      slot[i] = next;
      next += aligned_count<T>(sizes[i]);
    }

  double work = 256.0 * m * (c1 - c0);  // the identity fill, 2^16 elements ~ 2^24 flops
  std::vector<double> cost;
  for (std::int64_t b = last; b >= 0; --b) {
    Step& st = steps[b];
    st.i0 = b * nb;
    st.ib = std::min(nb, k - st.i0);
    st.rows = m - st.i0;
    st.j0 = std::max(c0, st.i0);
    st.ncols = c1 - st.j0;
    T* const* slot = slots[b % kSlots];
    st.v = slot[0];
    st.tau = slot[1];
    st.s = slot[2];
    st.t = slot[3];
    // Rows [i0, i0 + ib) of the columns V^T C reads are known zeros (below)
    // unless C is only that block.
    const std::int64_t r0 = st.rows > st.ib ? st.ib : 0;
    st.packed = PackedV<T>(st.rows, st.ib, r0, qc, slot[4], slot[5]);
    st.tasks = larft_tiles(st.ib) + st.packed.tiles();
    // Columns [j0, i0 + ib) are still e_j; later columns are zero in rows
    // [i0, i0 + ib) (only later blocks, which start below, have touched them).
    st.known.unit_cols = std::max<std::int64_t>(0, std::min(st.i0 + st.ib, c1) - st.j0);
    st.known.unit_row0 = st.j0 - st.i0;
    cost.assign(static_cast<std::size_t>(st.ncols) + 1, 0.0);
    for (std::int64_t j = 0; j < st.ncols; ++j)
      cost[j + 1] = cost[j] + larfb_column_cost(st.rows, st.ib, r0, st.known, j);
    // First column whose cumulative cost reaches `target`, on a 16-column
    // (64-byte) grid. The last ~10% of the cost is left as chunks that
    // whichever thread is done first takes, which absorbs the model's error.
    const auto column_at = [&](double target) {
      const std::int64_t j = std::lower_bound(cost.begin(), cost.end(), target) - cost.begin();
      return std::min(ceil_div(j, 16) * 16, st.ncols);
    };
    const std::int64_t tail = threads > 1 ? column_at(0.9 * cost.back()) : st.ncols;
    st.bounds.assign(static_cast<std::size_t>(threads) + 1, tail);
    st.bounds[0] = 0;
    for (int r = 1; r < threads; ++r)
      st.bounds[r] = std::clamp(column_at(cost[tail] * r / threads), st.bounds[r - 1], tail);
    st.next_chunk = tail;
    work += cost.back() + kPrepareFlopsPerElement<T> * static_cast<double>(st.rows) * st.ib;
  }
  // The block column j takes next (blocks start at multiples of nb).
  std::unique_ptr<std::atomic<std::int64_t>[]> next_block(
      new std::atomic<std::int64_t>[static_cast<std::size_t>(c1 - c0)]);
  for (std::int64_t j = 0; j < c1 - c0; ++j) next_block[j] = std::min(last, (c0 + j) / nb);

  const auto prepare_share = [&](std::int64_t b) {
    Step& st = steps[b];
    // Slot b % 3 was block b + 3's: every column must be done with it.
    if (b + kSlots <= last) {
      const Step& old = steps[b + kSlots];
      wait_until([&] { return old.applied.load(std::memory_order_acquire) == old.ncols; });
    }
    for (std::int64_t l0; (l0 = st.next_draw.fetch_add(kDraw)) < st.ib;) {
      const std::int64_t l1 = std::min(st.ib, l0 + kDraw);
      source(st.i0, l0, l1, st.v, st.rows, st.tau);
      st.drawn.fetch_add(l1 - l0, std::memory_order_release);
    }
    wait_until([&] { return st.drawn.load(std::memory_order_acquire) == st.ib; });
    const std::int64_t s_tiles = larft_tiles(st.ib);
    for (std::int64_t task; (task = st.next_task.fetch_add(1)) < st.tasks;) {
      if (task >= s_tiles) {
        st.packed.pack_tile(task - s_tiles, st.v, st.rows);
      } else {
        larft_s_tile(st.rows, st.ib, st.v, st.rows, task, st.s);
        if (st.s_done.fetch_add(1, std::memory_order_acq_rel) + 1 == s_tiles)
          larft_t(st.ib, st.tau, st.s, st.t);
      }
      st.tasks_done.fetch_add(1, std::memory_order_acq_rel);
    }
  };
  // Block b on columns [j0 + p0, j0 + p0 + w), once block b + 1 is done with them.
  const auto apply = [&](std::int64_t b, std::int64_t p0, std::int64_t w) {
    if (w <= 0) return;
    Step& st = steps[b];
    std::atomic<std::int64_t>* col = &next_block[st.j0 + p0 - c0];
    for (std::int64_t j = 0; j < w; ++j)
      wait_until([&] { return col[j].load(std::memory_order_acquire) == b; });
    const MatRef<T> c{&q(st.i0, st.j0 - c0), q.rs, q.cs};
    larfb_panel(st.ib, st.v, st.rows, st.packed, st.t, false, c, st.known, p0, w);
    if (b == 0 && finish) finish(st.j0 + p0, w, MatRef<T>{&q(0, st.j0 + p0 - c0), q.rs, q.cs});
    for (std::int64_t j = 0; j < w; ++j) col[j].store(b - 1, std::memory_order_release);
    st.applied.fetch_add(w, std::memory_order_acq_rel);
  };
  std::atomic<std::int64_t> next_fill{0}, filled{0};
  parallel_team(
      static_cast<std::int64_t>(std::min(work, 9e18)), kMinParallelFlops,
      [&](int thread, int team) {
        prepare_share(last);
        for (std::int64_t t; (t = next_fill.fetch_add(1)) < identity.tiles();) {
          identity.tile(t);
          filled.fetch_add(1, std::memory_order_acq_rel);
        }
        wait_until([&] { return filled.load(std::memory_order_acquire) == identity.tiles(); });
        for (std::int64_t b = last; b >= 0; --b) {
          if (b > 0) prepare_share(b - 1);
          Step& st = steps[b];
          wait_until([&] { return st.tasks_done.load(std::memory_order_acquire) == st.tasks; });
          for (int r = thread; r < threads; r += team)
            apply(b, st.bounds[r], st.bounds[r + 1] - st.bounds[r]);
          constexpr std::int64_t kChunk = 48;
          for (std::int64_t p0; (p0 = st.next_chunk.fetch_add(kChunk)) < st.ncols;)
            apply(b, p0, std::min(kChunk, st.ncols - p0));
        }
      });
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
  return [m, a, tau](std::int64_t i0, std::int64_t l0, std::int64_t l1, T* v, std::int64_t ldv,
                     T* tb) {
    for (std::int64_t l = l0; l < l1; ++l) {
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
  const ReflectorSource<T> source = [&](std::int64_t i0, std::int64_t l0, std::int64_t l1, T* v,
                                        std::int64_t ldv, T* tau) {
    for (std::int64_t l = l0; l < l1; ++l) {
      const std::int64_t i = i0 + l, len = m - i;
      thread_local std::vector<double> x;
      if (x.size() < static_cast<std::size_t>(len)) x.resize(static_cast<std::size_t>(len));
      kernels.f64(normal, key, random::reflector_stream(stream, static_cast<std::uint64_t>(i)), 0,
                  static_cast<std::size_t>(len), x.data());
      double alpha = x[0];
      const double t = larfg<double>(len, alpha, x.data() + 1, 1);
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
  const ColumnEpilogue<T> finish = [&](std::int64_t j, std::int64_t w, MatRef<T> cols) {
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
  orgqr_columns<T>(m, n, c0, c1, q, source, finish);
}

#define WEIGHTINIT_INSTANTIATE(T)                                                                 \
  template T larfg<T>(std::int64_t, T&, T*, std::int64_t);                                        \
  template void larft<T>(std::int64_t, std::int64_t, const T*, std::int64_t, const T*, T*);       \
  template void larfb<T>(std::int64_t, std::int64_t, std::int64_t, const T*, std::int64_t,        \
                         const T*, bool, MatRef<T>);                                              \
  template void orgqr_columns<T>(std::int64_t, std::int64_t, std::int64_t, std::int64_t,          \
                                 MatRef<T>, const ReflectorSource<T>&, const ColumnEpilogue<T>&); \
  template void geqrf<T>(std::int64_t, std::int64_t, MatRef<T>, T*);                              \
  template ReflectorSource<T> stored_reflectors<T>(std::int64_t, MatRef<const T>, const T*);      \
  template void orthogonal_columns<T>(std::uint64_t, std::uint64_t, std::int64_t, std::int64_t,   \
                                      std::int64_t, std::int64_t, double, MatRef<T>);
WEIGHTINIT_INSTANTIATE(float)
WEIGHTINIT_INSTANTIATE(double)
#undef WEIGHTINIT_INSTANTIATE

}  // namespace weightinit::linalg
