#!/bin/sh
# Set up a virtual environment with costline (regular install, current pip) and render a status
# line from a shipped sample payload, reading your own ~/.claude logs for "today".
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv
# A current pip writes a console script that does not import `re`; setuptools is not needed at
# run time and its import hook would slow every import of the status line.
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip uninstall -q -y setuptools 2>/dev/null || true
rm -rf build
.venv/bin/python -m pip install -q .
.venv/bin/costline < samples/payload-opus.json
