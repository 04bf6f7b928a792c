// Waiting for another thread of the same team inside a parallel region (the
// lock-free orgqr schedule): spin briefly, then yield. Never used across calls.
#pragma once

#include <thread>

#include "weightinit/common/parallel.hpp"

namespace weightinit {

// Spin-wait hint (short waits inside a team, never across calls).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until ready() (a short wait inside a team), then yields the core
// while it keeps waiting, in case the thread it waits for is not running.
// Throws TeamCancelled when another member of the team failed: what it waits
// for may never come.
template <class Ready>
void wait_until(Ready ready) {
  for (int spins = 0; !ready(); ++spins) {
    if (spins % 64 == 0 && team_cancelled()) throw TeamCancelled{};
    if (spins < (1 << 12))
      cpu_relax();
    else
      std::this_thread::yield();
  }
}

}  // namespace weightinit
