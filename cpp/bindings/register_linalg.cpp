// Linear algebra: blocked QR (geqrf / orgqr) and the GEMM, for
// weightinit.linalg. Arguments are checked here (defensively; the Python layer
// checks first) so kernels never throw. Dtypes are compared by equality, never
// by identity: a dtype that went through pickle (as on Dask workers) is equal
// to np.float64 but a distinct object.
#include <algorithm>
#include <cstdint>
#include <string>

#include "register.hpp"
#include "weightinit/linalg/gemm.hpp"
#include "weightinit/linalg/geqrf.hpp"
#include "weightinit/linalg/orgqr.hpp"
#include "weightinit/linalg/reflectors.hpp"

namespace weightinit::bindings {

FloatKind float_kind(const py::array& a, const char* what) {
  const auto dt = a.dtype();
  if (dt.kind() == 'f' && dt.itemsize() == 4 && dt.attr("isnative").cast<bool>())
    return FloatKind::f32;
  if (dt.kind() == 'f' && dt.itemsize() == 8 && dt.attr("isnative").cast<bool>())
    return FloatKind::f64;
  throw py::type_error(std::string(what) + " must be a float32 or float64 array, got dtype " +
                       std::string(py::str(a.dtype())));
}

namespace {

using linalg::MatRef;

template <class T>
void geqrf_impl(py::array& a, py::array& tau) {
  const MatRef<T> am = as_matrix<T>(a, "a", true);
  const std::int64_t m = a.shape(0), n = a.shape(1);
  if (tau.ndim() != 1 || tau.shape(0) != std::min(m, n) || !tau.dtype().equal(a.dtype()) ||
      !tau.writeable() ||
      (tau.shape(0) > 1 && tau.strides(0) != static_cast<py::ssize_t>(sizeof(T))))
    throw py::value_error(
        "tau must be a writable contiguous 1-D array of min(m, n) elements of a's dtype");
  T* t = static_cast<T*>(tau.mutable_data());
  py::gil_scoped_release release;
  linalg::geqrf<T>(m, n, am, t);
}

template <class T>
void orgqr_impl(py::array& a, py::array& tau, py::array& q) {
  MatRef<T> am = as_matrix<T>(a, "a", false);
  const MatRef<T> qm = as_matrix<T>(q, "q", true);
  const std::int64_t m = a.shape(0), k = tau.ndim() == 1 ? tau.shape(0) : -1;
  if (k < 0 || k > std::min<std::int64_t>(m, a.shape(1)) || !tau.dtype().equal(a.dtype()) ||
      (k > 1 && tau.strides(0) != static_cast<py::ssize_t>(sizeof(T))))
    throw py::value_error(
        "tau must be a contiguous 1-D array of at most min(m, n) elements of a's dtype");
  if (q.shape(0) != m || q.shape(1) > m || !q.dtype().equal(a.dtype()))
    throw py::value_error("q must have m rows, at most m columns and a's dtype");
  const T* t = static_cast<const T*>(tau.data());
  py::gil_scoped_release release;
  const MatRef<const T> ac{am.data, am.rs, am.cs};
  linalg::orgqr_columns<T>(m, k, 0, q.shape(1), qm, linalg::stored_reflectors<T>(m, ac, t));
}

template <class T>
void gemm_impl(py::array& a, py::array& b, py::array& c, bool subtract) {
  const MatRef<T> am = as_matrix<T>(a, "a", false), bm = as_matrix<T>(b, "b", false);
  const MatRef<T> cm = as_matrix<T>(c, "c", true);
  if (a.shape(0) != c.shape(0) || b.shape(1) != c.shape(1) || a.shape(1) != b.shape(0))
    throw py::value_error("gemm_update: shapes do not match");
  if (!a.dtype().equal(c.dtype()) || !b.dtype().equal(c.dtype()))
    throw py::type_error("gemm_update: a, b and c must have the same dtype");
  const std::int64_t m = c.shape(0), n = c.shape(1), k = a.shape(1);
  py::gil_scoped_release release;
  linalg::gemm_update(m, n, k, MatRef<const T>{am.data, am.rs, am.cs},
                      MatRef<const T>{bm.data, bm.rs, bm.cs}, cm, subtract);
}

}  // namespace

void register_linalg(py::module_& m) {
  m.def(
      "geqrf",
      [](py::array a, py::array tau) {
        if (float_kind(a, "a") == FloatKind::f32)
          geqrf_impl<float>(a, tau);
        else
          geqrf_impl<double>(a, tau);
      },
      py::arg("a"), py::arg("tau"),
      "Blocked Householder QR of the float32/float64 matrix `a` (m x n) in place, as LAPACK\n"
      "dgeqrf: R on and above the diagonal, the reflectors below it, their scalars in `tau`\n"
      "(writable, contiguous, min(m, n) elements of a's dtype).");
  m.def(
      "orgqr",
      [](py::array a, py::array tau, py::array q) {
        if (float_kind(a, "a") == FloatKind::f32)
          orgqr_impl<float>(a, tau, q);
        else
          orgqr_impl<double>(a, tau, q);
      },
      py::arg("a"), py::arg("tau"), py::arg("q"),
      "The first q.shape[1] columns of Q from the first len(tau) reflectors of a geqrf result\n"
      "(`a`, `tau`), written to `q` (m rows, a's dtype, any strides), as LAPACK dorgqr.");
  m.def(
      "gemm_update",
      [](py::array a, py::array b, py::array c, bool subtract) {
        if (float_kind(c, "c") == FloatKind::f32)
          gemm_impl<float>(a, b, c, subtract);
        else
          gemm_impl<double>(a, b, c, subtract);
      },
      py::arg("a"), py::arg("b"), py::arg("c"), py::arg("subtract") = false,
      "c += a @ b (c -= a @ b if `subtract`) in place, each element by one ascending chain of\n"
      "FMAs: the same bits on every instruction set. 2-D arrays of one float dtype, any strides.");
  m.def(
      "gemm_shape",
      [] {
        const linalg::GemmShape s = linalg::active_gemm_shape();
        return py::make_tuple(s.mr_f64, s.nr_f64, s.mr_f32, s.nr_f32);
      },
      "Register-block shape (mr_f64, nr_f64, mr_f32, nr_f32) of the active GEMM path.");
  m.def("linalg_block_size", &linalg::block_size, py::arg("m"), py::arg("k"),
        "Householder block size nb for k reflectors of length m (a function of the shape only).");
}

}  // namespace weightinit::bindings
