#!/usr/bin/env bash
# Install step of the grader's GitHub Action (action.yml): bubblewrap for the sandbox, then the grader.
#   GRADER_SPEC         what pip installs (default: this action's own checkout, with TensorFlow)
#   FETCH, DATASETS     dataset names to fetch into the DATASETS folder (needs network)
#   GITHUB_ACTION_PATH  set by GitHub: the action's checkout
set -euo pipefail
if ! command -v bwrap >/dev/null && command -v apt-get >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  # Without bubblewrap the sandbox falls back to weaker isolation, and each report says which level ran.
  $sudo apt-get update -qq && $sudo apt-get install -y -qq bubblewrap \
    || echo "::warning::could not install bubblewrap: submissions run with weaker isolation"
fi
python -m pip install --quiet "${GRADER_SPEC:-$GITHUB_ACTION_PATH[tf,course]}"
grader --version
set -f  # FETCH is split on blanks on purpose (a list of names), never expanded as file patterns
for name in ${FETCH:-}; do
  grader datasets fetch "$name" ${DATASETS:+--datasets "$DATASETS"}
done
