// Philox4x32 against Random123's known-answer vectors (tests/data), and the
// scalar kernel path against a direct evaluation of the counter layout
// (written out here, independently of counter.hpp's word32).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "check.hpp"
#include "weightinit/random/fill.hpp"
#include "weightinit/random/philox.hpp"

using namespace weightinit::random;

int main() {
  std::ifstream in(WEIGHTINIT_TEST_DATA "/philox4x32_kat.txt");
  CHECK(in.good());
  std::string line;
  int vectors = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    int rounds;
    s >> rounds;
    unsigned long v[10];
    for (auto& x : v) s >> std::hex >> x;
    const Block out = philox4x32({(uint32_t)v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3]},
                                 {(uint32_t)v[4], (uint32_t)v[5]}, rounds);
    for (int w = 0; w < 4; ++w) CHECK(out[w] == (uint32_t)v[6 + w]);
    ++vectors;
  }
  CHECK(vectors == 6);

  // Uniform float32 on [0, 1): element e is word e % 4 of block e / 4, as (x >> 9) * 2^-23.
  DistParams p{};
  p.kind = Distribution::uniform;
  p.uniform = {0.0, 1.0};
  std::vector<float> out(1000);
  scalar_kernels().f32(p, 0x0123456789abcdefull, 99, 12345, out.size(), out.data());
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::uint64_t e = 12345 + i;
    const Block b =
        philox4x32({static_cast<uint32_t>(e / 4), static_cast<uint32_t>(e / 4 >> 32), 99, 0},
                   {0x89abcdefu, 0x01234567u});
    CHECK(out[i] == static_cast<float>(b[e % 4] >> 9) * 0x1p-23f);
  }
  std::printf("%d vectors, %d failures\n", vectors, failures);
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
