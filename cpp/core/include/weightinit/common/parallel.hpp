// Threading policy (docs/design.md contract 6). OpenMP over fixed tiles: because
// every value is a pure function of its index, the partition never changes
// results. Workers run under the default floating-point environment, and a
// process forked after we started threads runs serially (GNU libgomp's thread
// pool does not survive fork()). A build without OpenMP (WEIGHTINIT_OPENMP
// off, or no OpenMP found) runs every body on the calling thread: same bits,
// get_num_threads() is 1 and set_num_threads() is accepted and ignored.
//
// Failure (docs/design.md contract 6): an exception thrown by a body on any
// thread of a team cancels the team and is rethrown on the calling thread
// once every member has stopped; a team that cannot start all its threads
// runs with the threads it could start (same bits).
#pragma once

#include <cstdint>
#include <functional>

namespace weightinit {

// Threads the core may use: 1 in a build without OpenMP, and in a child forked
// after the pool started.
int get_num_threads();
// The largest accepted thread count: 4 per CPU, at most 1024 (more only adds
// thread stacks; each costs address space whether used or not).
int max_num_threads();
// 1 <= n <= max_num_threads() (checked by the caller). No effect in a build
// without OpenMP.
void set_num_threads(int n);
// True in a child process forked after this process started OpenMP threads.
bool threads_disabled_by_fork();

// Runs body(tile) for tile in [0, tiles). Uses up to get_num_threads() threads
// when `work` (elements or flops, the caller's unit) reaches `min_parallel_work`.
// If `body` throws, the remaining tiles are skipped and the first exception is
// rethrown here. Called from inside another parallel region (a body), it runs
// on the calling thread alone.
void parallel_for(std::int64_t tiles, std::int64_t work, std::int64_t min_parallel_work,
                  const std::function<void(std::int64_t)>& body);

// Runs body(thread, threads) once on each thread of a team, under the same
// rules as parallel_for; body(0, 1) on the calling thread when the work is
// small, threads are off, or the call is nested. For work the caller splits
// itself (body must cope with any team size it is given). If a member
// throws, the others are cancelled at their next wait_until (spin_wait.hpp)
// and the first exception is rethrown here.
void parallel_team(std::int64_t work, std::int64_t min_parallel_work,
                   const std::function<void(int thread, int threads)>& body);

// Thrown by wait_until in a member of a team that another member's exception
// cancelled; run by the team itself, never seen by callers.
struct TeamCancelled {};
// True on a thread of a team (parallel_for, parallel_team) that a member's
// exception has cancelled.
bool team_cancelled();

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
