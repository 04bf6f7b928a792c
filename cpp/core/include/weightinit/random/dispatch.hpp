// Runtime choice of the instruction set for the vector kernels (DESIGN.md
// contract 3): wheels target baseline x86-64, faster paths are picked once
// from CPUID, and a lower path can be forced so tests compare every path.
#pragma once

#include <string>
#include <vector>

namespace weightinit {

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

const char* isa_name(Isa isa);
bool isa_from_name(const std::string& name, Isa* out);

// Paths this CPU (and this build) can run, lowest first.
std::vector<Isa> available_isas();
Isa best_isa();
Isa active_isa();
// Precondition: `isa` is in available_isas() (checked by the caller).
void set_active_isa(Isa isa);

}  // namespace weightinit
