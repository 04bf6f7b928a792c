// Microbenchmark of the Philox and distribution kernels per instruction set,
// single thread, into an L2-resident buffer (compute cost, not memory) and a
// 64 MiB buffer (with the stores). Prints ns per element, median of repeats.
//
//   ./tools/dev-build.sh && ./build/dev/bench_kernels [isa ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "weightinit/common/isa.hpp"
#include "weightinit/random/fill.hpp"

using namespace weightinit;
using namespace weightinit::random;

template <typename T>
double ns_per_element(const KernelTable& k, const DistParams& p, std::vector<T>& buf, int reps) {
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    if constexpr (sizeof(T) == 4)
      k.f32(p, 42, 7, 0, buf.size(), buf.data());
    else
      k.f64(p, 42, 7, 0, buf.size(), buf.data());
    const auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / buf.size());
  }
  std::sort(times.begin(), times.end());
  // Self-check so the benchmark cannot silently measure nothing.
  double sum = 0;
  for (T v : buf) sum += static_cast<double>(v);
  if (!(sum == sum)) std::printf("NaN in output!\n");
  return times[times.size() / 2];
}

int main(int argc, char** argv) {
  DistParams uni{};
  uni.kind = Distribution::uniform;
  uni.uniform = {-1.0, 1.0};
  DistParams nor{};
  nor.kind = Distribution::normal;
  nor.normal = {0.0, 1.0};
  DistParams tru{};
  tru.kind = Distribution::truncated_normal;
  tru.truncated = make_truncated_normal(0.0, 1.0, -2.0, 2.0, false);
  const struct {
    const char* name;
    const DistParams* p;
  } dists[] = {{"uniform", &uni}, {"normal", &nor}, {"truncated_normal", &tru}};

  std::printf("%-8s %-17s %8s %12s %12s\n", "isa", "distribution", "dtype", "L2 ns/elem",
              "64MiB ns/elem");
  for (Isa isa : available_isas()) {
    bool wanted = argc < 2;  // optional arguments select instruction sets by name
    for (int i = 1; i < argc; ++i) wanted = wanted || std::strcmp(argv[i], isa_name(isa)) == 0;
    if (!wanted) continue;
    set_active_isa(isa);
    const KernelTable& k = active_kernels();
    for (const auto& d : dists) {
      std::vector<float> s32(1 << 16), b32(1 << 24);
      std::vector<double> s64(1 << 15), b64(1 << 23);
      const int reps_small = isa == Isa::scalar ? 5 : 101, reps_big = isa == Isa::scalar ? 1 : 7;
      std::printf("%-8s %-17s %8s %12.3f %12.3f\n", isa_name(isa), d.name, "float32",
                  ns_per_element(k, *d.p, s32, reps_small), ns_per_element(k, *d.p, b32, reps_big));
      std::printf("%-8s %-17s %8s %12.3f %12.3f\n", isa_name(isa), d.name, "float64",
                  ns_per_element(k, *d.p, s64, reps_small), ns_per_element(k, *d.p, b64, reps_big));
    }
  }
  return 0;
}
