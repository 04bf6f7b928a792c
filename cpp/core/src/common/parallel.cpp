#include "weightinit/common/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>

// OpenMP is optional at build time (CMake option WEIGHTINIT_OPENMP): without
// it every body runs on the calling thread. Results are the same either way,
// because every value is a pure function of its index (docs/design.md contract 6).
#if defined(_OPENMP)
#include <omp.h>
#endif
// pthread_atfork is POSIX; elsewhere (Windows has no fork) nothing to guard.
#if defined(_OPENMP) && (defined(__unix__) || defined(__APPLE__))
#include <pthread.h>
#define WEIGHTINIT_FORK_GUARD 1
#endif

#if defined(WEIGHTINIT_X86)
#include <xmmintrin.h>
#endif

namespace weightinit {
namespace {

#if defined(_OPENMP)
std::atomic<bool> g_pool_started{false};
std::atomic<bool> g_forked_after_pool{false};

#if defined(WEIGHTINIT_FORK_GUARD)
void after_fork_in_child() {
  if (g_pool_started.load()) g_forked_after_pool.store(true);
}
#endif

std::atomic<int>& thread_slot() {
  // OMP_NUM_THREADS (or the core count) is the default, read once.
  static std::atomic<int> slot{[] {
#if defined(WEIGHTINIT_FORK_GUARD)
    pthread_atfork(nullptr, nullptr, after_fork_in_child);
#endif
    return std::max(1, omp_get_max_threads());
  }()};
  return slot;
}
#endif

// body(thread, team) on a team of up to `threads`, or body(0, 1) on the calling
// thread when that is all there is, the work is small, or the call is nested.
void run_team(int threads, std::int64_t work, std::int64_t min_parallel_work,
              const std::function<void(int, int)>& body) {
#if defined(_OPENMP)
  if (threads > 1 && work >= min_parallel_work && !omp_in_parallel()) {
    g_pool_started.store(true);
#pragma omp parallel num_threads(threads)
    {
      DefaultFpEnvironment fp;
      body(omp_get_thread_num(), omp_get_num_threads());
    }
    return;
  }
#else
  (void)threads;
  (void)work;
  (void)min_parallel_work;
#endif
  DefaultFpEnvironment fp;
  body(0, 1);
}

}  // namespace

#if defined(_OPENMP)
int get_num_threads() { return threads_disabled_by_fork() ? 1 : thread_slot().load(); }

void set_num_threads(int n) { thread_slot().store(std::max(1, n)); }

bool threads_disabled_by_fork() {
  thread_slot();  // make sure the fork handler is registered
  return g_forked_after_pool.load();
}
#else
// A build without OpenMP has one thread: the setting is accepted and ignored.
int get_num_threads() { return 1; }

void set_num_threads(int) {}

bool threads_disabled_by_fork() { return false; }
#endif

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
// MXCSR 0x1F80: all exceptions masked, round to nearest even, no FTZ, no DAZ.
DefaultFpEnvironment::DefaultFpEnvironment() : saved_(_mm_getcsr()) { _mm_setcsr(0x1F80u); }
DefaultFpEnvironment::~DefaultFpEnvironment() { _mm_setcsr(saved_); }
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
// FPCR 0: round to nearest even, no flush-to-zero (FZ, FZ16), no default-NaN,
// all exception traps disabled. Its defined control bits lie in the low 32.
namespace {
std::uint64_t read_fpcr() {
  std::uint64_t r;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(r));
  return r;
}
void write_fpcr(std::uint64_t r) { __asm__ __volatile__("msr fpcr, %0" : : "r"(r)); }
}  // namespace
DefaultFpEnvironment::DefaultFpEnvironment() : saved_(static_cast<unsigned>(read_fpcr())) {
  write_fpcr(0);
}
DefaultFpEnvironment::~DefaultFpEnvironment() { write_fpcr(saved_); }
#else
// Other CPUs: the environment the thread has (no FTZ control is portable).
DefaultFpEnvironment::DefaultFpEnvironment() {}
DefaultFpEnvironment::~DefaultFpEnvironment() {}
#endif

}  // namespace weightinit
