"""JUnit XML, parsed back with ElementTree and checked against the structure CI tools read
(the common JUnit schema: testsuites > testsuite > properties/testcase/system-out)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import test_report_samples as s

from grader.checks.base import Outcome
from grader.render.audience import for_audience
from grader.render.exports.junit import render_junit

SUITE_ATTRS = {"name", "tests", "failures", "errors", "skipped", "time"}
RESULT_TAGS = {"failure", "error", "skipped"}


def validate(root: ET.Element) -> None:
    """The structure of the JUnit schema that GitHub, GitLab and Jenkins parse."""
    assert root.tag == "testsuites" and SUITE_ATTRS <= set(root.attrib)
    for suite in root:
        assert suite.tag == "testsuite" and SUITE_ATTRS <= set(suite.attrib)
        tags = [c.tag for c in suite]
        assert tags[0] == "properties" and tags[-1] == "system-out"
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        for tag, attr in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            assert int(suite.get(attr)) == sum(1 for c in cases if c.find(tag) is not None)
        for case in cases:
            assert {"classname", "name", "time"} <= set(case.attrib)
            float(case.get("time"))
            assert len([x for x in case if x.tag in RESULT_TAGS]) <= 1
            for x in case:
                assert x.tag in RESULT_TAGS and "message" in x.attrib
    for attr in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(attr)) == sum(int(suite.get(attr)) for suite in root)


def test_one_testcase_per_criterion_with_the_right_element() -> None:
    results = s.class_results()
    root = ET.fromstring(render_junit(results))
    validate(root)
    for suite, r in zip(root, results):
        assert len(suite.findall("testcase")) == len(r.criteria)
        for case, c in zip(suite.findall("testcase"), r.criteria):
            tag = {Outcome.FAILED: "failure", Outcome.ERROR: "error", Outcome.SKIPPED: "skipped"}.get(c.outcome)
            assert [x.tag for x in case] == ([tag] if tag else [])
            assert case.get("name") == f"{c.id}: {c.title}"
    bob = root[1]
    props = {p.get("name"): p.get("value") for p in bob.find("properties")}
    assert props["run_status"] == "crashed" and props["percent"] == f"{results[1].percent:g}"
    failure = bob.find("testcase/failure")
    assert failure.get("type") == "failed" and "What to change" in failure.text


def test_hidden_criteria_stay_hidden_in_ci_and_text_stays_valid_xml() -> None:
    text = render_junit([for_audience(s.failing_result(), "student"), for_audience(s.hostile_result(), "student")])
    root = ET.fromstring(text)  # control characters and ANSI escapes would make this raise
    validate(root)
    names = [c.get("name") for c in root[0].iter("testcase")]
    assert "hidden criterion 3" in names and not any("Test accuracy above 92%" in n for n in names)
    assert "\x1b" not in text and "<script>" not in text and "&lt;script&gt;" in text


def test_golden_junit(golden: Callable[[str, str], None]) -> None:
    golden("small-junit.xml", render_junit([for_audience(r, "student") for r in (s.small_result(),
                                            s.small_result(0.8, optimizer="Adam"))], ["ana", "ben"]))
