// Compact WY internals shared by reflectors.cpp (larft, larfb) and
// orgqr.cpp, which runs the same steps on its own schedule.
#pragma once

#include <cstdint>

#include "weightinit/linalg/gemm.hpp"

namespace weightinit::linalg {

inline std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// S = V^T V, strictly upper part only (what dlarft's gemv calls compute), by
// column groups [g0, g1): rows [0, g1) of S, summing over V's rows from g0 on.
// V is zero above its diagonal, so the skipped products are all +-0 at the
// head of each chain that starts from +0: the FMA chains and bits are those
// of the full product. Tile `tile` of larft_tiles(ib) takes groups tile and
// G-1-tile, so tiles have equal work; each zeroes its part of s first.
constexpr std::int64_t kLarftGroup = 32;
inline std::int64_t larft_tiles(std::int64_t ib) { return ceil_div(ceil_div(ib, kLarftGroup), 2); }

template <class T>
void larft_s_tile(std::int64_t rows, std::int64_t ib, const T* v, std::int64_t ldv,
                  std::int64_t tile, T* s);

// T from S and tau, column by column.
template <class T>
void larft_t(std::int64_t ib, const T* tau, const T* s, T* t);

// What orgqr knows about C before a block is applied (docs/algorithms.md 5.7):
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
                 std::int64_t w);

}  // namespace weightinit::linalg
