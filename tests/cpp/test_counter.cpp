// Every instruction set's kernels against counter.hpp, element by element:
// element e of each distribution, in float32 and float64, is the scalar
// transform (scalar_element_f32/f64) of the draws word32/word64 assign to e,
// with Box-Muller's pairing from pair_first_draw/pair_slot; bfloat16 is that
// float32 element through float_to_bfloat16. Runs start off group boundaries
// and cross the 2^32-block boundary of the counter's low word.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "check.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/random/counter.hpp"
#include "weightinit/random/distributions.hpp"
#include "weightinit/random/fill.hpp"

using namespace weightinit;
using namespace weightinit::random;

namespace {

constexpr std::uint64_t kKey = 0x0123456789ABCDEFull;
constexpr std::uint64_t kStream = 0xFEDCBA9876543210ull;

std::vector<DistParams> distributions() {
  DistParams u{}, n{}, t{};
  u.kind = Distribution::uniform;
  u.uniform = {-1.5, 2.5};
  n.kind = Distribution::normal;
  n.normal = {0.25, 3.0};
  // Wide bounds, so the quantile's tail branches are taken too.
  t.kind = Distribution::truncated_normal;
  t.truncated = make_truncated_normal(0.5, 2.0, -11.0, 13.0, false);
  return {u, n, t};
}

float expected_f32(const DistParams& p, std::uint64_t e) {
  if (p.kind != Distribution::normal) return scalar_element_f32(p, word32(kKey, kStream, e), 0, 0);
  const std::uint64_t d = pair_first_draw(e);
  return scalar_element_f32(p, word32(kKey, kStream, d), word32(kKey, kStream, d + 1),
                            pair_slot(e));
}

double expected_f64(const DistParams& p, std::uint64_t e) {
  if (p.kind != Distribution::normal) return scalar_element_f64(p, word64(kKey, kStream, e), 0, 0);
  const std::uint64_t d = pair_first_draw(e);
  return scalar_element_f64(p, word64(kKey, kStream, d), word64(kKey, kStream, d + 1),
                            pair_slot(e));
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

// Runs [first, first + n) through the active kernels, element by element.
void check_runs(Isa isa) {
  set_active_isa(isa);
  const KernelTable& kernels = active_kernels();
  struct Run {
    std::uint64_t first;
    std::size_t n;
  };
  // Aligned, unaligned at both ends, longer than four groups of the widest
  // path, and across block 2^32 (elements 2^34 for float32, 2^33 for float64).
  const Run runs[] = {{0, 1},
                      {0, 64},
                      {5, 3},
                      {3, 997},
                      {(std::uint64_t{1} << 34) - 77, 301},
                      {(std::uint64_t{1} << 33) - 51, 203}};
  for (const DistParams& p : distributions()) {
    for (const Run& r : runs) {
      std::vector<float> f(r.n);
      std::vector<double> d(r.n);
      std::vector<std::uint16_t> h(r.n);
      kernels.f32(p, kKey, kStream, r.first, r.n, f.data());
      kernels.f64(p, kKey, kStream, r.first, r.n, d.data());
      kernels.bf16(p, kKey, kStream, r.first, r.n, h.data());
      int bad = 0;
      for (std::size_t i = 0; i < r.n; ++i) {
        const float want = expected_f32(p, r.first + i);
        bad += !same_bits(f[i], want);
        bad += !same_bits(d[i], expected_f64(p, r.first + i));
        bad += h[i] != float_to_bfloat16(want);
      }
      if (bad)
        std::printf("isa %s, distribution %d, run [%llu, +%zu): %d elements differ\n",
                    isa_name(isa), static_cast<int>(p.kind),
                    static_cast<unsigned long long>(r.first), r.n, bad);
      CHECK(bad == 0);
    }
  }
}

}  // namespace

int main() {
  // word32/word64 against the layout written out: a change to counter.hpp
  // that the kernels followed would still fail here and in the Python reference.
  const Block b = philox4x32({7, 0, 0x76543210u, 0xFEDCBA98u}, {0x89ABCDEFu, 0x01234567u});
  for (std::uint64_t w = 0; w < 4; ++w) CHECK(word32(kKey, kStream, 28 + w) == b[w]);
  CHECK(word64(kKey, kStream, 14) == (b[0] | std::uint64_t{b[1]} << 32));
  CHECK(word64(kKey, kStream, 15) == (b[2] | std::uint64_t{b[3]} << 32));

  // float_to_bfloat16 on the patterns that decide rounding: ties to even both
  // ways, carry into the exponent, overflow to infinity, infinities, NaNs.
  const struct {
    std::uint32_t in;
    std::uint16_t out;
  } bf16_cases[] = {{0x3F800000u, 0x3F80u}, {0x3F808000u, 0x3F80u}, {0x3F818000u, 0x3F82u},
                    {0x3F808001u, 0x3F81u}, {0x3F80FFFFu, 0x3F81u}, {0x3FFF8000u, 0x4000u},
                    {0x7F7FFFFFu, 0x7F80u}, {0xFF7F8000u, 0xFF80u}, {0x7F800000u, 0x7F80u},
                    {0xFF800000u, 0xFF80u}, {0x7FC00000u, 0x7FC0u}, {0x7F800001u, 0x7FC0u},
                    {0xFFFFFFFFu, 0xFFFFu}, {0x80000000u, 0x8000u}, {0x00008000u, 0x0000u}};
  for (const auto& c : bf16_cases) {
    float f;
    std::memcpy(&f, &c.in, sizeof f);
    CHECK(float_to_bfloat16(f) == c.out);
  }

#if defined(WEIGHTINIT_EMULATE_AVX512)
  // The emulated build runs the AVX-512 kernels on any x86-64 CPU (docs/building.md).
  CHECK(available_isas().back() == Isa::avx512);
#endif
  const Isa best = active_isa();
  int isas = 0;
  for (Isa isa : available_isas()) {
    check_runs(isa);
    ++isas;
  }
  set_active_isa(best);
  std::printf("%d instruction sets, %d failures\n", isas, failures);
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
