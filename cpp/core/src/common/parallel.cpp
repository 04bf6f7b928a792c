#include "weightinit/common/parallel.hpp"

#include <omp.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>

#if defined(WEIGHTINIT_X86)
#include <xmmintrin.h>
#endif

namespace weightinit {
namespace {

std::atomic<bool> g_pool_started{false};
std::atomic<bool> g_forked_after_pool{false};

void after_fork_in_child() {
  if (g_pool_started.load()) g_forked_after_pool.store(true);
}

std::atomic<int>& thread_slot() {
  // OMP_NUM_THREADS (or the core count) is the default, read once.
  static std::atomic<int> slot{[] {
    pthread_atfork(nullptr, nullptr, after_fork_in_child);
    return std::max(1, omp_get_max_threads());
  }()};
  return slot;
}

// body(thread, team) on a team of up to `threads`, or body(0, 1) on the calling
// thread when that is all there is, the work is small, or the call is nested.
void run_team(int threads, std::int64_t work, std::int64_t min_parallel_work,
              const std::function<void(int, int)>& body) {
  if (threads <= 1 || work < min_parallel_work || omp_in_parallel()) {
    DefaultFpEnvironment fp;
    body(0, 1);
    return;
  }
  g_pool_started.store(true);
#pragma omp parallel num_threads(threads)
  {
    DefaultFpEnvironment fp;
    body(omp_get_thread_num(), omp_get_num_threads());
  }
}

}  // namespace

int get_num_threads() { return threads_disabled_by_fork() ? 1 : thread_slot().load(); }

void set_num_threads(int n) { thread_slot().store(std::max(1, n)); }

bool threads_disabled_by_fork() {
  thread_slot();  // make sure the fork handler is registered
  return g_forked_after_pool.load();
}

void parallel_for(std::int64_t tiles, std::int64_t work, std::int64_t min_parallel_work,
                  const std::function<void(std::int64_t)>& body) {
  const int threads = static_cast<int>(std::min<std::int64_t>(get_num_threads(), tiles));
  // Contiguous equal shares of the tiles, as OpenMP's static schedule.
  run_team(threads, work, min_parallel_work, [&](int thread, int team) {
    const std::int64_t share = (tiles + team - 1) / team;
    const std::int64_t t1 = std::min(tiles, (thread + 1) * share);
    for (std::int64_t t = thread * share; t < t1; ++t) body(t);
  });
}

void parallel_team(std::int64_t work, std::int64_t min_parallel_work,
                   const std::function<void(int, int)>& body) {
  run_team(get_num_threads(), work, min_parallel_work, body);
}

#if defined(WEIGHTINIT_X86)
// 0x1F80: all exceptions masked, round to nearest even, no FTZ, no DAZ.
DefaultFpEnvironment::DefaultFpEnvironment() : saved_(_mm_getcsr()) { _mm_setcsr(0x1F80u); }
DefaultFpEnvironment::~DefaultFpEnvironment() { _mm_setcsr(saved_); }
#else
DefaultFpEnvironment::DefaultFpEnvironment() {}
DefaultFpEnvironment::~DefaultFpEnvironment() {}
#endif

}  // namespace weightinit
