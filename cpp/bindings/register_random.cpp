// Philox, parameter preparation and the fill entry point.
#include <cmath>
#include <limits>
#include <string>

#include "register.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/random/counter.hpp"
#include "weightinit/random/distributions.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/philox.hpp"

namespace weightinit::bindings {
namespace {

using random::DistParams;
using random::Distribution;

void require_finite(double v, const char* name) {
  if (!std::isfinite(v))
    throw py::value_error(std::string(name) + " must be finite, got " + std::to_string(v));
}

DistParams make_params(int kind, const std::vector<double>& p) {
  DistParams d{};
  switch (kind) {
    case 0:
      if (p.size() != 2) throw py::value_error("uniform takes (low, high)");
      require_finite(p[0], "low");
      require_finite(p[1], "high");
      if (!(p[0] < p[1])) throw py::value_error("low must be less than high");
      if (!std::isfinite(p[1] - p[0])) throw py::value_error("high - low overflows");
      d.kind = Distribution::uniform;
      d.uniform = {p[0], p[1]};
      break;
    case 1:
      if (p.size() != 2) throw py::value_error("normal takes (mean, std)");
      require_finite(p[0], "mean");
      require_finite(p[1], "std");
      if (p[1] < 0) throw py::value_error("std must be non-negative");
      d.kind = Distribution::normal;
      d.normal = {p[0], p[1]};
      break;
    case 2: {
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
    default:
      throw py::value_error("unknown distribution");
  }
  return d;
}

}  // namespace

StridedBlock describe_block(const py::array& out, const std::vector<std::int64_t>& shape,
                            const std::vector<std::int64_t>& start, const char* what) {
  StridedBlock b;
  // By kind and size, not dtype identity: a dtype that went through pickle
  // (as on Dask workers) is an equal but distinct object.
  const auto dt = out.dtype();
  if (dt.kind() == 'f' && dt.itemsize() == 4) {
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
    if (out.size() > 0 && out.strides(static_cast<py::ssize_t>(k)) == 0 && ext > 1)
      throw py::value_error(std::string(what) + " has a zero stride (overlapping elements)");
  }
  b.shape = shape;
  b.start = start;
  for (std::size_t k = 0; k < nd; ++k) {
    b.extent.push_back(out.shape(static_cast<py::ssize_t>(k)));
    b.strides.push_back(out.strides(static_cast<py::ssize_t>(k)));
  }
  b.data = const_cast<py::array&>(out).mutable_data();  // writeable checked above
  return b;
}

void register_random(py::module_& m) {
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
      py::arg("counter"), py::arg("key"), py::arg("rounds") = random::kPhiloxRounds);
  m.def("splitmix64", &random::splitmix64);
  m.def("substream", &random::substream);
  m.def("normal_cdf", &random::normal_cdf);
  m.def("truncated_normal_std", &random::truncated_normal_std);
  m.def(
      "fill",
      [](int kind, const std::vector<double>& params, std::uint64_t key, std::uint64_t stream,
         const std::vector<std::int64_t>& shape, const std::vector<std::int64_t>& start,
         py::array out) {
        const DistParams d = make_params(kind, params);
        // An empty start means the block starts at the origin.
        const StridedBlock block = describe_block(
            out, shape, start.empty() ? std::vector<std::int64_t>(shape.size(), 0) : start, "out");
        // Safe without the GIL: `out` is kept alive by the caller's reference
        // and nothing below touches a Python object.
        py::gil_scoped_release release;
        random::fill(d, key, stream, block);
      },
      py::arg("kind"), py::arg("params"), py::arg("key"), py::arg("stream"), py::arg("shape"),
      py::arg("start"), py::arg("out"));
}

}  // namespace weightinit::bindings
