#!/bin/sh
# Set up a virtual environment with costline (regular install, current pip) and render a status
# line from a shipped sample payload, reading your own ~/.claude logs for "today".
set -eu
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q .
.venv/bin/costline < samples/payload-opus.json
