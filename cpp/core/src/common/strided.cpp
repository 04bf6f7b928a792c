#include "weightinit/common/strided.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace weightinit {

RunLayout::RunLayout(const StridedBlock& b) {
  const std::size_t nd = b.shape.size();
  for (std::size_t k = 0; k < nd; ++k)
    if (b.extent[k] == 0) return;  // empty block: no runs
  if (nd == 0) {                   // a 0-d tensor is one element
    runs_ = 1;
    length_ = 1;
    return;
  }
  std::vector<std::int64_t> lstride(nd);
  std::int64_t s = 1;
  for (std::size_t k = nd; k-- > 0;) {
    lstride[k] = s;
    s *= b.shape[k];
  }
  for (std::size_t k = 0; k < nd; ++k) base_ += static_cast<std::uint64_t>(b.start[k] * lstride[k]);

  // The run is the last dimension, grown outwards while the logical tensor and
  // the destination are both contiguous across the boundary.
  length_ = b.extent[nd - 1];
  inner_stride_ = b.strides[nd - 1];
  std::size_t k = nd - 1;
  while (k > 0) {
    const std::size_t o = k - 1;
    if (b.extent[o] == 1) {
      --k;  // a unit dimension never breaks contiguity
      continue;
    }
    if (lstride[o] == length_ && b.strides[o] == length_ * inner_stride_) {
      length_ *= b.extent[o];
      --k;
    } else {
      break;
    }
  }
  for (std::size_t o = 0; o < k; ++o) {
    if (b.extent[o] == 1) continue;
    outer_extent_.push_back(b.extent[o]);
    outer_lstride_.push_back(lstride[o]);
    outer_dstride_.push_back(b.strides[o]);
  }
  runs_ = 1;
  for (std::int64_t e : outer_extent_) runs_ *= e;
}

std::uint64_t RunLayout::first(std::int64_t run) const {
  std::uint64_t e = base_;
  for (std::size_t k = outer_extent_.size(); k-- > 0;) {
    e += static_cast<std::uint64_t>((run % outer_extent_[k]) * outer_lstride_[k]);
    run /= outer_extent_[k];
  }
  return e;
}

std::int64_t RunLayout::offset(std::int64_t run) const {
  std::int64_t off = 0;
  for (std::size_t k = outer_extent_.size(); k-- > 0;) {
    off += (run % outer_extent_[k]) * outer_dstride_[k];
    run /= outer_extent_[k];
  }
  return off;
}

Overlap self_overlap(const std::vector<std::int64_t>& extent,
                     const std::vector<std::int64_t>& strides, std::int64_t item) {
  // (|stride|, extent) of the axes that have two or more elements.
  std::vector<std::pair<std::int64_t, std::int64_t>> axes;
  std::int64_t elements = 1, span = 0;
  constexpr std::int64_t kMaxSpan = std::int64_t{1} << 62;
  if (std::find(extent.begin(), extent.end(), 0) != extent.end()) return Overlap::none;
  for (std::size_t k = 0; k < extent.size(); ++k) {
    if (extent[k] == 1) continue;
    if (strides[k] == 0) return Overlap::zero_stride;
    const std::int64_t stride = std::llabs(strides[k]);
    // A span beyond 2**62 bytes is no real buffer (as_strided can claim
    // one); refusing it keeps the arithmetic below in range.
    if (stride > (kMaxSpan - span) / (extent[k] - 1)) return Overlap::undecided;
    span += stride * (extent[k] - 1);
    axes.emplace_back(stride, extent[k]);
    if (elements <= kOverlapEnumerateLimit)
      elements = extent[k] > kOverlapEnumerateLimit ? extent[k] : elements * extent[k];
  }
  // Nested: each axis's stride clears everything the smaller-stride axes
  // reach. Two elements that differ first (from the top) in axis i are then
  // at least |s_i| - (reach of the axes below) >= item bytes apart.
  std::sort(axes.begin(), axes.end());
  std::int64_t reach = item;
  bool nested = true;
  for (const auto& [stride, n] : axes) {
    if (stride < reach) {
      nested = false;
      break;
    }
    reach += stride * (n - 1);
  }
  if (nested) return Overlap::none;
  if (elements > kOverlapEnumerateLimit) return Overlap::undecided;
  // Interleaved strides: list every element's offset and compare neighbours.
  std::vector<std::int64_t> offsets{0};
  offsets.reserve(static_cast<std::size_t>(elements));
  for (const auto& [stride, n] : axes) {
    const std::size_t size = offsets.size();
    for (std::int64_t i = 1; i < n; ++i)
      for (std::size_t e = 0; e < size; ++e) offsets.push_back(offsets[e] + i * stride);
  }
  std::sort(offsets.begin(), offsets.end());
  for (std::size_t e = 1; e < offsets.size(); ++e)
    if (offsets[e] - offsets[e - 1] < item) return Overlap::overlapping;
  return Overlap::none;
}

}  // namespace weightinit
