// GEMM and orthogonal-matrix microbenchmark: GFLOP/s of gemm_update (square
// n x n x n, C += A B) and of orthogonal_columns (counting 4n^3/3) on every
// available ISA, one thread. Usage: bench_gemm [n]   (default 1024)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/linalg/gemm.hpp"
#include "weightinit/random/orthogonal.hpp"

using namespace weightinit;
using namespace weightinit::linalg;

template <class F>
double best_seconds(F f, int repeat = 3) {
  double best = 1e30;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

template <class T>
void run(const char* name, std::int64_t n) {
  std::vector<T> a(n * n, T(0.5)), b(n * n, T(0.25)), c(n * n, T(0));
  const double g = best_seconds([&] {
    gemm_update(n, n, n, MatRef<const T>{a.data(), 1, n}, MatRef<const T>{b.data(), 1, n},
                MatRef<T>{c.data(), 1, n}, false);
  });
  const double o = best_seconds(
      [&] { random::orthogonal_columns<T>(1, 2, n, n, 0, n, 1.0, MatRef<T>{c.data(), 1, n}); });
  std::printf("%-7s %-8s n=%lld  gemm %7.1f GF/s   orthogonal %7.1f GF/s (%.4f s)\n",
              isa_name(active_isa()), name, static_cast<long long>(n), 2.0 * n * n * n / g / 1e9,
              4.0 * n * n * n / 3 / o / 1e9, o);
}

int main(int argc, char** argv) {
  const std::int64_t n = argc > 1 ? std::atoll(argv[1]) : 1024;
  set_num_threads(1);
  for (Isa isa : available_isas()) {
    set_active_isa(isa);
    if (isa == Isa::scalar && n > 512) continue;  // std::fma per element: too slow to be useful
    run<double>("float64", n);
    run<float>("float32", n);
  }
  return 0;
}
