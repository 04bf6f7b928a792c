#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <vector>

#include "weightinit/common/strided.hpp"

namespace weightinit::bindings {

namespace py = pybind11;

void register_runtime(py::module_& m);
void register_random(py::module_& m);
void register_linalg(py::module_& m);
void register_init(py::module_& m);

// Checks an output array (float16/32/64, writable, no self-overlap through a
// zero stride) and describes it as the block starting at `start` of a
// logical tensor of `shape`. Raises ValueError/TypeError naming `what`.
StridedBlock describe_block(const py::array& out, const std::vector<std::int64_t>& shape,
                            const std::vector<std::int64_t>& start, const char* what);

}  // namespace weightinit::bindings
