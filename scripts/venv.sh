# Sourced by demo.sh and test.sh: a virtual environment in .venv with a current pip.
# A current pip writes a console script that does not import `re`; setuptools is not needed at
# run time and its import hook would slow every import of the status line.
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip uninstall -q -y setuptools 2>/dev/null || true
rm -rf build
