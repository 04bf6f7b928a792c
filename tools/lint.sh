#!/usr/bin/env bash
# Static checks of the whole tree: ruff (lint and format), clang-format, codespell and
# mypy --strict over python/weightinit. With pre-commit installed this runs the hooks of
# .pre-commit-config.yaml (the same tools, offline); without it, the tools directly.
# Exits non-zero on any finding. Configuration: pyproject.toml ([tool.ruff],
# [tool.codespell], [tool.mypy]) and .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v pre-commit >/dev/null 2>&1; then
  pre-commit run --all-files --show-diff-on-failure
else
  git ls-files -z '*.py' '*.pyi' | xargs -0 ruff check
  git ls-files -z '*.py' '*.pyi' | xargs -0 ruff format --check
  git ls-files -z '*.cpp' '*.hpp' '*.h' '*.inl' | xargs -0 clang-format --dry-run --Werror
  codespell
  mypy --strict python/weightinit
fi
