// A block of a logical row-major tensor written through an arbitrary strided
// destination. Values are defined by the logical index, never by memory order,
// so a view receives exactly what a contiguous array of the same shape gets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weightinit {

// bfloat16 is written as its 16-bit pattern (docs/algorithms.md 2.4).
enum class DType : int { float16 = 0, float32 = 1, float64 = 2, bfloat16 = 3 };

inline std::size_t dtype_size(DType t) {
  return t == DType::float16 || t == DType::bfloat16 ? 2 : t == DType::float32 ? 4 : 8;
}

struct StridedBlock {
  std::vector<std::int64_t> shape;    // logical shape of the whole tensor
  std::vector<std::int64_t> start;    // first index of the block in each dimension
  std::vector<std::int64_t> extent;   // block size in each dimension
  void* data = nullptr;               // destination of element (start...)
  std::vector<std::int64_t> strides;  // destination byte strides, one per dimension
  DType dtype = DType::float64;
};

// The block cut into runs that are contiguous in the logical index: run r
// covers logical elements [first(r), first(r) + length) and lands at
// data + offset(r) with `inner_stride` bytes between elements. Dimensions are
// merged where both the logical tensor and the destination allow it, so a
// contiguous whole tensor is a single run.
class RunLayout {
 public:
  explicit RunLayout(const StridedBlock& block);

  std::int64_t runs() const { return runs_; }
  std::int64_t length() const { return length_; }
  std::int64_t inner_stride() const { return inner_stride_; }
  std::uint64_t first(std::int64_t run) const;
  std::int64_t offset(std::int64_t run) const;

 private:
  std::vector<std::int64_t> outer_extent_;   // dims above the run, merged
  std::vector<std::int64_t> outer_lstride_;  // logical element strides
  std::vector<std::int64_t> outer_dstride_;  // destination byte strides
  std::uint64_t base_ = 0;                   // logical index of the block's first element
  std::int64_t runs_ = 0;
  std::int64_t length_ = 0;
  std::int64_t inner_stride_ = 0;
};

// Whether two distinct elements of an array (extents, byte strides of any
// sign, `item` bytes per element) share memory: an output that does gets
// values that depend on the order of the writes. The one check behind every
// `out=` (docs/design.md, "Outputs"). Exact and O(ndim log ndim) for nested
// layouts (every view numpy's slicing, transposing and reshaping makes of a
// non-overlapping array); other layouts are enumerated up to
// kOverlapEnumerateLimit elements and undecided above it.
enum class Overlap { none, zero_stride, overlapping, undecided };
inline constexpr std::int64_t kOverlapEnumerateLimit = std::int64_t{1} << 20;
Overlap self_overlap(const std::vector<std::int64_t>& extent,
                     const std::vector<std::int64_t>& strides, std::int64_t item);

}  // namespace weightinit
