"""The environment of a child Python process that must import this weightinit.

Tests run against the source tree (``PYTHONPATH=python``) or an installed wheel;
a child process finds the same package through ``PYTHONPATH``.
"""

import os
from pathlib import Path

import weightinit

#: The directory holding the ``weightinit`` package this process imported.
PACKAGE_PARENT = str(Path(weightinit.__file__).resolve().parents[1])


def python_path() -> str:
    """``PYTHONPATH`` with :data:`PACKAGE_PARENT` first."""
    return os.pathsep.join(filter(None, [PACKAGE_PARENT, os.environ.get("PYTHONPATH")]))


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment, :func:`python_path` and ``extra`` variables."""
    return {**os.environ, "PYTHONPATH": python_path(), **extra}
