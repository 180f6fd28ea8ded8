"""Where similarity is shown: `grader similarity` (terminal table, similarity.html), the class page's section
that `grader grade` fills (unless --no-similarity), and a grading output folder read back. No TensorFlow:
runs are faked with the class pipeline's scripted executor."""

from __future__ import annotations

import json
import re
from pathlib import Path

import evidence_factory as f
import pytest
import test_report_samples as samples
from click.testing import CliRunner
from similarity_class import ALICE, notebook, write_class
from test_class_pipeline import RUBRIC, grade_class
from test_report_html import Page

from grader.cli.app import main
from grader.errors import ExitCode
from grader.pipeline.executors.base import Job
from grader.render.html.class_page import render_class_summary
from grader.similarity import compare_class
from grader.similarity.page import render_similarity
from grader.similarity.sources import Source
from grader.verify.verified import VerifiedEvidence


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_class(tmp_path_factory.mktemp("similarity-report") / "class")


def similarity(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["similarity", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def test_the_command_ranks_the_flagged_pairs(klass: dict[str, Path], tmp_path: Path) -> None:
    code, out = similarity(str(klass["alice"].parent), "--template", str(klass["starter"]),
                           "--out", str(tmp_path / "sim.html"))
    assert code == ExitCode.OK  # similarity is evidence, never a failure
    rows = [line.split()[1:4] for line in out.splitlines() if re.match(r"^\s+\d+\s", line)]
    assert rows == [["alice", "<>", "carol"], ["alice", "<>", "bob"], ["bob", "<>", "carol"]]
    assert "code, outputs (5 equal epochs)" in out
    assert "starter.ipynb subtracted" in out
    page = Page((tmp_path / "sim.html").read_text())
    assert page.all("mark"), "shared spans are marked"


def test_without_the_template_the_starter_followers_show_up(klass: dict[str, Path]) -> None:
    _, out = similarity(str(klass["alice"].parent))
    assert re.search(r"dave <> erin\s+\d+%\s+code", out)


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = similarity(str(tmp_path / "nowhere"))
    assert code == ExitCode.USAGE


HOSTILE = '''import numpy as np
# </pre><script>alert("code")</script>
x_train = np.zeros((10, 784))  # <img src=x onerror=alert(1)>
'''


def test_the_page_shows_student_code_as_inert_text() -> None:
    code = HOSTILE + "\n".join(ALICE)
    report = compare_class([Source("<b>ann</b>", code), Source("ben\x1b[31m", code)])
    html = render_similarity(report)
    page = Page(html)
    assert not page.all("script") and not page.all("img") and not page.all("b")
    assert '<script>alert("code")</script>' in page.visible  # shown, as text
    csp = next(m["content"] for m in page.all("meta") if m.get("http-equiv") == "Content-Security-Policy")
    assert "script-src 'none'" in (csp or "")
    assert "\x1b" not in html
    assert len(page.all("mark")) >= 2  # both sides of the one pair


def test_the_class_page_section_lists_the_flagged_pairs_and_links_to_the_evidence(klass: dict[str, Path]) -> None:
    from grader.similarity import load

    report = compare_class(load(klass["alice"].parent))
    results = samples.class_results()
    html = render_class_summary(results, similarity=report, similarity_href="similarity.html")
    page = Page(html)
    links = [a["href"] for a in page.all("a") if (a.get("href") or "").startswith("similarity.html#")]
    assert len(links) == len(report.flagged) == 4
    assert links[0] == "similarity.html#pair-0"
    assert "Similar submissions" in page.visible and "never changes a grade" in page.visible
    plain = render_class_summary(results)
    assert "Similar submissions" not in plain and 'href="#similarity"' not in plain


# ------------------------------------------------------------------------------ grader grade's class page


def models_by_student(job: Job) -> VerifiedEvidence:
    """Runs faked per student: each trained its own model, so no model fingerprint is shared."""
    hidden = {"alice": [300, 100], "bob": [64], "carol": [32, 32]}.get(job.name, [16])
    return f.verify(f.evidence([f.dense_model("m1", hidden)]))


@pytest.fixture
def small_class(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    import nbformat

    from similarity_class import FRANK, fit_log

    alice_log = fit_log(seed=11)
    nbformat.write(notebook(ALICE, {3: alice_log}), folder / "alice.ipynb")
    nbformat.write(notebook(ALICE, {3: alice_log}), folder / "bob.ipynb")  # handed in with alice's outputs
    nbformat.write(notebook(FRANK, {2: fit_log(seed=12, epochs=8)}), folder / "carol.ipynb")
    return folder


def test_grade_fills_the_class_page_section(small_class: Path, tmp_path: Path) -> None:
    graded, _ = grade_class(small_class, tmp_path, models_by_student, out=tmp_path / "out")
    index = (tmp_path / "out" / "index.html").read_text()
    assert 'id="similarity"' in index
    assert re.search(r'href="similarity.html#pair-0">1</a></td>\s*<td data-label="Student A">alice</td>'
                     r'<td data-label="Student B">bob</td>', index)
    page = (tmp_path / "out" / "similarity.html").read_text()
    assert "Identical stored training log" in page and "<mark>" in page
    assert tmp_path / "out" / "similarity.html" in graded.written
    # evidence, never a grade: the same class graded without it gets the very same results
    apart = tmp_path / "apart"
    apart.mkdir()
    plain, _ = grade_class(small_class, apart, models_by_student, out=apart / "out", similarity=False)
    assert [(r.result.score, r.result.status) for r in graded.results] == \
        [(r.result.score, r.result.status) for r in plain.results]


def test_no_similarity_leaves_it_out(small_class: Path, tmp_path: Path) -> None:
    graded, _ = grade_class(small_class, tmp_path, models_by_student, out=tmp_path / "out", similarity=False)
    assert 'id="similarity"' not in (tmp_path / "out" / "index.html").read_text()
    assert not (tmp_path / "out" / "similarity.html").exists()
    assert graded.exit_code == ExitCode.OK


def test_grade_cli_takes_no_similarity_and_a_template() -> None:
    result = CliRunner().invoke(main, ["grade", "--help"])
    assert "--no-similarity" in result.output and "--similarity-template" in result.output


def test_grade_subtracts_the_starter_code_it_is_given(klass: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "followers"
    folder.mkdir()
    for name in ("dave", "erin", "frank"):
        (folder / f"{name}.ipynb").write_bytes(klass[name].read_bytes())
    grade_class(folder, tmp_path, models_by_student, out=tmp_path / "plain")
    assert "dave</td><td data-label=\"Student B\">erin" in (tmp_path / "plain" / "index.html").read_text()
    grade_class(folder, tmp_path, models_by_student, out=tmp_path / "subtracted", similarity_template=klass["starter"])
    index = (tmp_path / "subtracted" / "index.html").read_text()
    assert 'id="similar-pairs-none"' in index and "starter.ipynb" in index


def test_a_grading_output_folder_is_read_back_with_its_models(small_class: Path, tmp_path: Path) -> None:
    grade_class(small_class, tmp_path, models_by_student, out=tmp_path / "out", formats=["json"])
    stored = json.loads((tmp_path / "out" / "results" / "alice.json").read_text())
    assert stored["evidence"]["evidence"]["models"], "the stored result holds the run's models"
    # code found through --submissions (the results record each submission's path within the class folder)
    code, out = similarity(str(tmp_path / "out"), "--submissions", str(small_class))
    assert code == ExitCode.OK
    assert re.search(r"alice <> bob\s+100%\s+code", out)
    # without it, the code is not found: said, and the pair is not flagged on code
    code, out = similarity(str(tmp_path / "out"))
    assert code == ExitCode.OK and "not compared" in out and "pass --submissions" in out
