#!/bin/sh
# Set up .venv with costline and its test tools, then lint, type-check and run the tests.
set -eu
cd "$(dirname "$0")/.."
. scripts/venv.sh
.venv/bin/python -m pip install -q ".[test]"
.venv/bin/ruff check statusline tests bench samples
.venv/bin/ruff format --check statusline tests bench samples
.venv/bin/mypy statusline
.venv/bin/python -m pytest "$@"
