// Threading policy (docs/design.md contract 6). OpenMP over fixed tiles: because
// every value is a pure function of its index, the partition never changes
// results. Workers run under the default floating-point environment, and a
// process forked after we started threads runs serially (GNU libgomp's thread
// pool does not survive fork()). A build without OpenMP (WEIGHTINIT_OPENMP
// off, or no OpenMP found) runs every body on the calling thread: same bits,
// get_num_threads() is 1 and set_num_threads() is accepted and ignored.
#pragma once

#include <cstdint>
#include <functional>

namespace weightinit {

// Threads the core may use: 1 in a build without OpenMP, and in a child forked
// after the pool started.
int get_num_threads();
// n >= 1 (checked by the caller). No effect in a build without OpenMP.
void set_num_threads(int n);
// True in a child process forked after this process started OpenMP threads.
bool threads_disabled_by_fork();

// Runs body(tile) for tile in [0, tiles). Uses up to get_num_threads() threads
// when `work` (elements or flops, the caller's unit) reaches `min_parallel_work`.
// `body` must not throw. Called from inside another parallel region (a
// body), it runs on the calling thread alone.
void parallel_for(std::int64_t tiles, std::int64_t work, std::int64_t min_parallel_work,
                  const std::function<void(std::int64_t)>& body);

// Runs body(thread, threads) once on each thread of a team, under the same
// rules as parallel_for; body(0, 1) on the calling thread when the work is
// small, threads are off, or the call is nested. For work the caller splits
// itself (body must cope with any team size it is given).
void parallel_team(std::int64_t work, std::int64_t min_parallel_work,
                   const std::function<void(int thread, int threads)>& body);

// Sets round-to-nearest, no FTZ/DAZ, all exceptions masked for its lifetime:
// a -ffast-math library loaded in the process must not change our bits.
class DefaultFpEnvironment {
 public:
  DefaultFpEnvironment();
  ~DefaultFpEnvironment();
  DefaultFpEnvironment(const DefaultFpEnvironment&) = delete;
  DefaultFpEnvironment& operator=(const DefaultFpEnvironment&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace weightinit
