// Instruction-set dispatch and threads.
#include <string>

#include "register.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"

namespace weightinit::bindings {

void register_runtime(py::module_& m) {
  m.def("available_isas", [] {
    std::vector<std::string> names;
    for (Isa isa : available_isas()) names.emplace_back(isa_name(isa));
    return names;
  });
  m.def("active_isa", [] { return std::string(isa_name(active_isa())); });
  m.def("set_active_isa", [](const std::string& name) {
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
  });
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", [](int n) {
    if (n < 1)
      throw py::value_error("n must be a positive number of threads, got " + std::to_string(n));
    set_num_threads(n);
  });
  m.def("threads_disabled_by_fork", &threads_disabled_by_fork);
}

}  // namespace weightinit::bindings
