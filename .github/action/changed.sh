#!/usr/bin/env bash
# Which submissions the grader's GitHub Action grades (action.yml), one path per line in $GRADER_LIST.
#   INPUT_PATHS   pathspecs, one per line (e.g. submissions/**/*.ipynb): every tracked notebook and script
#                 they match. Empty: the notebooks and scripts this push or pull request added or changed.
#   GRADER_BASE   the commit to diff against (default: the pull request's base branch, else the push's
#                 previous commit, else HEAD~1)
#   GITHUB_EVENT_NAME, GITHUB_BASE_REF  set by GitHub; GITHUB_OUTPUT gets count=N
# Inputs arrive through the environment, never pasted into this script, so no value can inject shell code.
set -euo pipefail
list="${GRADER_LIST:?}"
mkdir -p "$(dirname "$list")"
if [ -n "${INPUT_PATHS//[[:space:]]/}" ]; then
  specs=()
  while IFS= read -r spec; do
    spec="${spec#"${spec%%[![:space:]]*}"}"; spec="${spec%"${spec##*[![:space:]]}"}"  # trim
    if [ -n "$spec" ]; then specs+=("$spec"); fi
  done <<< "$INPUT_PATHS"
  git ls-files -z -- "${specs[@]}" | tr '\0' '\n' | grep -E '\.(ipynb|py)$' > "$list" || true
else
  base="${GRADER_BASE:-}"
  if [ -z "${base//0/}" ]; then base=""; fi  # a push that opens a branch has an all-zero "before"
  range=""
  if [ -n "$base" ]; then
    range="$base...HEAD"
  elif [ "${GITHUB_EVENT_NAME:-}" = "pull_request" ] || [ "${GITHUB_EVENT_NAME:-}" = "pull_request_target" ]; then
    range="origin/${GITHUB_BASE_REF:?}...HEAD"
  elif git rev-parse -q --verify HEAD~1 >/dev/null; then
    range="HEAD~1...HEAD"
  fi
  if [ -n "$range" ]; then
    git diff --name-only --diff-filter=AMR -z "$range" -- '*.ipynb' '*.py' | tr '\0' '\n' > "$list"
  else  # the repository's first commit: everything is new
    git ls-files -z -- '*.ipynb' '*.py' | tr '\0' '\n' > "$list"
  fi
fi
count=$(grep -c . "$list" || true)
echo "count=$count" >> "${GITHUB_OUTPUT:-/dev/null}"
echo "grader: $count submission(s) to grade"
