// What the register_<area>.cpp files share: the registration functions and
// the argument checks of arrays handed to the core.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "weightinit/common/strided.hpp"
#include "weightinit/linalg/gemm.hpp"

namespace weightinit::bindings {

namespace py = pybind11;

void register_runtime(py::module_& m);
void register_random(py::module_& m);
void register_linalg(py::module_& m);

// Checks an output array (float16/32/64, writable, no self-overlap) and
// describes it as the block starting at `start` of a logical tensor of
// `shape`. Raises ValueError/TypeError naming `what`.
// With `bfloat16`, `out` is a uint16/int16 array that receives bfloat16 bits.
StridedBlock describe_block(const py::array& out, const std::vector<std::int64_t>& shape,
                            const std::vector<std::int64_t>& start, const char* what,
                            bool bfloat16 = false);

// Raises ValueError naming `what` if two elements of `a` share memory
// (self_overlap in strided.hpp): the check behind every `out=`.
void check_no_self_overlap(const py::array& a, const char* what);
// The same, with a's extents and byte strides already read.
void check_no_self_overlap(const py::array& a, const std::vector<std::int64_t>& extent,
                           const std::vector<std::int64_t>& strides, const char* what);

// float32 or float64 in native byte order, by kind and size (a dtype that
// went through pickle is equal to np.float64 but a distinct object).
enum class FloatKind { f32, f64 };
FloatKind float_kind(const py::array& a, const char* what);

// A 2-D array as a strided matrix; byte strides must be whole elements.
template <class T>
linalg::MatRef<T> as_matrix(py::array& a, const char* what, bool writable) {
  if (a.ndim() != 2) throw py::value_error(std::string(what) + " must be 2-D");
  if (writable && !a.writeable()) throw py::value_error(std::string(what) + " is read-only");
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  if (a.strides(0) % item || a.strides(1) % item)
    throw py::value_error(std::string(what) + " has strides that are not whole elements");
  if (writable) check_no_self_overlap(a, what);
  T* data = static_cast<T*>(writable ? a.mutable_data() : const_cast<void*>(a.data()));
  return linalg::MatRef<T>{data, a.strides(0) / item, a.strides(1) / item};
}

}  // namespace weightinit::bindings
