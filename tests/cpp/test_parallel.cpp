// Failure and consistency rules of common/parallel.hpp, isa.hpp and
// strided.hpp's self_overlap (docs/design.md contract 6, "Outputs"):
// * an exception in any member of a team reaches the caller, and members
//   waiting (wait_until) for the one that threw are cancelled, not left
//   spinning;
// * a call pinned to an instruction set keeps it, on every member of its
//   teams, while the process-wide setting changes;
// * self_overlap agrees with listing every element's bytes.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "check.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/common/spin_wait.hpp"
#include "weightinit/common/strided.hpp"

using namespace weightinit;

namespace {

constexpr std::int64_t kBig = std::int64_t{1} << 40;  // above every threshold

void check_exception_reaches_caller() {
  for (int thrower : {0, 1, 5}) {
    bool caught = false;
    try {
      parallel_for(8, kBig, 1, [&](std::int64_t tile) {
        if (tile == thrower) throw std::runtime_error("tile");
      });
    } catch (const std::runtime_error&) {
      caught = true;
    }
    CHECK(caught);
  }
  // A member that throws while the others wait for it: they are cancelled.
  for (int thrower = 0; thrower < 2; ++thrower) {
    std::atomic<bool> never{false};
    bool caught = false;
    try {
      parallel_team(kBig, 1, [&](int thread, int team) {
        if (thread == thrower % team) throw std::length_error("member");
        wait_until([&] { return never.load(); });
      });
    } catch (const std::length_error&) {
      caught = true;
    }
    CHECK(caught);
    CHECK(!team_cancelled());  // the caller is in no team afterwards
  }
  // The threads are fine afterwards.
  std::atomic<std::int64_t> sum{0};
  parallel_for(100, kBig, 1, [&](std::int64_t tile) { sum += tile; });
  CHECK(sum.load() == 4950);
}

void check_isa_pin() {
  const std::vector<Isa> isas = available_isas();
  const Isa first = isas.front(), last = isas.back();
  set_active_isa(last);
  {
    const IsaPin pin;
    CHECK(active_isa() == last);
    set_active_isa(first);  // another thread's force(), say
    CHECK(active_isa() == last);
    std::atomic<int> members_wrong{0}, members{0};
    parallel_team(kBig, 1, [&](int, int) {
      ++members;
      if (active_isa() != last) ++members_wrong;
    });
    CHECK(members.load() >= 1);
    CHECK(members_wrong.load() == 0);
    // A thread outside the call sees the setting.
    Isa other = last;
    std::thread([&] { other = active_isa(); }).join();
    CHECK(other == first);
    {
      const IsaPin inner;  // nested: keeps the outer choice
      CHECK(active_isa() == last);
    }
  }
  CHECK(active_isa() == first);  // unpinned again
  set_active_isa(last);
}

// Reference: every element's byte range, sorted, neighbours compared.
bool overlaps_by_listing(const std::vector<std::int64_t>& extent,
                         const std::vector<std::int64_t>& strides, std::int64_t item) {
  std::vector<std::int64_t> offsets{0};
  for (std::size_t k = 0; k < extent.size(); ++k) {
    if (extent[k] == 0) return false;
    const std::size_t size = offsets.size();
    for (std::int64_t i = 1; i < extent[k]; ++i)
      for (std::size_t e = 0; e < size; ++e) offsets.push_back(offsets[e] + i * strides[k]);
  }
  std::sort(offsets.begin(), offsets.end());
  for (std::size_t e = 1; e < offsets.size(); ++e)
    if (offsets[e] - offsets[e - 1] < item) return true;
  return false;
}

void check_self_overlap() {
  std::mt19937_64 gen(15);
  int overlapping = 0, disjoint = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    const int nd = static_cast<int>(gen() % 4);
    const std::int64_t item = std::int64_t{1} << (gen() % 4);
    std::vector<std::int64_t> extent(nd), strides(nd);
    for (int k = 0; k < nd; ++k) {
      extent[k] = static_cast<std::int64_t>(gen() % 5);
      strides[k] = static_cast<std::int64_t>(gen() % 41) - 20;
    }
    const bool want = overlaps_by_listing(extent, strides, item);
    const Overlap got = self_overlap(extent, strides, item);
    CHECK(got != Overlap::undecided);
    CHECK((got != Overlap::none) == want);
    (want ? overlapping : disjoint)++;
  }
  CHECK(overlapping > 1000 && disjoint > 1000);  // both outcomes exercised
  // Views of a C-contiguous 1000 x 1000 x 8 float64 array: nested, decided
  // without listing its 8 million elements.
  CHECK(self_overlap({1000, 1000, 8}, {64000, 64, 8}, 8) == Overlap::none);
  CHECK(self_overlap({8, 1000, 1000}, {8, 64000, 64}, 8) == Overlap::none);
  CHECK(self_overlap({500, 334, 8}, {-128000, 192, 8}, 8) == Overlap::none);
  CHECK(self_overlap({1000, 1000}, {8, 8}, 8) == Overlap::overlapping);  // listed: 1e6 elements
  CHECK(self_overlap({4, 3}, {8, 0}, 8) == Overlap::zero_stride);
  CHECK(self_overlap({4, 0}, {8, 0}, 8) == Overlap::none);  // no elements
  CHECK(self_overlap({3000, 3000}, {16, 24}, 8) == Overlap::undecided);
  CHECK(self_overlap({2, 2}, {std::int64_t{1} << 62, 8}, 8) == Overlap::undecided);
}

}  // namespace

int main() {
  for (int threads : {1, 2, 4}) {
    set_num_threads(threads);
    check_exception_reaches_caller();
    check_isa_pin();
  }
  check_self_overlap();
  std::printf("%d failures\n", failures);
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
