#!/bin/sh
# Set up .venv with costline (a regular install) and render a status line from a shipped sample
# payload; "today" reads your own Claude Code logs, if any.
set -eu
cd "$(dirname "$0")/.."
. scripts/venv.sh
.venv/bin/python -m pip install -q .
.venv/bin/costline < samples/payload-opus.json
