"""What a fuzz run shares: its profile, its seed, and the results for the summary.

``WEIGHTINIT_FUZZ=quick`` (CI: .ci/run) or ``long`` (release checks:
docs/releasing.md); ``WEIGHTINIT_FUZZ_SEED`` replays a run.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from dataclasses import dataclass

from .harness import Result


@dataclass(frozen=True)
class Profile:
    name: str
    examples: int  # inputs per argument-fuzzing family
    scenario_examples: int  # per scenario family (each starts processes of its own)
    batch: int  # probes per worker process


PROFILES = {
    # About 580 inputs plus the known failures' reproducers: CI (.ci/run), within 3 minutes
    # on 2 busy cores.
    "quick": Profile("quick", examples=40, scenario_examples=4, batch=200),
    # About 21,500 inputs, new ones each run: before a release (docs/releasing.md).
    "long": Profile("long", examples=1500, scenario_examples=120, batch=250),
}
PROFILE = PROFILES.get(os.environ.get("WEIGHTINIT_FUZZ", ""))
# The quick (CI) profile draws the same inputs every run unless a seed is given; the
# long one draws new inputs each time (the summary prints the seed to replay them).
_seed = os.environ.get("WEIGHTINIT_FUZZ_SEED")
if not _seed and PROFILE is not None and PROFILE.name == "long":
    _seed = str(random.SystemRandom().randrange(2**32))
SEED = int(_seed or 0)

#: family -> its results; (family, outcome, issue point) of the known findings.
RESULTS: dict[str, list[Result]] = {}
KNOWN: Counter[tuple[str, str, str]] = Counter()
