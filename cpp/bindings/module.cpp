// The compiled module: declares itself and lets each area register its part.
#include <pybind11/pybind11.h>

#include "register.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "weightinit's compiled core (use the weightinit package, not this module)";
  weightinit::bindings::register_runtime(m);
  weightinit::bindings::register_random(m);
  weightinit::bindings::register_linalg(m);
}
