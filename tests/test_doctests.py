"""The examples in the docstrings run and print what they show.

Runs the doctests of the ``weightinit`` the tests import (the installed
package in CI, the source tree with ``PYTHONPATH=python``), so they always
exercise the compiled core the other tests use. A module whose optional
framework is not installed is skipped, with that reason; nothing else is.
"""

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import weightinit

# Modules whose examples need an optional package (not a dependency of weightinit).
OPTIONAL = {
    "weightinit.checkpoint": "torch",  # write_manifest's example builds a meta-device model
    "weightinit.dask": "dask",
    "weightinit.diagnostics._plotting": "matplotlib",
    "weightinit.jax": "jax",
    "weightinit.keras": "keras",
    "weightinit.torch": "torch",
}
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(weightinit.__path__, "weightinit.")
    if not m.name.endswith("__main__")  # runs the command line on import
)


def test_the_module_list_is_complete():
    assert {"weightinit.random", "weightinit._validation", "weightinit.cli.sample"} <= set(MODULES)
    assert set(OPTIONAL) <= set(MODULES)


@pytest.mark.parametrize("name", ["weightinit", *MODULES])
def test_docstring_examples(name, tmp_path, monkeypatch):
    framework = OPTIONAL.get(name)
    if framework is not None and importlib.util.find_spec(framework) is None:
        pytest.skip(f"{name} needs {framework}, which is not installed")
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report = []
    for test in finder.find(module, name):
        runner.run(test, out=report.append)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, "".join(report)
