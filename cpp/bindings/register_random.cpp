// Random generation: Philox and the stream mapping, the element-wise
// distributions (fill), Sparse and the Haar-orthogonal sampler. Arguments are
// checked here (defensively; the Python layer checks first) so kernels never
// throw.
#include <pybind11/native_enum.h>

#include <cmath>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "register.hpp"
#include "weightinit/random/counter.hpp"
#include "weightinit/random/distributions.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/orthogonal.hpp"
#include "weightinit/random/philox.hpp"
#include "weightinit/random/sparse.hpp"

namespace weightinit::bindings {
namespace {

using random::DistParams;
using random::Distribution;

void require_finite(double v, const char* name) {
  if (!std::isfinite(v))
    throw py::value_error(std::string(name) + " must be finite, got " + std::to_string(v));
}

DistParams make_params(Distribution kind, const std::vector<double>& p) {
  DistParams d{};
  switch (kind) {
    case Distribution::uniform:
      if (p.size() != 2) throw py::value_error("uniform takes (low, high)");
      require_finite(p[0], "low");
      require_finite(p[1], "high");
      if (!(p[0] < p[1])) throw py::value_error("low must be less than high");
      if (!std::isfinite(p[1] - p[0])) throw py::value_error("high - low overflows");
      d.kind = Distribution::uniform;
      d.uniform = {p[0], p[1]};
      break;
    case Distribution::normal:
      if (p.size() != 2) throw py::value_error("normal takes (mean, std)");
      require_finite(p[0], "mean");
      require_finite(p[1], "std");
      if (p[1] < 0) throw py::value_error("std must be non-negative");
      d.kind = Distribution::normal;
      d.normal = {p[0], p[1]};
      break;
    case Distribution::truncated_normal: {
      if (p.size() != 5)
        throw py::value_error("truncated_normal takes (mean, std, lower, upper, preserve_std)");
      require_finite(p[0], "mean");
      require_finite(p[1], "std");
      if (p[1] < 0) throw py::value_error("std must be non-negative");
      if (std::isnan(p[2]) || std::isnan(p[3]))
        throw py::value_error("lower and upper must not be NaN");
      if (!(p[2] < p[3])) throw py::value_error("lower must be less than upper");
      d.kind = Distribution::truncated_normal;
      d.truncated = random::make_truncated_normal(p[0], p[1], p[2], p[3], p[4] != 0.0);
      // The float32 path keeps the tail masses in float: they must stay normal numbers.
      if (!(d.truncated.mass > 1e-30))
        throw py::value_error("the interval [lower, upper] has negligible probability mass");
      if (!std::isfinite(d.truncated.scale)) throw py::value_error("preserve_std overflows");
      break;
    }
  }
  return d;
}

// The arguments of fill() read straight through the CPython API: pybind11's
// casters for a native enum (a Python-level `.value` lookup) and for sequences
// (a std::vector each, element by element) cost more than a 4096-element
// fill's kernel (docs/design.md, "Small calls").
Distribution distribution(py::handle kind) {
  const long k = PyLong_Check(kind.ptr()) ? PyLong_AsLong(kind.ptr()) : -1;
  if (k < 0 || k > static_cast<long>(Distribution::truncated_normal)) {
    PyErr_Clear();
    throw py::type_error("kind must be a Distribution, got " + std::string(py::repr(kind)));
  }
  return static_cast<Distribution>(k);
}

template <class T>
std::vector<T> numbers(py::handle seq, const char* what) {
  const py::object fast =
      py::reinterpret_steal<py::object>(PySequence_Fast(seq.ptr(), "not a sequence"));
  if (!fast) {
    PyErr_Clear();
    throw py::type_error(std::string(what) + " must be a sequence of numbers");
  }
  const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.ptr());
  PyObject** items = PySequence_Fast_ITEMS(fast.ptr());
  std::vector<T> out(static_cast<std::size_t>(n));
  for (Py_ssize_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point_v<T>) {
      out[static_cast<std::size_t>(i)] = PyFloat_AsDouble(items[i]);
    } else {
      out[static_cast<std::size_t>(i)] = PyLong_AsLongLong(items[i]);
    }
    if (PyErr_Occurred()) {
      PyErr_Clear();
      throw py::type_error(std::string(what) + " must contain " +
                           (std::is_floating_point_v<T> ? "real numbers" : "ints in int64") +
                           ", got " + std::string(py::repr(seq)));
    }
  }
  return out;
}

// Below this many elements a fill keeps the GIL: it is over before another
// Python thread could make use of it, and releasing costs a thread handoff.
constexpr std::int64_t kReleaseGilElements = std::int64_t{1} << 14;

template <class T>
void orthogonal_impl(std::uint64_t key, std::uint64_t stream, std::int64_t m, std::int64_t n,
                     std::int64_t c0, std::int64_t c1, double gain, py::array& out) {
  const linalg::MatRef<T> q = as_matrix<T>(out, "out", true);
  // Safe without the GIL: only raw pointers into `out` (kept alive by the caller).
  py::gil_scoped_release release;
  random::orthogonal_columns<T>(key, stream, m, n, c0, c1, gain, q);
}

}  // namespace

StridedBlock describe_block(const py::array& out, const std::vector<std::int64_t>& shape,
                            const std::vector<std::int64_t>& start, const char* what,
                            bool bfloat16) {
  StridedBlock b;
  // By kind and size, not dtype identity: a dtype that went through pickle
  // (as on Dask workers) is an equal but distinct object.
  const auto dt = out.dtype();
  if (bfloat16) {
    if (!((dt.kind() == 'u' || dt.kind() == 'i') && dt.itemsize() == 2))
      throw py::type_error(std::string(what) +
                           " must be a uint16 or int16 array of bfloat16 bits, got dtype " +
                           std::string(py::str(dt)));
    b.dtype = DType::bfloat16;
  } else if (dt.kind() == 'f' && dt.itemsize() == 4) {
    b.dtype = DType::float32;
  } else if (dt.kind() == 'f' && dt.itemsize() == 8) {
    b.dtype = DType::float64;
  } else if (dt.kind() == 'f' && dt.itemsize() == 2) {
    b.dtype = DType::float16;
  } else {
    throw py::type_error(std::string(what) +
                         " must be a float16, float32 or float64 array, got dtype " +
                         std::string(py::str(dt)));
  }
  if (!out.writeable()) throw py::value_error(std::string(what) + " is read-only");
  // Native byte order: '=' or '|', or the explicit mark of this machine's order
  // (read from the descriptor, no Python call).
  const char order = dt.byteorder();
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  constexpr char kNative = '>';
#else
  constexpr char kNative = '<';
#endif
  if (order != '=' && order != '|' && order != kNative)
    throw py::value_error(std::string(what) + " must be in native byte order");
  const auto nd = static_cast<std::size_t>(out.ndim());
  if (shape.size() != nd || start.size() != nd)
    throw py::value_error(std::string(what) + " has " + std::to_string(nd) +
                          " dimensions but the block has " + std::to_string(shape.size()));
  std::uint64_t total = 1;
  for (std::size_t k = 0; k < nd; ++k) {
    const std::int64_t ext = out.shape(static_cast<py::ssize_t>(k));
    if (shape[k] < 0 || start[k] < 0 || start[k] + ext > shape[k])
      throw py::value_error(std::string(what) + ": block outside the tensor in dimension " +
                            std::to_string(k));
    if (shape[k] != 0 && total > (std::uint64_t{1} << 62) / static_cast<std::uint64_t>(shape[k]))
      throw py::value_error("shape has more than 2**62 elements");
    total *= static_cast<std::uint64_t>(shape[k]);
  }
  b.shape = shape;
  b.start = start;
  b.extent.assign(out.shape(), out.shape() + nd);
  b.strides.assign(out.strides(), out.strides() + nd);
  check_no_self_overlap(out, b.extent, b.strides, what);
  b.data = const_cast<py::array&>(out).mutable_data();  // writeable checked above
  return b;
}

void register_random(py::module_& m) {
  // The one definition of the distribution kinds Python passes to fill().
  py::native_enum<Distribution>(m, "Distribution", "enum.IntEnum",
                                "Element-wise distributions of fill().")
      .value("uniform", Distribution::uniform, "params (low, high)")
      .value("normal", Distribution::normal, "params (mean, std)")
      .value("truncated_normal", Distribution::truncated_normal,
             "params (mean, std, lower, upper, preserve_std)")
      .finalize();

  m.def(
      "philox4x32",
      [](py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast> counter,
         py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast> key, int rounds) {
        if (counter.ndim() < 1 || counter.shape(counter.ndim() - 1) != 4)
          throw py::value_error("counter must have shape (..., 4)");
        if (key.ndim() != 1 || key.shape(0) != 2) throw py::value_error("key must have shape (2,)");
        if (rounds < 0 || rounds > 64) throw py::value_error("rounds must be in [0, 64]");
        py::array_t<std::uint32_t> out(
            std::vector<py::ssize_t>(counter.shape(), counter.shape() + counter.ndim()));
        const std::uint32_t* c = counter.data();
        const random::PhiloxKey k{key.data()[0], key.data()[1]};
        std::uint32_t* o = out.mutable_data();
        for (py::ssize_t i = 0; i < counter.size() / 4; ++i) {
          const random::Block r =
              random::philox4x32({c[4 * i], c[4 * i + 1], c[4 * i + 2], c[4 * i + 3]}, k, rounds);
          for (int w = 0; w < 4; ++w) o[4 * i + w] = r[w];
        }
        return out;
      },
      py::arg("counter"), py::arg("key"), py::arg("rounds") = random::kPhiloxRounds,
      "Philox4x32 with `rounds` rounds of each counter (uint32, shape (..., 4)) under `key`\n"
      "(uint32, shape (2,)): the raw bijection, for known-answer tests.");
  m.def("splitmix64", &random::splitmix64, py::arg("x"),
        "SplitMix64's finalizer of x (mod 2**64): seeds to keys, and sub-stream ids.");
  m.def("substream", &random::substream, py::arg("stream"), py::arg("tag"), py::arg("unit"),
        "The sub-stream id of `unit` under `tag` in `stream` (counter.hpp).");
  m.def("normal_cdf", &random::normal_cdf, py::arg("x"),
        "Standard normal CDF in double precision, the same bits on every machine.");
  m.def("truncated_normal_std", &random::truncated_normal_std, py::arg("alpha"), py::arg("beta"),
        "Standard deviation of a standard normal truncated to [alpha, beta].");
  m.def(
      "fill",
      [](py::handle kind, py::handle params, std::uint64_t key, std::uint64_t stream,
         py::handle shape, py::handle start, py::array out, bool bfloat16) {
        const DistParams d = make_params(distribution(kind), numbers<double>(params, "params"));
        const std::vector<std::int64_t> full = numbers<std::int64_t>(shape, "shape");
        std::vector<std::int64_t> first = numbers<std::int64_t>(start, "start");
        if (first.empty()) first.assign(full.size(), 0);  // empty: the block starts at the origin
        const StridedBlock block = describe_block(out, full, first, "out", bfloat16);
        if (out.size() < kReleaseGilElements) return random::fill(d, key, stream, block);
        // Safe without the GIL: `out` is kept alive by the caller's reference
        // and nothing below touches a Python object.
        py::gil_scoped_release release;
        random::fill(d, key, stream, block);
      },
      py::arg("kind"), py::arg("params"), py::arg("key"), py::arg("stream"), py::arg("shape"),
      py::arg("start"), py::arg("out"), py::arg("bfloat16") = false,
      "Fills `out` (float16/32/64, any strides) with the block starting at `start` (empty: the\n"
      "origin) of the tensor of `shape` drawn from distribution `kind` with `params`, under\n"
      "(key, stream). Values depend only on the logical index. With `bfloat16`, `out` is a\n"
      "uint16/int16 array and receives the bfloat16 bits of the float32 values, rounded to\n"
      "nearest even.");
  m.def(
      "sparse_fill",
      [](std::uint64_t key, std::uint64_t stream, const std::vector<std::int64_t>& shape,
         const std::vector<std::int64_t>& start, py::array out, std::int64_t nonzeros, double std,
         int unit_axis, bool bfloat16) {
        if (shape.size() != 2) throw py::value_error("sparse_fill needs a 2-D shape");
        if (unit_axis != 0 && unit_axis != 1) throw py::value_error("unit_axis must be 0 or 1");
        const std::int64_t n_inputs = shape[static_cast<std::size_t>(1 - unit_axis)];
        if (nonzeros < 0 || nonzeros > n_inputs)
          throw py::value_error("nonzeros must be in [0, " + std::to_string(n_inputs) + "], got " +
                                std::to_string(nonzeros));
        if (!std::isfinite(std) || std < 0)
          throw py::value_error("std must be finite and non-negative, got " + std::to_string(std));
        const StridedBlock block = describe_block(out, shape, start, "out", bfloat16);
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
      py::arg("nonzeros"), py::arg("std"), py::arg("unit_axis"), py::arg("bfloat16") = false,
      "Fills `out` with the block at `start` of a 2-D Sparse tensor of `shape`: each unit (a\n"
      "column if unit_axis == 1, a row if 0) has `nonzeros` N(0, std**2) values at random inputs.\n"
      "With `bfloat16`, `out` is a uint16/int16 array of bfloat16 bits (as for fill).");
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
        if (float_kind(out, "out") == FloatKind::f32)
          orthogonal_impl<float>(key, stream, rows, cols, c0, c1, gain, out);
        else
          orthogonal_impl<double>(key, stream, rows, cols, c0, c1, gain, out);
      },
      py::arg("key"), py::arg("stream"), py::arg("rows"), py::arg("cols"), py::arg("c0"),
      py::arg("c1"), py::arg("gain"), py::arg("out"),
      "Columns [c0, c1) of the Haar-distributed rows x cols matrix with orthonormal columns of\n"
      "(key, stream), times `gain`, into `out` (float32/float64, shape (rows, c1 - c0)).");
}

}  // namespace weightinit::bindings
