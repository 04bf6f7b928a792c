"""The machine line printed with every benchmark table in bench/python.

A table's numbers mean little without the CPU, the instruction set weightinit's kernels
chose (``weightinit.simd``), the numpy build and OpenBLAS's core-type override (a set
``OPENBLAS_CORETYPE`` holds numpy's BLAS back), so every script prints ``describe()``
next to each table it prints. The scripts are run as ``python bench/python/X.py``, which
puts this directory on ``sys.path``: they ``import _machine``.
"""

from __future__ import annotations

import datetime
import os
import platform


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def describe() -> str:
    """One line: CPU model, cores, Python, weightinit version and ISA, numpy, OpenBLAS, UTC time."""
    # Imported here, not at the top: some scripts must set environment variables (XLA_FLAGS,
    # KERAS_BACKEND, thread counts) before numpy or weightinit is first imported.
    import numpy as np

    import weightinit as wi

    coretype = os.environ.get("OPENBLAS_CORETYPE")
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"weightinit {wi.__version__} (ISA {wi.simd.active()}), numpy {np.__version__}; "
        f"OPENBLAS_CORETYPE {'=' + coretype if coretype else 'unset'}; "
        f"{now:%Y-%m-%d %H:%M} UTC."
    )
