// Runtime choice of the instruction set for the vector kernels (docs/design.md
// contract 3): wheels target baseline x86-64, faster paths are picked once
// from CPUID, and a lower path can be forced so tests compare every path.
// The random kernels and the GEMM both dispatch through isa_table() below,
// so forcing a path selects it for both.
#pragma once

#include <string>
#include <vector>

namespace weightinit {

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
bool isa_from_name(const std::string& name, Isa* out);

// Paths this CPU (and this build) can run, lowest first. The test-only
// emulated AVX-512 build (docs/building.md) lists avx512 on every x86-64 CPU.
std::vector<Isa> available_isas();
// The fastest path the CPU itself has: the default.
Isa best_isa();
// The instruction set of the call running on this thread (IsaPin below), or
// else the process-wide setting.
Isa active_isa();
// Sets the process-wide setting, which calls read once, at their start.
// Precondition: `isa` is in available_isas() (checked by the caller).
void set_active_isa(Isa isa);

// Pins the instruction set for this thread while it lives: every entry point
// of the core holds one from start to end, and the parallel helpers give each
// member of a team its caller's, so a call never mixes the tables (packed GEMM
// layouts differ between paths) when another thread changes the setting. A
// pin inside another keeps the outer one's choice.
class IsaPin {
 public:
  IsaPin();                  // the current choice: the outer pin's, or the setting
  explicit IsaPin(Isa isa);  // `isa` (a team member taking its caller's)
  ~IsaPin();
  IsaPin(const IsaPin&) = delete;
  IsaPin& operator=(const IsaPin&) = delete;

 private:
  int saved_;
};

// A table of one instruction set's entry points, defined in that set's
// translation unit (files *_avx2.cpp / *_avx512.cpp, built for x86-64 only).
template <class Table>
using IsaTableGetter = const Table& (*)();

// The table of the active instruction set. Pass WEIGHTINIT_X86_ONLY(getter)
// for the vector paths: on other CPUs their files are not built and the
// getter is null (those paths are never available there).
template <class Table>
const Table& isa_table(IsaTableGetter<Table> scalar, IsaTableGetter<Table> avx2,
                       IsaTableGetter<Table> avx512) {
  IsaTableGetter<Table> getter = scalar;
  switch (active_isa()) {
    case Isa::avx512:
      getter = avx512;
      break;
    case Isa::avx2:
      getter = avx2;
      break;
    case Isa::scalar:
      break;
  }
  return getter != nullptr ? getter() : scalar();
}

}  // namespace weightinit

#if defined(WEIGHTINIT_X86)
#define WEIGHTINIT_X86_ONLY(getter) (getter)
#else
#define WEIGHTINIT_X86_ONLY(getter) nullptr
#endif
