"""Fuzz every public entry point; each probe in a worker process (harness.py).

One test per family. It draws its probes with hypothesis (inputs.py), runs them
(crashes and hangs are seen from outside the worker), and fails on any finding
-- unclear error, crash, hang, silent-wrong -- that known_failures.py does not
list. Each known failure also has a reproducer here, expected to fail
(strict): once fixed it passes, the strict xfail fails, and its entry must go.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from . import harness
from .inputs import SCENARIOS, STRATEGIES
from .known_failures import KNOWN_FAILURES, known_point
from .probes import CLEAR, FINDINGS, OK
from .session import KNOWN, RESULTS, SEED

pytestmark = pytest.mark.fuzz_profile


class StillOpen(Exception):
    """A known failure's reproducer still shows it (what the strict xfail expects)."""


def draw_probes(strategy, n, family):
    """``n`` draws of ``strategy``: hypothesis generates, the harness runs them in batches.

    The fuzz profiles, not tests/conftest.py's hypothesis profile, set the count.
    """
    drawn = []

    @seed(SEED + sum(map(ord, family)))
    @settings(
        max_examples=n,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(strategy)
    def collect(probe):
        drawn.append(probe)

    collect()
    return drawn


@pytest.mark.parametrize("family", list(STRATEGIES))
def test_family(family, profile):
    strategy, timeout = STRATEGIES[family]
    n = profile.scenario_examples if family in SCENARIOS else profile.examples
    results = harness.run(draw_probes(strategy, n, family), timeout=timeout, batch=profile.batch)
    RESULTS[family] = results
    unknown = []
    for r in results:
        if r.outcome not in FINDINGS:
            continue
        point = known_point(r)
        if point is None:
            unknown.append(r)
        else:
            KNOWN[(family, r.outcome, point)] += 1
    assert len(results) >= 1
    assert not unknown, f"{len(unknown)} new findings:\n" + "\n".join(
        r.describe() + "".join(f" ({note})" for note in r.notes) for r in unknown[:25]
    )


@pytest.mark.parametrize(
    "entry",
    [pytest.param(e, marks=pytest.mark.xfail(strict=True, raises=StillOpen,
                                             reason=f"issue 15 point {e.point}"),
                  id=f"point-{e.point}-{e.name}") for e in KNOWN_FAILURES if e.reproducer],
)  # fmt: skip
def test_known_failure_is_still_open(entry):
    (result,) = harness.run([entry.reproducer], timeout=entry.timeout, batch=1)
    if entry.matches(result):
        raise StillOpen(result.describe())  # the expected failure
    # Fixed (then the strict xfail fails: delete the entry), or failing in a new way.
    assert result.outcome in (OK, CLEAR), f"the reproducer fails otherwise: {result.describe()}"
