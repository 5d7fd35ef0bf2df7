#!/bin/sh
# Set up .venv with costline (a regular install) and render a status line from a shipped sample
# payload against a made-up history of today (samples/demo.py): none of your logs are read and
# nothing is written into your cache.
set -eu
cd "$(dirname "$0")/.."
. scripts/venv.sh
.venv/bin/python -m pip install -q .
.venv/bin/python samples/demo.py samples/payload-opus.json
