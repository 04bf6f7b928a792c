// random::fill, sparse_fill and RunLayout through the destinations users hand
// in: sub-blocks written through strided, negative-stride, Fortran-order,
// padded and unaligned views, each compared element by element with the
// contiguous whole tensor. Every destination is a heap buffer of exactly the
// bytes the view spans, so the ASan + UBSan build (.ci/run) flags any write
// outside it or any misaligned typed access. Sizes cross the parallel
// thresholds, so the threaded paths run too.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "check.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/common/strided.hpp"
#include "weightinit/random/distributions.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/sparse.hpp"

using namespace weightinit;
using namespace weightinit::random;

namespace {

using Dims = std::vector<std::int64_t>;

enum class Layout { contiguous, strided, negative, fortran, padded, unaligned };
constexpr Layout kLayouts[] = {Layout::contiguous, Layout::strided, Layout::padded,
                               Layout::negative,   Layout::fortran, Layout::unaligned};

Dims c_strides(const Dims& shape, std::int64_t item) {
  Dims s(shape.size());
  std::int64_t step = item;
  for (std::size_t k = shape.size(); k-- > 0;) {
    s[k] = step;
    step *= std::max<std::int64_t>(shape[k], 1);
  }
  return s;
}

// A destination of `extent` elements of `item` bytes laid out as `layout`, in
// a buffer of exactly the bytes it spans (plus the one byte of misalignment).
struct View {
  std::vector<char> buffer;
  char* data = nullptr;
  Dims strides;

  View(const Dims& extent, std::int64_t item, Layout layout) {
    const std::size_t nd = extent.size();
    strides = c_strides(extent, item);
    if (layout == Layout::strided)
      for (auto& s : strides) s *= 2;
    if (layout == Layout::padded && nd >= 2) {
      Dims padded = extent;
      padded[nd - 1] += 3;
      strides = c_strides(padded, item);
    }
    if (layout == Layout::fortran) {
      std::int64_t step = item;
      for (std::size_t k = 0; k < nd; ++k) {
        strides[k] = step;
        step *= std::max<std::int64_t>(extent[k], 1);
      }
    }
    if (layout == Layout::negative) {
      strides[0] = -strides[0];
      strides[nd - 1] = -strides[nd - 1];
    }
    std::int64_t lo = 0, hi = 0, total = 1;
    for (std::size_t k = 0; k < nd; ++k) {
      total *= extent[k];
      const std::int64_t reach = (extent[k] - 1) * strides[k];
      (reach < 0 ? lo : hi) += reach;
    }
    const std::int64_t misalign = layout == Layout::unaligned ? 1 : 0;
    buffer.assign(total == 0 ? 0 : static_cast<std::size_t>(hi - lo + item + misalign), 0);
    data = buffer.data() + misalign - lo;
  }
};

// Calls f(index, byte offset) for every element of `extent` in row-major order.
template <class F>
void for_each_index(const Dims& extent, const Dims& strides, F f) {
  for (std::int64_t e : extent)
    if (e == 0) return;
  Dims idx(extent.size(), 0);
  while (true) {
    std::int64_t off = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) off += idx[k] * strides[k];
    f(idx, off);
    std::size_t k = idx.size();
    while (k > 0 && ++idx[k - 1] == extent[k - 1]) idx[--k] = 0;
    if (k == 0) return;
  }
}

StridedBlock block_of(const Dims& shape, const Dims& start, const Dims& extent, DType dtype,
                      View& view) {
  StridedBlock b;
  b.shape = shape;
  b.start = start;
  b.extent = extent;
  b.data = view.data;
  b.strides = view.strides;
  b.dtype = dtype;
  return b;
}

// Elements of the view that differ from the contiguous whole tensor `whole`.
int differences(const Dims& shape, const Dims& start, const Dims& extent, std::int64_t item,
                const View& view, const View& whole) {
  int bad = 0;
  const Dims whole_strides = c_strides(shape, item);
  for_each_index(extent, view.strides, [&](const Dims& idx, std::int64_t off) {
    std::int64_t woff = 0;
    for (std::size_t k = 0; k < idx.size(); ++k) woff += (start[k] + idx[k]) * whole_strides[k];
    bad += std::memcmp(view.data + off, whole.data + woff, static_cast<std::size_t>(item)) != 0;
  });
  return bad;
}

std::vector<DistParams> distributions() {
  DistParams u{}, n{}, t{};
  u.kind = Distribution::uniform;
  u.uniform = {-1.0, 3.0};
  n.kind = Distribution::normal;
  n.normal = {0.5, 2.0};
  t.kind = Distribution::truncated_normal;
  t.truncated = make_truncated_normal(0.0, 1.0, -2.0, 2.0, false);
  return {u, n, t};
}

struct Case {
  Dims shape, start, extent;
};

// Blocks of a 3-D tensor (runs that merge, and runs cut by the block) and a
// 2-D block of more than kFillMinParallel elements, more than 7 tiles.
const Case kFillCases[] = {
    {{5, 7, 33}, {0, 0, 0}, {5, 7, 33}}, {{5, 7, 33}, {1, 2, 3}, {3, 4, 25}},
    {{5, 7, 33}, {4, 0, 0}, {1, 7, 33}}, {{6, 1, 9}, {2, 0, 1}, {3, 1, 8}},
    {{150, 900}, {7, 3}, {140, 880}},
};

void check_fill(Isa isa, DType dtype) {
  set_active_isa(isa);
  const auto item = static_cast<std::int64_t>(dtype_size(dtype));
  for (const DistParams& p : distributions()) {
    for (const Case& c : kFillCases) {
      View whole(c.shape, item, Layout::contiguous);
      fill(p, 42, 7, block_of(c.shape, Dims(c.shape.size(), 0), c.shape, dtype, whole));
      for (Layout layout : kLayouts) {
        View view(c.extent, item, layout);
        fill(p, 42, 7, block_of(c.shape, c.start, c.extent, dtype, view));
        const int bad = differences(c.shape, c.start, c.extent, item, view, whole);
        if (bad)
          std::printf("fill: isa %s dtype %d distribution %d layout %d: %d differ\n", isa_name(isa),
                      static_cast<int>(dtype), static_cast<int>(p.kind), static_cast<int>(layout),
                      bad);
        CHECK(bad == 0);
      }
    }
  }
}

void check_sparse(DType dtype) {
  const auto item = static_cast<std::int64_t>(dtype_size(dtype));
  // Units as columns and as rows; the large one crosses kSparseMinParallel
  // with more than 7 tiles of units.
  const Case cases[] = {{{40, 37}, {3, 5}, {30, 29}},
                        {{37, 40}, {0, 11}, {37, 20}},
                        {{600, 150}, {17, 9}, {570, 140}}};
  for (int unit_axis : {1, 0}) {
    for (const Case& c : cases) {
      const std::int64_t n_inputs = c.shape[static_cast<std::size_t>(1 - unit_axis)];
      const SparseParams p{n_inputs, n_inputs / 5, 1.5, unit_axis};
      View whole(c.shape, item, Layout::contiguous);
      CHECK(sparse_fill(p, 9, 4, block_of(c.shape, {0, 0}, c.shape, dtype, whole)));
      for (Layout layout : kLayouts) {
        View view(c.extent, item, layout);
        CHECK(sparse_fill(p, 9, 4, block_of(c.shape, c.start, c.extent, dtype, view)));
        const int bad = differences(c.shape, c.start, c.extent, item, view, whole);
        if (bad)
          std::printf("sparse: dtype %d unit_axis %d layout %d: %d differ\n",
                      static_cast<int>(dtype), unit_axis, static_cast<int>(layout), bad);
        CHECK(bad == 0);
      }
    }
  }
}

// RunLayout alone: its runs cover every element of the block exactly once,
// each at its logical index and its byte offset.
void check_run_layout() {
  for (const Case& c : kFillCases) {
    for (Layout layout : kLayouts) {
      View view(c.extent, 4, layout);
      const StridedBlock b = block_of(c.shape, c.start, c.extent, DType::float32, view);
      const RunLayout runs(b);
      std::vector<std::pair<std::uint64_t, std::int64_t>> got, want;
      for (std::int64_t r = 0; r < runs.runs(); ++r)
        for (std::int64_t i = 0; i < runs.length(); ++i)
          got.emplace_back(runs.first(r) + static_cast<std::uint64_t>(i),
                           runs.offset(r) + i * runs.inner_stride());
      const Dims logical = c_strides(c.shape, 1);
      for_each_index(c.extent, view.strides, [&](const Dims& idx, std::int64_t off) {
        std::uint64_t e = 0;
        for (std::size_t k = 0; k < idx.size(); ++k)
          e += static_cast<std::uint64_t>((c.start[k] + idx[k]) * logical[k]);
        want.emplace_back(e, off);
      });
      std::sort(got.begin(), got.end());
      CHECK(got == want);
    }
  }
  // A contiguous whole tensor is one run; an empty block has none.
  View view({5, 7, 33}, 8, Layout::contiguous);
  CHECK(RunLayout(block_of({5, 7, 33}, {0, 0, 0}, {5, 7, 33}, DType::float64, view)).runs() == 1);
  CHECK(RunLayout(block_of({5, 7, 33}, {0, 0, 0}, {5, 0, 33}, DType::float64, view)).runs() == 0);
}

}  // namespace

int main() {
  check_run_layout();
  const Isa best = active_isa();
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    for (DType dtype : {DType::float16, DType::float32, DType::float64}) {
      for (Isa isa : available_isas()) check_fill(isa, dtype);
      set_active_isa(best);
      check_sparse(dtype);
    }
  }
  set_active_isa(best);
  std::printf("%d failures\n", failures);
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
