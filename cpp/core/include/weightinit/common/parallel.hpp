// Threading policy (DESIGN.md contract 6). OpenMP over fixed tiles: because
// every value is a pure function of its index, the partition never changes
// results. Workers run under the default floating-point environment, and a
// process forked after we started threads runs serially (GNU libgomp's thread
// pool does not survive fork()).
#pragma once

#include <cstdint>
#include <functional>

namespace weightinit {

int get_num_threads();
// n >= 1 (checked by the caller).
void set_num_threads(int n);
// True in a child process forked after this process started OpenMP threads.
bool threads_disabled_by_fork();

// Runs body(tile) for tile in [0, tiles). Uses up to get_num_threads() threads
// when `work` (elements or flops, the caller's unit) reaches `min_parallel_work`.
// `body` must not throw.
void parallel_for(std::int64_t tiles, std::int64_t work, std::int64_t min_parallel_work,
                  const std::function<void(std::int64_t)>& body);

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
