// Known-answer digests of the distribution kernels and of orthogonal_columns:
// the values every build must produce for these seeds (docs/design.md contract 2),
// on every instruction set this CPU runs, on every architecture (the scalar
// path is all an aarch64 build has; tools/cross-aarch64.sh runs this there).
// The digests were recorded from the x86-64 build, where the scalar, AVX2 and
// AVX-512 paths agree bit for bit. A changed digest is a stream change.
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/orthogonal.hpp"

using namespace weightinit;
using namespace weightinit::random;

// FNV-1a, 64-bit, over the values' bytes (little-endian on every target we build).
template <class T>
std::uint64_t fnv1a(const std::vector<T>& v) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  for (std::size_t i = 0; i < v.size() * sizeof(T); ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

struct Case {
  const char* name;
  DistParams params;
  std::uint64_t f32;  // digest of 1003 float32 values from element 12345
  std::uint64_t f64;  // digest of 1003 float64 values from element 12345
};

DistParams uniform(double low, double high) {
  DistParams p{};
  p.kind = Distribution::uniform;
  p.uniform = {low, high};
  return p;
}
DistParams normal(double mean, double std) {
  DistParams p{};
  p.kind = Distribution::normal;
  p.normal = {mean, std};
  return p;
}
DistParams truncated(double mean, double std, double lower, double upper, bool preserve_std) {
  DistParams p{};
  p.kind = Distribution::truncated_normal;
  p.truncated = make_truncated_normal(mean, std, lower, upper, preserve_std);
  return p;
}

void check_digest(const char* what, const char* isa, std::uint64_t got, std::uint64_t want) {
  if (got != want)
    std::printf("%s on %s: digest 0x%016" PRIx64 ", expected 0x%016" PRIx64 "\n", what, isa, got,
                want);
  CHECK(got == want);
}

int main() {
  const std::uint64_t key = 0x0123456789abcdefull, stream = 7, first = 12345;
  const std::size_t n = 1003;  // not a multiple of any vector width: tails on every path
  const Case cases[] = {
      {"uniform(-0.5, 2)", uniform(-0.5, 2.0), 0x8d26fc3d47d11e3aull, 0x639c63b04abcb6daull},
      {"normal(0.25, 3)", normal(0.25, 3.0), 0x57def9a99e07ffb3ull, 0x8ac778450728322dull},
      {"truncated_normal(0, 0.5, -2, 2)", truncated(0.0, 0.5, -2.0, 2.0, false),
       0xd6627425a13b678dull, 0x466ca0ff7df481bbull},
      {"truncated_normal(0, 1, -0.5, 3, preserve_std)", truncated(0.0, 1.0, -0.5, 3.0, true),
       0xd5d3810b11ccca2bull, 0x0d8671a315703db8ull},
  };
  // Orthogonal 40 x 24 (float64 and float32), columns [0, 24) then [0, 11) + [11, 24).
  const std::uint64_t orthogonal_f64 = 0x36a2a406b00674deull,
                      orthogonal_f32 = 0x5945234fde8dac0bull;

#if defined(WEIGHTINIT_EMULATE_AVX512)
  // The emulated build runs the AVX-512 kernels on any x86-64 CPU (docs/building.md).
  CHECK(available_isas().back() == Isa::avx512);
#endif
  int paths = 0;
  for (Isa isa : available_isas()) {
    set_active_isa(isa);
    ++paths;
    for (const Case& c : cases) {
      std::vector<float> f(n);
      std::vector<double> d(n);
      active_kernels().f32(c.params, key, stream, first, n, f.data());
      active_kernels().f64(c.params, key, stream, first, n, d.data());
      check_digest(c.name, isa_name(isa), fnv1a(f), c.f32);
      check_digest(c.name, isa_name(isa), fnv1a(d), c.f64);
    }
    const std::int64_t m = 40, cols = 24;
    std::vector<double> q(m * cols), parts(m * cols);
    std::vector<float> qf(m * cols);
    random::orthogonal_columns<double>(key, stream, m, cols, 0, cols, 1.0, {q.data(), 1, m});
    random::orthogonal_columns<float>(key, stream, m, cols, 0, cols, 1.0, {qf.data(), 1, m});
    random::orthogonal_columns<double>(key, stream, m, cols, 0, 11, 1.0, {parts.data(), 1, m});
    random::orthogonal_columns<double>(key, stream, m, cols, 11, cols, 1.0,
                                       {parts.data() + 11 * m, 1, m});
    check_digest("orthogonal float64", isa_name(isa), fnv1a(q), orthogonal_f64);
    check_digest("orthogonal float32", isa_name(isa), fnv1a(qf), orthogonal_f32);
    CHECK(std::memcmp(q.data(), parts.data(), q.size() * sizeof(double)) == 0);
  }
  std::printf("%d instruction sets, %d failures\n", paths, failures);
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
