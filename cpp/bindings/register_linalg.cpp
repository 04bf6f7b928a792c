// Linear algebra: Haar-orthogonal columns, blocked QR (geqrf / orgqr) and the
// GEMM, for weightinit.linalg and weightinit.orthogonal. Arguments are checked
// here (defensively; the Python layer checks first) so kernels never throw.
#include <cstdint>
#include <string>

#include "register.hpp"
#include "weightinit/linalg/gemm.hpp"
#include "weightinit/linalg/geqrf.hpp"
#include "weightinit/linalg/orgqr.hpp"
#include "weightinit/linalg/reflectors.hpp"
#include "weightinit/random/orthogonal.hpp"

namespace weightinit::bindings {
namespace {

using linalg::MatRef;

enum class Kind { f32, f64 };

// By kind and size, not dtype identity: an unpickled dtype is equal but distinct.
Kind float_kind(const py::array& a, const char* what) {
  const auto dt = a.dtype();
  if (dt.kind() == 'f' && dt.itemsize() == 4 && dt.attr("isnative").cast<bool>()) return Kind::f32;
  if (dt.kind() == 'f' && dt.itemsize() == 8 && dt.attr("isnative").cast<bool>()) return Kind::f64;
  throw py::type_error(std::string(what) + " must be a float32 or float64 array, got dtype " +
                       std::string(py::str(a.dtype())));
}

// A 2-D array as a strided matrix; byte strides must be whole elements.
template <class T>
MatRef<T> as_matrix(py::array& a, const char* what, bool writable) {
  if (a.ndim() != 2) throw py::value_error(std::string(what) + " must be 2-D");
  if (writable && !a.writeable()) throw py::value_error(std::string(what) + " is read-only");
  const auto item = static_cast<py::ssize_t>(sizeof(T));
  if (a.strides(0) % item || a.strides(1) % item)
    throw py::value_error(std::string(what) + " has strides that are not whole elements");
  if (writable && a.size() > 1 &&
      ((a.shape(0) > 1 && a.strides(0) == 0) || (a.shape(1) > 1 && a.strides(1) == 0)))
    throw py::value_error(std::string(what) + " has a zero stride (overlapping elements)");
  T* data = static_cast<T*>(writable ? a.mutable_data() : const_cast<void*>(a.data()));
  return MatRef<T>{data, a.strides(0) / item, a.strides(1) / item};
}

template <class T>
void orthogonal_impl(std::uint64_t key, std::uint64_t stream, std::int64_t m, std::int64_t n,
                     std::int64_t c0, std::int64_t c1, double gain, py::array& out) {
  const MatRef<T> q = as_matrix<T>(out, "out", true);
  // Safe without the GIL: only raw pointers into `out` (kept alive by the caller).
  py::gil_scoped_release release;
  random::orthogonal_columns<T>(key, stream, m, n, c0, c1, gain, q);
}

template <class T>
void geqrf_impl(py::array& a, py::array& tau) {
  const MatRef<T> am = as_matrix<T>(a, "a", true);
  const std::int64_t m = a.shape(0), n = a.shape(1);
  if (tau.ndim() != 1 || tau.shape(0) != std::min(m, n) || !tau.dtype().is(a.dtype()) ||
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
  if (k < 0 || k > std::min<std::int64_t>(m, a.shape(1)) || !tau.dtype().is(a.dtype()) ||
      (k > 1 && tau.strides(0) != static_cast<py::ssize_t>(sizeof(T))))
    throw py::value_error(
        "tau must be a contiguous 1-D array of at most min(m, n) elements of a's dtype");
  if (q.shape(0) != m || q.shape(1) > m || !q.dtype().is(a.dtype()))
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
  if (!a.dtype().is(c.dtype()) || !b.dtype().is(c.dtype()))
    throw py::type_error("gemm_update: a, b and c must have the same dtype");
  const std::int64_t m = c.shape(0), n = c.shape(1), k = a.shape(1);
  py::gil_scoped_release release;
  linalg::gemm_update(m, n, k, MatRef<const T>{am.data, am.rs, am.cs},
                      MatRef<const T>{bm.data, bm.rs, bm.cs}, cm, subtract);
}

}  // namespace

void register_linalg(py::module_& m) {
  m.def(
      "orthogonal_columns",
      [](std::uint64_t key, std::uint64_t stream, std::int64_t rows, std::int64_t cols,
         std::int64_t c0, std::int64_t c1, double gain, py::array out) {
        if (!(rows >= cols && cols >= 1))
          throw py::value_error("orthogonal: need rows >= cols >= 1");
        if (!(0 <= c0 && c0 <= c1 && c1 <= cols))
          throw py::value_error("orthogonal: bad column range");
        if (out.ndim() != 2 || out.shape(0) != rows || out.shape(1) != c1 - c0)
          throw py::value_error("orthogonal: out must have shape (rows, c1 - c0)");
        if (float_kind(out, "out") == Kind::f32)
          orthogonal_impl<float>(key, stream, rows, cols, c0, c1, gain, out);
        else
          orthogonal_impl<double>(key, stream, rows, cols, c0, c1, gain, out);
      },
      py::arg("key"), py::arg("stream"), py::arg("rows"), py::arg("cols"), py::arg("c0"),
      py::arg("c1"), py::arg("gain"), py::arg("out"));
  m.def(
      "geqrf",
      [](py::array a, py::array tau) {
        if (float_kind(a, "a") == Kind::f32)
          geqrf_impl<float>(a, tau);
        else
          geqrf_impl<double>(a, tau);
      },
      py::arg("a"), py::arg("tau"));
  m.def(
      "orgqr",
      [](py::array a, py::array tau, py::array q) {
        if (float_kind(a, "a") == Kind::f32)
          orgqr_impl<float>(a, tau, q);
        else
          orgqr_impl<double>(a, tau, q);
      },
      py::arg("a"), py::arg("tau"), py::arg("q"));
  m.def(
      "gemm_update",
      [](py::array a, py::array b, py::array c, bool subtract) {
        if (float_kind(c, "c") == Kind::f32)
          gemm_impl<float>(a, b, c, subtract);
        else
          gemm_impl<double>(a, b, c, subtract);
      },
      py::arg("a"), py::arg("b"), py::arg("c"), py::arg("subtract") = false);
  m.def("gemm_shape", [] {
    const linalg::GemmShape s = linalg::active_gemm_shape();
    return py::make_tuple(s.mr_f64, s.nr_f64, s.mr_f32, s.nr_f32);
  });
  m.def("linalg_block_size", &linalg::block_size);
}

}  // namespace weightinit::bindings
