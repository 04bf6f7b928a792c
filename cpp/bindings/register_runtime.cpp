// Instruction-set dispatch, threads and the thresholds above which work is
// split between threads.
#include <string>

#include "register.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/common/strided.hpp"
#include "weightinit/linalg/reflectors.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/sparse.hpp"

namespace weightinit::bindings {

void check_no_self_overlap(const py::array& a, const char* what) {
  const auto nd = static_cast<std::size_t>(a.ndim());
  check_no_self_overlap(a, std::vector<std::int64_t>(a.shape(), a.shape() + nd),
                        std::vector<std::int64_t>(a.strides(), a.strides() + nd), what);
}

void check_no_self_overlap(const py::array& a, const std::vector<std::int64_t>& extent,
                           const std::vector<std::int64_t>& strides, const char* what) {
  const auto shown = [&] {
    return " (shape " + std::string(py::str(py::tuple(a.attr("shape")))) + ", strides " +
           std::string(py::str(py::tuple(a.attr("strides")))) + ")";
  };
  switch (self_overlap(extent, strides, a.itemsize())) {
    case Overlap::none:
      return;
    case Overlap::zero_stride:
      throw py::value_error(std::string(what) + " has a zero stride (overlapping elements)" +
                            shown());
    case Overlap::overlapping:
      throw py::value_error(std::string(what) + " has overlapping elements" + shown() +
                            ": every element needs memory of its own");
    case Overlap::undecided:
      throw py::value_error(std::string(what) + " may have overlapping elements" + shown() +
                            ": interleaved strides over more than " +
                            std::to_string(kOverlapEnumerateLimit) +
                            " elements are not checked; pass a copy (numpy.empty_like)");
  }
}

void register_runtime(py::module_& m) {
  m.def(
      "available_isas",
      [] {
        std::vector<std::string> names;
        for (Isa isa : available_isas()) names.emplace_back(isa_name(isa));
        return names;
      },
      "Instruction sets this CPU and build can run, lowest first.");
  m.def(
      "active_isa", [] { return std::string(isa_name(active_isa())); },
      "The instruction set the kernels use now.");
  m.def(
      "set_active_isa",
      [](const std::string& name) {
        Isa isa;
        if (!isa_from_name(name, &isa))
          throw py::value_error("unknown instruction set '" + name +
                                "'; expected one of 'scalar', 'avx2', 'avx512'");
        for (Isa a : available_isas())
          if (a == isa) {
            set_active_isa(isa);
            return;
          }
        throw std::runtime_error("this CPU (or this build) cannot run the '" + name + "' path");
      },
      py::arg("name"), "Makes the kernels use instruction set `name` (one of available_isas()).");
  m.def("get_num_threads", &get_num_threads, "Threads the core uses for large enough work.");
  m.def("max_num_threads", &max_num_threads,
        "The largest thread count set_num_threads accepts: 4 per CPU, at most 1024.");
  m.def(
      "set_num_threads",
      [](std::int64_t n) {
        if (n < 1 || n > max_num_threads())
          throw py::value_error("n must be a positive number of threads, at most " +
                                std::to_string(max_num_threads()) + " (max_num_threads()), got " +
                                std::to_string(n));
        set_num_threads(static_cast<int>(n));
      },
      py::arg("n"), "Sets the number of threads the core uses (1 <= n <= max_num_threads()).");
  m.def(
      "check_no_self_overlap",
      [](const py::array& a, const std::string& name) { check_no_self_overlap(a, name.c_str()); },
      py::arg("a"), py::arg("name"),
      "Raises ValueError naming `name` if two elements of `a` share memory.");
  m.def("threads_disabled_by_fork", &threads_disabled_by_fork,
        "True in a child forked after this process started threads (it then runs serially).");
  // Where work starts being split between threads, from the constants the
  // core uses, so tests can size their inputs above them. "fill": elements of
  // a fill (tiles of "fill_tile" elements); "sparse": elements written plus
  // draws (tiles of "sparse_tile" units); "orgqr_flops": modelled flops of an
  // orgqr / orthogonal call.
  py::dict thresholds;
  thresholds["fill"] = random::kFillMinParallel;
  thresholds["fill_tile"] = random::kFillTile;
  thresholds["sparse"] = random::kSparseMinParallel;
  thresholds["sparse_tile"] = random::kSparseUnitsPerTile;
  thresholds["orgqr_flops"] = linalg::kMinParallelFlops;
  m.attr("PARALLEL_THRESHOLDS") = thresholds;
}

}  // namespace weightinit::bindings
