import os
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import weightinit as wi

# --- hypothesis profiles -------------------------------------------------------
# HYPOTHESIS_PROFILE=dev (the default: quick local runs) or ci (thorough; .ci/run).
# The profile alone decides how many examples a property gets: no test sets
# max_examples. deadline=None: example times vary with the machine's load, and
# timing is not what these tests check.
settings.register_profile(
    "dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# A test run started as a background job of a non-interactive shell inherits SIGINT
# ignored, and so would every process it starts: the tests that send SIGINT to a
# writer would then wait for nothing. A handler here (Python's own) makes the
# children start with the default disposition again (exec resets caught signals).
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

DTYPES = [np.float16, np.float32, np.float64]


@pytest.fixture
def each_isa():
    """Yield-free helper: the list of instruction sets this machine can run."""
    return wi.simd.available()


@pytest.fixture(autouse=True)
def _restore_global_state():
    isa = wi.simd.active()
    threads = wi.get_num_threads()
    yield
    wi.simd.force(isa)
    wi.set_num_threads(threads)


def pytest_report_header(config):
    return (
        f"hypothesis profile: {os.environ.get('HYPOTHESIS_PROFILE', 'dev')}; "
        f"weightinit: isas={wi.simd.available()} active={wi.simd.active()} "
        f"threads={wi.get_num_threads()} OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}"
    )


# ---- begin: instruction-set and thread-count fixtures ------------------------------------
# Thread counts the determinism tests compare: one, two, and more than this machine's cores.
THREAD_COUNTS = (1, 2, 7)


@pytest.fixture(params=wi.simd.available())
def isa(request):
    """Each instruction set this machine can run, forced for the test and restored after."""
    with wi.simd.force(request.param):
        yield request.param


@pytest.fixture
def num_threads():
    """wi.set_num_threads for the test to call; the previous thread count is restored after."""
    previous = wi.get_num_threads()
    yield wi.set_num_threads
    wi.set_num_threads(previous)


# ---- end: instruction-set and thread-count fixtures --------------------------------------
