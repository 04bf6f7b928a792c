#!/usr/bin/env python3
"""Check that AVX code in the built extension runs only inside ISA-specific functions.

The rule (docs/building.md, CMakeLists.txt): only *_avx2.cpp / *_avx512.cpp
get AVX flags, and everything those files define is named by a per-ISA
namespace (``weightinit::random::avx2``, ``weightinit::linalg::avx512``, ...),
most of it in an anonymous namespace inside that. An inline or template
function such as ``std::vector<float>::_M_default_append`` compiled in an ISA
file is emitted as a weak (COMDAT) copy under the same name as the baseline
files' copy, and the linker keeps whichever copy it meets first: if it keeps the
AVX copy, a baseline caller on a CPU without AVX dies with SIGILL. Functions
named by an ISA namespace cannot be called from baseline code except through
the dispatcher, which checks the CPU first.

So: disassemble the extension (``objdump -d``), map every instruction that uses
a ymm/zmm/mask register or is VEX/EVEX-encoded (mnemonic ``v...``: AVX, FMA,
AVX-512) to the function symbol it lies in, and fail if that function's name
does not contain an ISA namespace (``avx2::`` or ``avx512::``). Also fail if a
weak or global symbol defined by an ISA object file (given with --objects) is
not so named: that is the same hazard before the linker has chosen.

Needs the unstripped build-tree extension (the CMake build does not strip it;
the installed copy is stripped). A -march=native build fails by design.
Usage: tools/check-isa-isolation.py BUILD_DIR   (or path/to/_core*.so)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ISA_NAMESPACE = re.compile(r"\b(avx2|avx512)::")
WIDE_REGISTER = re.compile(r"%(ymm|zmm)\d+|%k[0-7]\b")
# Mnemonics beginning with "v" that are not VEX/EVEX-encoded vector instructions.
NOT_VEX = {"verr", "verw", "vmcall", "vmlaunch", "vmresume", "vmxoff", "vmxon", "vmread",
           "vmwrite", "vmclear", "vmptrld", "vmptrst", "vmfunc", "vmrun", "vmload", "vmsave",
           "vmmcall"}  # fmt: skip
# Linker/compiler-made names that are not C++ functions of ours.
CLONE_SUFFIX = re.compile(r"\.(constprop|isra|part|cold|lto_priv|localalias)[.\d]*")
HEADER = re.compile(r"^([0-9a-f]+) <(.+)>:$")


def demangle(names: list[str]) -> list[str]:
    out = subprocess.run(
        ["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True
    ).stdout
    return out.splitlines()


def avx_functions(so: Path) -> dict[str, int]:
    """Mangled function symbol -> number of AVX instructions in it."""
    dump = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", str(so)], capture_output=True, text=True, check=True
    ).stdout
    counts: dict[str, int] = {}
    function = None
    for line in dump.splitlines():
        m = HEADER.match(line)
        if m:
            function = m.group(2)
            continue
        parts = line.split("\t")
        if function is None or len(parts) < 2 or not parts[0].strip().endswith(":"):
            continue
        insn = parts[1].strip()
        mnemonic = insn.split(" ", 1)[0]
        if WIDE_REGISTER.search(insn) or (mnemonic.startswith("v") and mnemonic not in NOT_VEX):
            counts[function] = counts.get(function, 0) + 1
    return counts


def symbol_name(symbol: str) -> str:
    return CLONE_SUFFIX.sub("", symbol.split("@", 1)[0])


def check_extension(so: Path) -> tuple[list[str], int]:
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(so)], capture_output=True, text=True, check=True
    ).stdout
    if ".symtab" not in sections:
        sys.exit(f"{so}: stripped (no .symtab); check the build-tree copy, not the installed one")
    counts = avx_functions(so)
    if not any(ISA_NAMESPACE.search(n) for n in demangle(list(map(symbol_name, counts)))):
        sys.exit(f"{so}: no AVX code in any ISA function; not an x86-64 build with ISA files?")
    problems = []
    for mangled, name in zip(counts, demangle([symbol_name(s) for s in counts])):
        if not ISA_NAMESPACE.search(name):
            problems.append(f"{counts[mangled]:6d} AVX instructions in {name}  [{mangled}]")
    return problems, len(counts)


def check_objects(build_dir: Path) -> list[str]:
    """Weak or global definitions in ISA objects that baseline code could bind to."""
    problems = []
    for obj in sorted(build_dir.rglob("*_avx*.cpp.o")):
        out = subprocess.run(
            ["nm", "--defined-only", "-C", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        for line in out.splitlines():
            parts = line.split(" ", 2)
            # Upper case: global or weak; "u": unique global. Lower case: local.
            if len(parts) < 3 or not (parts[1].isupper() or parts[1] == "u"):
                continue
            if not ISA_NAMESPACE.search(parts[2]):
                problems.append(f"{obj.name}: '{parts[1]}' {parts[2]}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("path", type=Path, help="CMake build directory or the _core*.so")
    args = parser.parse_args()
    if args.path.is_dir():
        found = sorted(args.path.glob("_core*.so"))
        if len(found) != 1:
            sys.exit(f"{args.path}: expected one _core*.so, found {len(found)}")
        so, build_dir = found[0], args.path
    else:
        so, build_dir = args.path, None
    problems, functions = check_extension(so)
    if build_dir is not None:
        problems += check_objects(build_dir)
    if problems:
        print(f"{so.name}: AVX code reachable outside the ISA functions:")
        print("\n".join(problems))
        return 1
    print(f"{so.name}: AVX code only in ISA functions ({functions} functions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
