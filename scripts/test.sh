#!/bin/sh
# Set up a virtual environment with costline and its test tools, then lint and run the tests.
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".[test]"
.venv/bin/ruff check statusline tests bench
.venv/bin/python -m pytest "$@"
