"""JUnit XML: one <testsuite> per submission, one <testcase> per criterion.

failed -> <failure>, error -> <error>, skipped -> <skipped>, the form CI systems (GitHub, GitLab,
Jenkins) read. CI logs are usually visible to the student: pass their copy
(:func:`grader.render.audience.for_audience`); a concealed criterion shows only its outcome.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from grader.checks.base import Outcome
from grader.grading.result import CriterionResult, GradeResult
from grader.render.safe import for_xml, pts, student_names

_ELEMENT = {Outcome.FAILED: "failure", Outcome.ERROR: "error", Outcome.SKIPPED: "skipped"}
MAX_TEXT = 20_000
"""Longest text put in one element: CI viewers choke on megabytes of log."""


def _text(s: str) -> str:
    s = for_xml(s)  # ElementTree escapes markup but writes control characters that make the XML invalid
    return s if len(s) <= MAX_TEXT else s[-MAX_TEXT:]


def _testcase(suite: ET.Element, r: GradeResult, c: CriterionResult, n: int) -> None:
    hide = c.concealed
    name = f"hidden criterion {n}" if hide else f"{c.id}: {_text(c.title)}"
    case = ET.SubElement(suite, "testcase", classname=f"{r.rubric.id}.{c.part or 'other'}", name=name, time="0")
    if hide:
        message = "hidden criterion"
    else:
        message = _text(c.message)
    tag = _ELEMENT.get(c.outcome)
    if tag is None:
        return
    el = ET.SubElement(case, tag, message=message, type=c.outcome.value)
    if tag != "skipped" and not hide:
        body = [f"{pts(c.points)} of {pts(c.max_points)} points", message]
        if c.feedback:
            body.append(f"What to change: {_text(c.feedback)}")
        if c.override is not None:
            body.append(_text(c.override.words()))
        el.text = "\n".join(body)


def junit_tree(results: Sequence[GradeResult], names: Sequence[str] | None = None) -> ET.Element:
    names = list(names) if names is not None else student_names([r.submission.path for r in results])
    root = ET.Element("testsuites", name="grader")
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    total_time = 0.0
    for r, name in zip(results, names):
        counts = {"tests": len(r.criteria), "failures": r.outcome_counts.get("failed", 0),
                  "errors": r.outcome_counts.get("error", 0), "skipped": r.outcome_counts.get("skipped", 0)}
        attrib = {"name": f"{_text(name)} ({r.rubric.id})", "time": f"{r.run.duration_s:.3f}",
                  **{k: str(v) for k, v in counts.items()}}
        suite = ET.SubElement(root, "testsuite", attrib)
        props = ET.SubElement(suite, "properties")
        for key, value in (("score", pts(r.score)), ("max_score", pts(r.max_score)), ("percent", f"{r.percent:g}"),
                           ("status", r.status.value), ("run_status", r.run.status.value),
                           ("rubric", f"{r.rubric.id} {r.rubric.version}"), ("submission", _text(r.submission.path))):
            ET.SubElement(props, "property", name=key, value=value)
        for n, c in enumerate(r.criteria, 1):
            _testcase(suite, r, c, n)
        out = ET.SubElement(suite, "system-out")
        out.text = f"run {r.run.status.value}: {_text(r.run.message)}\n" + _text(r.evidence.evidence.run.log_tail)
        for k, v in counts.items():
            totals[k] += v
        total_time += r.run.duration_s
    root.attrib.update({k: str(v) for k, v in totals.items()}, time=f"{total_time:.3f}")
    return root


def render_junit(results: Sequence[GradeResult], names: Sequence[str] | None = None) -> str:
    tree = junit_tree(results, names)
    ET.indent(tree)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"


def write_junit(results: Sequence[GradeResult], path: Path, names: Sequence[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_junit(results, names), encoding="utf-8")
    return path
