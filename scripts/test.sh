#!/bin/sh
# Set up a virtual environment with costline and its test tools, then lint and run the tests.
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv
# A current pip writes a console script that does not import `re`; setuptools is not needed at
# run time and its import hook would slow every import of the status line.
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip uninstall -q -y setuptools 2>/dev/null || true
rm -rf build
.venv/bin/python -m pip install -q ".[test]"
.venv/bin/ruff check statusline tests bench
.venv/bin/ruff format --check statusline tests bench
.venv/bin/mypy statusline
.venv/bin/python -m pytest "$@"
