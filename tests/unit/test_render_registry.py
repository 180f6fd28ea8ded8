"""The renderer registry: one entry per format, one layout, and every format written through it for
one audience, applied once before any renderer sees the result."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_report_samples as s

from grader.grading.result import GradeResult
from grader.render.audience import Audience
from grader.render.outputs import Entry, write_outputs
from grader.render.registry import (
    DEFAULT_FORMATS, RENDERERS, Item, Renderer, Scope, formats, get_renderer, parse_formats,
)

# Every string of the hidden criterion carries a marker no other part of a result contains.
MARKERS = {"id": "zqid-hidden-7f3", "title": "ZQTITLE secret rule 7f3", "message": "ZQMESSAGE saw adam 7f3",
           "feedback": "ZQFEEDBACK use sgd 7f3", "detail": "ZQDETAIL true value 7f3"}
# What an instructor's copy of each format shows of a criterion: the gradebook has only its id.
SHOWN = {"csv": {"id"}, "json": set(MARKERS), "html": {"id", "title", "message", "feedback", "detail"},
         "junit": {"id", "title", "message", "feedback"}, "gradescope": {"title", "message", "feedback"},
         "md": {"title", "message", "feedback"}, "text": {"title", "message", "feedback"}}


def marked(result: GradeResult) -> GradeResult:
    """small_result's hidden, failed criterion (build.secret) with a marker in every string it has."""
    crit = [c.model_copy(update=MARKERS) if c.id == "build.secret" else c for c in result.criteria]
    assert any(c.hidden and c.outcome.value == "failed" for c in crit if c.id == MARKERS["id"])
    return result.model_copy(update={"criteria": crit})


def entries() -> list[Entry]:
    return [Entry(s.with_path(marked(s.small_result(0.8, optimizer="Adam")), "submissions/ana/hw.ipynb"), name="ana"),
            Entry(s.with_path(marked(s.small_result(0.8, optimizer="Adam")), "submissions/ben/hw.ipynb"), name="ben")]


def written_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8-sig") for p in sorted(out.rglob("*")) if p.is_file())


def test_one_entry_per_format_each_a_renderer() -> None:
    assert set(formats()) == {"html", "csv", "json", "junit", "gradescope", "md", "text"}
    for name, renderer in RENDERERS.items():
        assert isinstance(renderer, Renderer) and renderer.format == name and renderer.layout
        assert renderer.scope in (Scope.SUBMISSION, Scope.CLASS) and get_renderer(name) is renderer
    assert set(DEFAULT_FORMATS) <= set(formats())
    assert get_renderer(" Markdown ") is RENDERERS["md"]
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        get_renderer("pdf")


def test_parse_formats_resolves_aliases_once_in_order() -> None:
    assert parse_formats("csv, markdown,md,HTML") == ["csv", "md", "html"]
    assert parse_formats(["json", "txt"]) == ["json", "text"]
    with pytest.raises(ValueError, match="unknown format"):
        parse_formats("html,pdf")


def test_renderers_return_files_and_write_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    items = [Item(e.result, e.name or "", e.name or "", None) for e in entries()]
    for name, renderer in RENDERERS.items():
        files = renderer.render(items, class_page=True)
        per_item = renderer.scope is Scope.SUBMISSION
        assert len(files) >= (len(items) if per_item else 1), name
        assert all(f.text and not Path(f.path).is_absolute() and ".." not in f.path for f in files)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("class_page", [True, False])
def test_write_outputs_lays_files_out_as_the_registry_says(tmp_path: Path, class_page: bool) -> None:
    es = entries() if class_page else entries()[:1]
    written = write_outputs(es, tmp_path, list(formats()), audience="instructor", class_page=class_page)
    rel = sorted(str(p.relative_to(tmp_path)) for p in written)
    names = ["ana", "ben"] if class_page else ["ana"]
    expected = ["gradebook.csv", "junit.xml", "summary.md"] + (["index.html"] if class_page else [])
    for n in names:
        expected += [f"{n}.html", f"results/{n}.json", f"gradescope/{n}/results.json", f"text/{n}.txt"]
    assert rel == sorted(expected)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == rel


def test_an_unknown_format_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_outputs(entries(), tmp_path / "out", ["html", "pdf"])
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("class_page", [True, False])
def test_student_outputs_of_every_format_hold_nothing_of_a_hidden_criterion(tmp_path: Path, fmt: str,
                                                                              class_page: bool) -> None:
    es = entries() if class_page else entries()[:1]
    write_outputs(es, tmp_path / "student", [fmt], audience=Audience.STUDENT, class_page=class_page)
    student = written_text(tmp_path / "student")
    assert student and not [k for k, v in MARKERS.items() if v in student]
    write_outputs(es, tmp_path / "instructor", [fmt], audience=Audience.INSTRUCTOR, class_page=class_page)
    instructor = written_text(tmp_path / "instructor")
    shown = set() if fmt == "md" and class_page else SHOWN[fmt]  # the class's Markdown is a table of students
    assert {k for k, v in MARKERS.items() if v in instructor} >= shown


def test_without_an_audience_outputs_are_the_students(tmp_path: Path) -> None:
    write_outputs(entries(), tmp_path, list(formats()))
    text = written_text(tmp_path)
    assert "Hidden criterion" in text and not [k for k, v in MARKERS.items() if v in text]
