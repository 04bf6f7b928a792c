#include "weightinit/common/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

#include "weightinit/common/isa.hpp"

// OpenMP is optional at build time (CMake option WEIGHTINIT_OPENMP): without
// it every body runs on the calling thread. Results are the same either way,
// because every value is a pure function of its index (docs/design.md contract 6).
#if defined(_OPENMP)
#include <omp.h>
#endif
// pthread_atfork and the thread-start probe are POSIX; elsewhere (Windows has
// no fork) there is nothing to guard and the team starts unprobed.
#if defined(_OPENMP) && (defined(__unix__) || defined(__APPLE__))
#include <pthread.h>

#include <condition_variable>
#include <vector>
#define WEIGHTINIT_FORK_GUARD 1
#endif

#if defined(WEIGHTINIT_X86)
#include <xmmintrin.h>
#endif

namespace weightinit {
namespace {

// The cancellation flag of the team this thread is a member of, if any.
thread_local const std::atomic<bool>* t_team_failed = nullptr;

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
    return std::clamp(omp_get_max_threads(), 1, max_num_threads());
  }()};
  return slot;
}

// Threads of the OpenMP pool of this calling thread that are known to run:
// GNU libgomp keeps one pool per thread that starts parallel regions, resizes
// it to each region's team and, when it cannot create a thread, prints
// "Thread creation failed" and exits the process. Regions therefore always
// ask for the full team (so the pool only grows when the setting does), and
// before growing it, start_team() checks that the threads can start.
thread_local int t_pool_threads = 1;
// Held from a probe until the probed team has started, so that two calling
// threads do not both count on the same free address space.
std::mutex g_start_mutex;

#if defined(WEIGHTINIT_FORK_GUARD)
// Thread stack size libgomp uses: OMP_STACKSIZE, else GOMP_STACKSIZE (a
// number with an optional B, K, M or G suffix, K by default), else the
// pthread default (0 here).
std::size_t gomp_stack_size() {
  for (const char* name : {"OMP_STACKSIZE", "GOMP_STACKSIZE"}) {
    const char* text = std::getenv(name);
    if (text == nullptr) continue;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(text, &end, 10);
    if (end == text) continue;
    while (*end == ' ' || *end == '\t') ++end;
    const int unit = std::tolower(static_cast<unsigned char>(*end));
    const unsigned shift = unit == 'b' ? 0 : unit == 'm' ? 20 : unit == 'g' ? 30 : 10;
    return static_cast<std::size_t>(n) << shift;
  }
  return 0;
}

struct Probe {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
};

void* probe_thread(void* arg) {
  Probe& probe = *static_cast<Probe*>(arg);
  std::unique_lock<std::mutex> lock(probe.mutex);
  probe.cv.wait(lock, [&] { return probe.release; });
  return nullptr;
}

// How many of `wanted` threads (the caller included) can run at once: starts
// wanted - 1 threads with libgomp's stack size, all alive together, then
// stops them. Their stacks go back to the C library (which caches a few for
// the next threads), so libgomp's start right after finds the room.
int startable_threads(int wanted) {
  std::vector<pthread_t> ids;
  try {
    ids.reserve(static_cast<std::size_t>(wanted));
  } catch (const std::bad_alloc&) {
    return 1;
  }
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return 1;
  if (const std::size_t stack = gomp_stack_size()) pthread_attr_setstacksize(&attr, stack);
  Probe probe;
  for (int i = 1; i < wanted; ++i) {
    pthread_t id;
    if (pthread_create(&id, &attr, probe_thread, &probe) != 0) break;
    ids.push_back(id);
  }
  pthread_attr_destroy(&attr);
  {
    std::lock_guard<std::mutex> lock(probe.mutex);
    probe.release = true;
  }
  probe.cv.notify_all();
  for (const pthread_t id : ids) pthread_join(id, nullptr);
  return 1 + static_cast<int>(ids.size());
}
#else
int startable_threads(int wanted) { return wanted; }
#endif
#endif

// Runs body(thread, team) on a team of up to `threads`, or body(0, 1) on the
// calling thread when that is all there is, the work is small, or the call is
// nested. Each member runs under the default floating-point environment, the
// caller's instruction set and the team's cancellation flag; the first
// exception of any member is rethrown once all have stopped.
void run_team(int threads, std::int64_t work, std::int64_t min_parallel_work,
              const std::function<void(int, int)>& body) {
  const Isa isa = active_isa();
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto member = [&](int thread, int team) {
    DefaultFpEnvironment fp;
    IsaPin pin(isa);
    const std::atomic<bool>* outer = t_team_failed;
    t_team_failed = &failed;
    try {
      body(thread, team);
    } catch (const TeamCancelled&) {
      // Another member failed first; its exception is the one reported.
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed.store(true);
    }
    t_team_failed = outer;
  };
#if defined(_OPENMP)
  if (threads > 1 && work >= min_parallel_work && !omp_in_parallel()) {
    g_pool_started.store(true);
    std::unique_lock<std::mutex> starting(g_start_mutex, std::defer_lock);
    if (threads > t_pool_threads) {
      starting.lock();
      threads = std::max(t_pool_threads, startable_threads(threads));
    }
    if (threads > 1) {
#pragma omp parallel num_threads(threads)
      {
        // Thread 0 is the calling thread, and libgomp has started the
        // others before any member runs.
        if (omp_get_thread_num() == 0) {
          t_pool_threads = omp_get_num_threads();
          if (starting.owns_lock()) starting.unlock();
        }
        member(omp_get_thread_num(), omp_get_num_threads());
      }
      if (error) std::rethrow_exception(error);
      return;
    }
  }
#else
  (void)threads;
  (void)work;
  (void)min_parallel_work;
#endif
  member(0, 1);
  if (error) std::rethrow_exception(error);
}

}  // namespace

int max_num_threads() {
  const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<int>(std::min(4u * cpus, 1024u));
}

bool team_cancelled() {
  return t_team_failed != nullptr && t_team_failed->load(std::memory_order_relaxed);
}

#if defined(_OPENMP)
int get_num_threads() { return threads_disabled_by_fork() ? 1 : thread_slot().load(); }

void set_num_threads(int n) { thread_slot().store(std::clamp(n, 1, max_num_threads())); }

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
  // The whole team even when there are fewer tiles (members without a share
  // return at once): a steady team size keeps libgomp's pool from shrinking
  // and regrowing (run_team).
  const int threads = tiles > 1 ? get_num_threads() : 1;
  // Contiguous equal shares of the tiles, as OpenMP's static schedule.
  run_team(threads, work, min_parallel_work, [&](int thread, int team) {
    const std::int64_t share = (tiles + team - 1) / team;
    const std::int64_t t1 = std::min(tiles, (thread + 1) * share);
    for (std::int64_t t = thread * share; t < t1 && !team_cancelled(); ++t) body(t);
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
