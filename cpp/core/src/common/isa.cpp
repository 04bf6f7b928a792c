// The active instruction set: the best one from CPUID, or a lower one forced.
#include "weightinit/common/isa.hpp"

#include <atomic>

namespace weightinit {
namespace {

bool cpu_has(Isa isa) {
#if defined(WEIGHTINIT_X86) && (defined(__GNUC__) || defined(__clang__))
  // libgcc's CPU model also checks that the OS saves the wide registers (XGETBV).
  switch (isa) {
    case Isa::scalar:
      return true;
    case Isa::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("fma");
  }
  return false;
#else
  return isa == Isa::scalar;
#endif
}

// The emulated build (CMake WEIGHTINIT_EMULATE_AVX512, docs/building.md) runs
// its AVX-512 kernels on baseline x86-64: any CPU can take that path when
// forced, but the CPU's own best path stays the default.
bool can_run(Isa isa) {
#if defined(WEIGHTINIT_EMULATE_AVX512)
  if (isa == Isa::avx512) return true;
#endif
  return cpu_has(isa);
}

std::atomic<int>& active_slot() {
  static std::atomic<int> slot{static_cast<int>(best_isa())};
  return slot;
}

// This thread's pinned instruction set, or -1 outside a call.
thread_local int t_pinned = -1;

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::scalar:
      return "scalar";
    case Isa::avx2:
      return "avx2";
    case Isa::avx512:
      return "avx512";
  }
  return "unknown";
}

bool isa_from_name(const std::string& name, Isa* out) {
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512}) {
    if (name == isa_name(isa)) {
      *out = isa;
      return true;
    }
  }
  return false;
}

std::vector<Isa> available_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::scalar, Isa::avx2, Isa::avx512})
    if (can_run(isa)) isas.push_back(isa);
  return isas;
}

Isa best_isa() {
  Isa best = Isa::scalar;
  for (Isa isa : {Isa::avx2, Isa::avx512})
    if (cpu_has(isa)) best = isa;
  return best;
}

Isa active_isa() {
  if (t_pinned >= 0) return static_cast<Isa>(t_pinned);
  return static_cast<Isa>(active_slot().load(std::memory_order_relaxed));
}

void set_active_isa(Isa isa) { active_slot().store(static_cast<int>(isa)); }

IsaPin::IsaPin() : saved_(t_pinned) { t_pinned = static_cast<int>(active_isa()); }

IsaPin::IsaPin(Isa isa) : saved_(t_pinned) { t_pinned = static_cast<int>(isa); }

IsaPin::~IsaPin() { t_pinned = saved_; }

}  // namespace weightinit
