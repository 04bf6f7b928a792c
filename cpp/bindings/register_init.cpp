// Kernels of initializers that are not element-wise distributions (Sparse).
#include <cmath>
#include <new>
#include <string>

#include "register.hpp"
#include "weightinit/random/sparse.hpp"

namespace weightinit::bindings {

void register_init(py::module_& m) {
  m.def(
      "sparse_fill",
      [](std::uint64_t key, std::uint64_t stream, const std::vector<std::int64_t>& shape,
         const std::vector<std::int64_t>& start, py::array out, std::int64_t nonzeros, double std,
         int unit_axis) {
        if (shape.size() != 2) throw py::value_error("sparse_fill needs a 2-D shape");
        if (unit_axis != 0 && unit_axis != 1) throw py::value_error("unit_axis must be 0 or 1");
        const std::int64_t n_inputs = shape[static_cast<std::size_t>(1 - unit_axis)];
        if (nonzeros < 0 || nonzeros > n_inputs)
          throw py::value_error("nonzeros must be in [0, " + std::to_string(n_inputs) + "], got " +
                                std::to_string(nonzeros));
        if (!std::isfinite(std) || std < 0)
          throw py::value_error("std must be finite and non-negative, got " + std::to_string(std));
        const StridedBlock block = describe_block(out, shape, start, "out");
        const random::SparseParams p{n_inputs, nonzeros, std, unit_axis};
        // Safe without the GIL: `out` is kept alive by the caller's reference
        // and nothing below touches a Python object.
        bool ok;
        {
          py::gil_scoped_release release;
          ok = random::sparse_fill(p, key, stream, block);
        }
        if (!ok) throw std::bad_alloc();  // pybind11 raises MemoryError
      },
      py::arg("key"), py::arg("stream"), py::arg("shape"), py::arg("start"), py::arg("out"),
      py::arg("nonzeros"), py::arg("std"), py::arg("unit_axis"));
  m.def(
      "sparse_indices",
      [](std::uint64_t key, std::uint64_t stream, std::uint64_t unit, std::int64_t n_inputs,
         std::int64_t nonzeros) {
        if (n_inputs < 0 || nonzeros < 0 || nonzeros > n_inputs)
          throw py::value_error("need 0 <= nonzeros <= n_inputs");
        py::array_t<std::int64_t> out(static_cast<py::ssize_t>(nonzeros));
        std::vector<unsigned char> seen(static_cast<std::size_t>(n_inputs), 0);
        random::sparse_indices(key, stream, unit, n_inputs, nonzeros, out.mutable_data(), seen);
        return out;
      },
      py::arg("key"), py::arg("stream"), py::arg("unit"), py::arg("n_inputs"), py::arg("nonzeros"),
      "The input indices of one unit of a Sparse initializer, in draw order.");
}

}  // namespace weightinit::bindings
