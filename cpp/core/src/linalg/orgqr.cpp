// orgqr over a column range: one team applies every block with a lock-free
// schedule, a cost model splits columns between threads, and the next
// block's preparation overlaps the current one. None of it affects values
// (reflectors.hpp).
#include "weightinit/linalg/orgqr.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <vector>

#include "compact_wy.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/common/spin_wait.hpp"
#include "weightinit/linalg/reflectors.hpp"

namespace weightinit::linalg {
namespace {

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
void orgqr_columns(std::int64_t m, std::int64_t k, std::int64_t c0, std::int64_t c1, MatRef<T> q,
                   const ReflectorSource<T>& source, const ColumnEpilogue<T>& finish) {
  if (c1 <= c0 || m <= 0) return;
  // One instruction set for the whole call: the workspace is sized for the
  // packed layout of the path active now (isa.hpp).
  const IsaPin pin;
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

#define WEIGHTINIT_INSTANTIATE(T)                                                        \
  template void orgqr_columns<T>(std::int64_t, std::int64_t, std::int64_t, std::int64_t, \
                                 MatRef<T>, const ReflectorSource<T>&, const ColumnEpilogue<T>&);
WEIGHTINIT_INSTANTIATE(float)
WEIGHTINIT_INSTANTIATE(double)
#undef WEIGHTINIT_INSTANTIATE

}  // namespace weightinit::linalg
