// Instruction-set dispatch, threads and the thresholds above which work is
// split between threads.
#include <string>

#include "register.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/linalg/reflectors.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/sparse.hpp"

namespace weightinit::bindings {

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
  m.def(
      "set_num_threads",
      [](int n) {
        if (n < 1)
          throw py::value_error("n must be a positive number of threads, got " + std::to_string(n));
        set_num_threads(n);
      },
      py::arg("n"), "Sets the number of threads the core uses (n >= 1).");
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
