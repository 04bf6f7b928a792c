// Linear algebra (orthogonal matrices, QR) is registered here.
#include "register.hpp"

namespace weightinit::bindings {

void register_linalg(py::module_&) {}

}  // namespace weightinit::bindings
