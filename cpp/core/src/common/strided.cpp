#include "weightinit/common/strided.hpp"

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

}  // namespace weightinit
