"""The per-submission HTML report, rendered from results built in Python (no TensorFlow)."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import test_report_samples as s

from grader.render.html.figures import MAX_FIGURE_BYTES
from grader.render.audience import for_audience
from grader.render.html.report import render_report, write_report


class Page(HTMLParser):
    """Collects what the assertions need: elements, attributes, headings and visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]

    @property
    def visible(self) -> str:
        return " ".join(self.text)


@pytest.fixture(scope="module")
def good_html() -> str:
    return render_report(s.good_result())


@pytest.fixture(scope="module")
def failing_html() -> str:
    return render_report(s.failing_result())


def test_score_and_status_come_first(good_html: str) -> None:
    page = Page(good_html)
    assert good_html.startswith("<!DOCTYPE html>") and page.all("html")[0]["lang"] == "en"
    head = good_html.split('id="main"')[0]
    assert "100.0%" in head and "100 / 100 points" in head and 'class="badge b-passed"' in head
    assert [a for a in page.all("meta") if a.get("name") == "viewport"]


def test_criteria_are_grouped_by_part_with_points(good_html: str) -> None:
    r = s.good_result()
    for part in r.parts:
        assert f"{part.title}" in good_html.replace("&#39;", "'")
    for c in r.criteria:
        assert c.id in good_html
    assert good_html.index("Rules for every network") < good_html.index("Part one") < good_html.index("Part three")


def test_every_table_has_header_cells_and_every_image_alt_text(failing_html: str) -> None:
    page = Page(failing_html)
    assert page.all("table") and len(page.all("th")) >= 4 * len(page.all("table"))
    assert all(a.get("alt") for a in page.all("img"))
    assert all(a.get("role") == "img" and a.get("aria-label") for a in page.all("svg"))
    levels = [int(t[1]) for t, _ in page.tags if re.fullmatch(r"h[1-6]", t)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels))  # no skipped heading level


def test_training_curves_are_inline_svg_for_loss_and_accuracy(good_html: str) -> None:
    page = Page(good_html)
    labels = [a["aria-label"] for a in page.all("svg")]
    assert labels.count("loss per epoch") == 6 and labels.count("accuracy per epoch") == 6
    assert len(page.all("polyline")) == 24  # 6 models x (loss, accuracy) x (train, validation)
    assert "validation accuracy" in good_html


def test_layers_and_parameters_show_reported_and_verified(good_html: str) -> None:
    assert "Parameters (reported)" in good_html and "298,300" in good_html
    assert "Reported" in good_html and "Verified" in good_html and "302,110" in good_html


def test_answers_sit_next_to_the_graders_values() -> None:
    r = s.small_result(stated="It has 12 trainable parameters.")
    instructor, student = render_report(r), render_report(for_audience(r, "student"))
    assert "Grader's value" in instructor and "39,760" in instructor.split('id="answers"')[1]
    assert "Grader's value" not in student and "39,760" not in student.split('id="answers"')[1].split("</section>")[0]


def test_hidden_criteria_show_as_hidden_to_students_only(failing_html: str) -> None:
    r = s.failing_result()
    student = render_report(for_audience(r, "student"))
    assert "Categorical cross-entropy loss" in failing_html and "Categorical cross-entropy loss" not in student
    assert "Test accuracy above 92%" not in student and student.count("badge b-hidden") == 2
    assert "Hidden criterion" in student and "Hidden criterion" not in failing_html
    with pytest.raises(ValueError):
        for_audience(r, "everyone")


def test_gaps_and_run_problems_are_flagged_loudly(failing_html: str) -> None:
    assert "Reported figures disagree with the grader&#39;s measurements" in failing_html
    assert "m6 accuracy (validation)" in failing_html
    assert "the submission reported a different value" in failing_html and 'class="gap"' in failing_html
    assert "The run ended with status &#39;crashed&#39;" in failing_html


def test_slots_name_their_model_and_unused_models_say_why(failing_html: str) -> None:
    assert 'href="#model-m1"' in failing_html and "Models that filled no role" in failing_html
    assert "big_again" in failing_html and "a better fit" in failing_html
    assert "never finished training" in failing_html


def test_run_facts_errors_and_log_tail(failing_html: str) -> None:
    for text in ("limits-only", "bubblewrap not installed", "84.2 s", "per cell", "Time per epoch",
                 "m1: 1.50 s × 10", "Cell 8 [6]: NameError", "model.fit(x, y, validation_data",
                 "Epoch 12/12", "8 of 12"):
        assert text in failing_html, text
    assert "\x1b" not in failing_html and "[0;31m" not in failing_html


def test_figures_are_embedded_from_the_run_folder(tmp_path: Path) -> None:
    r = s.hostile_result()
    folder = s.figures_dir(tmp_path / "run", r)
    html = render_report(r, figures_dir=folder)
    page = Page(html)
    srcs = [a["src"] for a in page.all("img")]
    assert len(srcs) == 1 and srcs[0].startswith("data:image/png;base64,iVBORw0KGgo")
    assert "figure file is outside the run&#39;s folder" in html  # ../../../etc/passwd was refused


def test_figures_that_are_too_big_or_not_png_are_left_out(tmp_path: Path) -> None:
    r = s.hostile_result()
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "ok.png").write_bytes(b"GIF89a not a png")
    assert "not a PNG image" in render_report(r, figures_dir=tmp_path)
    (tmp_path / "figures" / "ok.png").write_bytes(s.png()[:8] + b"\0" * (MAX_FIGURE_BYTES + 1))
    html = render_report(r, figures_dir=tmp_path)
    assert "too large to embed" in html and "data:image/png" not in html
    assert "no figures folder given" in render_report(r)


def test_report_is_self_contained(good_html: str, tmp_path: Path) -> None:
    page = Page(good_html)
    assert not page.all("script") and not page.all("link")[1:]  # the only link is the data: favicon
    assert all(a.get("href", "").startswith("data:") for a in page.all("link"))
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", good_html)
    csp = next(a["content"] for a in page.all("meta") if a.get("http-equiv") == "Content-Security-Policy")
    assert csp and "default-src 'none'" in csp and "script-src 'none'" in csp and "img-src data:" in csp
    assert "@media print" in good_html and "@media (max-width: 640px)" in good_html
    out = write_report(s.good_result(), tmp_path / "deep" / "r.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_class_link_points_back() -> None:
    assert 'href="index.html"' in render_report(s.good_result(), class_link="index.html")


def test_a_tampered_parameter_count_is_flagged_per_layer_and_in_total() -> None:
    r = s.good_result()
    v = r.evidence.verifications[0]
    m = r.evidence.evidence.models[0]
    layers = [x.model_copy(update={"params": x.params + 1000}) if x.class_name == "Dense" and x.units == 10 else x
              for x in m.layers]
    params = m.params.model_copy(update={"total": m.params.total + 1000, "trainable": m.params.trainable + 1000})
    tampered = v.model_copy(update={"layers": layers, "params": params})
    r = r.model_copy(update={"evidence": r.evidence.model_copy(
        update={"verifications": [tampered, *r.evidence.verifications[1:]]})})
    html = render_report(r)
    model = html.split('id="model-m1"')[1].split('id="model-m2"')[0]
    assert "Parameters (verified)" in model and "parameter gap: +1,000" in model
    assert model.count("gap +1,000") == 2 and "3 gap(s)" in model  # total, trainable, one layer
