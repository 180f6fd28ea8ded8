#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image (Ubuntu).
# Written by `grader package gradescope` (grader @GRADER_VERSION@ on Python @PYTHON@): it installs that
# grader with the TensorFlow and Keras versions that built the package, and bubblewrap for the sandbox.
set -euo pipefail
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="@VENV@"
PYTHON_MINOR="@PYTHON_MINOR@"
PINS=(
@PINS@
)
NO_DEPS=(
@NO_DEPS@
)

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# bubblewrap: the strongest sandbox; util-linux: unshare and setpriv, the fallback and the switch away from root.
apt-get install -y -qq --no-install-recommends bubblewrap util-linux ca-certificates python3 python3-venv
# The pins were resolved on Python $PYTHON_MINOR: use that Python when the image offers it.
python="python$PYTHON_MINOR"
if ! command -v "$python" >/dev/null; then
  apt-get install -y -qq --no-install-recommends "python$PYTHON_MINOR" "python$PYTHON_MINOR-venv" || true
fi
if ! command -v "$python" >/dev/null; then
  python=python3
  echo "setup.sh: no Python $PYTHON_MINOR on this image; trying $($python --version) (the pins may not resolve)" >&2
fi
"$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
if [ "${#NO_DEPS[@]}" -gt 0 ]; then
  "$VENV/bin/python" -m pip install --quiet --no-deps "${NO_DEPS[@]}"
fi
"$VENV/bin/python" -m pip install --quiet --no-deps "$SOURCE/@WHEEL@"
"$VENV/bin/grader" --version
