#!/usr/bin/env bash
# Verdict step of the grader's GitHub Action (action.yml): fail the job when a submission is under the bar.
#   FAIL_UNDER  the percent each submission needs; empty: every criterion must pass (grader check's own exit)
#   GRADER_OUT  the reports folder, with scores.tsv from grade.sh
# Exit 1 when a submission missed the bar (the student's doing); 2 or 3 when the grader could not grade one
# (a rubric, usage or host problem, never reported as a student's failure); else 0.
set -uo pipefail
worst=0
failed=0
while IFS=$'\t' read -r rc percent sub; do
  [ -n "$sub" ] || continue
  if [ "$rc" -ge 2 ]; then
    echo "::error file=$sub::the grader could not grade this submission (exit $rc): see the job log"
    if [ "$rc" -gt "$worst" ]; then worst=$rc; fi
  elif [ -n "${FAIL_UNDER:-}" ]; then
    # python3 exits 0 exactly when percent < pass mark
    if [ "$percent" = "-" ] || python3 -c 'import sys; sys.exit(float(sys.argv[1]) >= float(sys.argv[2]))' "$percent" "$FAIL_UNDER"; then
      echo "::error file=$sub::scored ${percent}%, under the pass mark of ${FAIL_UNDER}%"
      failed=1
    else
      echo "$sub: ${percent}% (pass mark ${FAIL_UNDER}%)"
    fi
  elif [ "$rc" -ne 0 ]; then
    echo "::error file=$sub::missed the rubric (${percent}%)"
    failed=1
  else
    echo "$sub: ${percent}%"
  fi
done < "${GRADER_OUT:?}/scores.tsv"
if [ "$worst" -ge 2 ]; then exit "$worst"; fi
exit "$failed"
