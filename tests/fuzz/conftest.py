"""The fuzz suite's profiles, its gate, and the summary printed at the end of a run.

``WEIGHTINIT_FUZZ=quick`` (CI: .ci/run) or ``long`` (release checks:
docs/releasing.md) runs the fuzz families (test_fuzz.py); without it they are
deselected, and only the harness's own tests (test_harness.py) run.
``WEIGHTINIT_FUZZ_SEED`` replays a run (the summary prints the seed used).
"""

from __future__ import annotations

from collections import Counter

import pytest

from .probes import CLEAR, CRASH, HANG, OK, UNCLEAR, WRONG
from .session import KNOWN, PROFILE, RESULTS, SEED


def pytest_collection_modifyitems(config, items):
    if PROFILE is not None:
        return
    gated = [item for item in items if item.get_closest_marker("fuzz_profile")]
    if gated:
        config.hook.pytest_deselected(items=gated)
        items[:] = [item for item in items if item not in gated]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fuzz_profile: runs only with WEIGHTINIT_FUZZ=quick|long (tests/fuzz)"
    )


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    write = terminalreporter.write_line
    every = [r for results in RESULTS.values() for r in results]
    counts = Counter(r.outcome for r in every)
    terminalreporter.section(f"weightinit fuzz: profile {PROFILE.name}, seed {SEED}")
    write(f"{'family':<22} {'inputs':>6} {'ok':>6} {'clear':>6} {'unclear':>7} {'crash':>6} "
          f"{'hang':>5} {'wrong':>6}")  # fmt: skip
    for family, results in RESULTS.items():
        c = Counter(r.outcome for r in results)
        write(f"{family:<22} {len(results):>6} {c[OK]:>6} {c[CLEAR]:>6} {c[UNCLEAR]:>7} "
              f"{c[CRASH]:>6} {c[HANG]:>5} {c[WRONG]:>6}")  # fmt: skip
    for (family, outcome, point), n in sorted(KNOWN.items()):
        write(f"known (issue 15 point {point}): {n} x {outcome} in {family}")
    write(
        f"inputs {len(every)}, ok {counts[OK]}, clear errors {counts[CLEAR]}, "
        f"unclear errors {counts[UNCLEAR]}, crashes {counts[CRASH]}, hangs {counts[HANG]}, "
        f"silent-wrong {counts[WRONG]} (known open: {sum(KNOWN.values())})"
    )


@pytest.fixture
def profile():
    return PROFILE
