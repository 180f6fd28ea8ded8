#!/usr/bin/env bash
# Grade step of the grader's GitHub Action (action.yml): `grader check` on every path in $GRADER_LIST.
#   RUBRIC, FAIL_UNDER (may be empty), DATASETS (may be empty), GRADER_OUT (the reports folder)
#   GITHUB_STEP_SUMMARY  set by GitHub: each submission's Markdown summary is appended to it
# Writes $GRADER_OUT/<name>/ (HTML, JSON and Markdown reports), $GRADER_OUT/<name>.xml (JUnit) and
# $GRADER_OUT/scores.tsv (exit code, percent, path per submission) for the verdict step. It never fails the
# job itself, so the reports are uploaded whatever happened; verdict.sh decides.
set -uo pipefail
out="${GRADER_OUT:?}"
mkdir -p "$out"
: > "$out/scores.tsv"
summary="${GITHUB_STEP_SUMMARY:-/dev/null}"
echo "## Grader: rubric \`${RUBRIC}\`${FAIL_UNDER:+, pass mark ${FAIL_UNDER}%}" >> "$summary"
while IFS= read -r sub; do
  [ -n "$sub" ] || continue
  name=$(printf '%s' "${sub%.*}" | tr -c 'A-Za-z0-9._-' '_')
  args=(check "$sub" --rubric "$RUBRIC" --out "$out/$name" --format html,json,md --junit "$out/$name.xml")
  if [ -n "${FAIL_UNDER:-}" ]; then args+=(--fail-under "$FAIL_UNDER"); fi
  if [ -n "${DATASETS:-}" ]; then args+=(--datasets "$DATASETS"); fi
  rc=0
  grader "${args[@]}" --no-color || rc=$?
  percent=""
  for result in "$out/$name"/results/*.json; do
    [ -f "$result" ] && percent=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["percent"])' "$result")
  done
  printf '%s\t%s\t%s\n' "$rc" "${percent:--}" "$sub" >> "$out/scores.tsv"
  if [ -f "$out/$name/summary.md" ]; then
    cat "$out/$name/summary.md" >> "$summary"
  else
    echo "### $sub: the grader could not grade it (exit $rc)" >> "$summary"
  fi
done < "${GRADER_LIST:?}"
exit 0
