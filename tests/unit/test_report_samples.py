"""Grade results built in Python for the report and export tests (no TensorFlow), and checks that the
samples really are what the tests rely on: a clean pass, a failing crashed run, a hostile submission."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import evidence_factory as f

from grader.checks.base import Outcome
from grader.evidence.model import CellError, FigureRecord, RunStatus
from grader.grading.grade import grade
from grader.grading.result import GradeResult
from grader.rubric.loader import load_rubric, parse_rubric
from grader.rubric.model import Rubric
from grader.verify.verified import FigureStatus, VerificationStatus

ROOT = Path(__file__).resolve().parents[2]
XSS = "<script>alert(1)</script>"
IMG_XSS = '<img src=x onerror="alert(2)">'

SMALL_RUBRIC = """
id: small
title: Small dense network
version: "2.1"
parts:
  - {id: build, title: Build it}
  - {id: report, title: Report on it}
requirements:
  - {id: build.sgd, part: build, title: SGD optimizer, optimizer: sgd, points: 2, feedback: Use SGD.}
  - {id: build.secret, part: build, title: Secret rule, optimizer: sgd, points: 1, hidden: true,
     feedback: A secret hint.}
slots:
  - id: net
    part: build
    title: One hidden layer
    points: 4
    match: {hidden_layers: "==1"}
    metrics:
      - {id: net.val, title: Validation accuracy above 90%, metric: accuracy, split: validation,
         expect: ">0.9", points: 3, feedback: Train longer.}
questions:
  - {id: report.params, part: report, slot: net, answer: trainable_params, near: [param], points: 2,
     title: Trainable parameters stated}
"""


def keras_rubric() -> Rubric:
    return load_rubric(ROOT / "rubrics" / "nn-basics-keras.yaml")


def stable(result: GradeResult) -> GradeResult:
    """Without what differs between machines and releases: the grader version and the rubric's path."""
    return result.model_copy(update={"grader_version": "0.0.0-test",
                                     "rubric": result.rubric.model_copy(update={"path": None})})


def hidden(result: GradeResult, *ids: str) -> GradeResult:
    """Mark criteria hidden (the bundled rubrics have none)."""
    return result.model_copy(update={"criteria": [c.model_copy(update={"hidden": True}) if c.id in ids else c
                                                  for c in result.criteria]})


def with_path(result: GradeResult, path: str, duration: float = 0.0) -> GradeResult:
    sub = result.submission.model_copy(update={"path": path})
    ev = result.evidence.evidence
    inner = ev.model_copy(update={"submission": sub, "run": ev.run.model_copy(update={"duration_s": duration})})
    return result.model_copy(update={"submission": sub, "run": result.run.model_copy(update={"duration_s": duration}),
                                     "evidence": result.evidence.model_copy(update={"evidence": inner})})


def small_result(val_acc: float = 0.93, stated: str = "It has 39,760 trainable parameters.",
                 optimizer: str = "SGD") -> GradeResult:
    m = f.dense_model("m1", [50], val_acc=val_acc, test_acc=val_acc, name="small", optimizer=optimizer)
    return stable(grade(f.verify(f.evidence([m], figures=[f.curves(m)], markdown=stated)), parse_rubric(SMALL_RUBRIC)))


def good_result() -> GradeResult:
    """Full marks; its figures name PNG files (as a real run's do), see :func:`figures_dir`."""
    v = f.nn_basics_evidence()
    figs = [fig.model_copy(update={"file": f"figures/figure_{fig.index}.png"}) for fig in v.evidence.figures]
    return stable(grade(v.model_copy(update={"evidence": v.evidence.model_copy(update={"figures": figs})}),
                        keras_rubric()))


def failing_result() -> GradeResult:
    """A crashed run with a cell error, a tampered accuracy (mismatch), an unused model and a hidden criterion."""
    models = f.nn_basics_models()[:2] + [f.dense_model("m6", [256, 128, 64], epochs=12, val_acc=0.97, name="best"),
                                         f.dense_model("m7", [20, 20], name="spare", trained=False),
                                         f.dense_model("m8", [400], name="big_again"),
                                         f.dense_model("m9", [8] * 10, name="tiny"), f.dense_model("m10", [64] * 10, name="wide"),
                                         f.dense_model("m11", [30], name="leftover")]
    ev = f.evidence(models, figures=[f.curves(models[0])], markdown=f.NN_BASICS_MARKDOWN,
                    status=RunStatus.CRASHED, message="NameError: name 'x_val' is not defined")
    err = CellError(cell_index=7, execution_count=6, ename="NameError", evalue="name 'x_val' is not defined",
                    traceback="\x1b[0;31mNameError\x1b[0m Traceback (most recent call last)\nCell In[6], line 2\n"
                              "----> 2 model.fit(x, y, validation_data=(x_val, y_val))\n"
                              "\x1b[0;31mNameError\x1b[0m: name 'x_val' is not defined")
    run = ev.run.model_copy(update={"cell_errors": [err], "cells_total": 12, "cells_run": 8, "duration_s": 84.2,
                                    "log_tail": "Epoch 12/12\n\x1b[1m469/469\x1b[0m - 2s - loss: 0.21\n",
                                    "isolation_notes": ["bubblewrap not installed"]})
    verified = f.verify(ev.model_copy(update={"run": run}), val={"m6": 0.88})
    return stable(hidden(grade(verified, keras_rubric()), "general.loss", "three.best.test"))


def hostile_result() -> GradeResult:
    """Every student-controlled string carries markup, ANSI escapes and a path outside the run folder."""
    models = [m.model_copy(update={"name": XSS + m.name,
                                   "layers": [x.model_copy(update={"name": IMG_XSS}) for x in m.layers]})
              for m in f.nn_basics_models()]
    figs = [f.curves(models[0]).model_copy(update={"suptitle": XSS, "file": "../../../etc/passwd"}),
            FigureRecord(index=1, file="figures/ok.png", suptitle=IMG_XSS)]
    ev = f.evidence(models, figures=figs, markdown=f.NN_BASICS_MARKDOWN + "\n" + XSS, printed=XSS)
    err = CellError(cell_index=2, ename="ValueError", evalue=XSS, traceback=f"\x1b[31m{XSS}\x1b[0m\x1b]0;title\x07")
    run = ev.run.model_copy(update={"log_tail": f"\x1b[31m{XSS}\x1b[0m\n=cmd|' /C calc'!A0", "cell_errors": [err],
                                    "status": RunStatus.COMPLETED_WITH_ERRORS, "message": XSS})
    sub = ev.submission.model_copy(update={"path": f"=HYPERLINK(\"http://x\")/{IMG_XSS}/hw.ipynb"})
    ev = ev.model_copy(update={"run": run, "submission": sub, "warnings": [XSS]})
    return stable(grade(f.verify(ev), keras_rubric()))


def class_results() -> list[GradeResult]:
    """A small class: passes, a fail, a crash, a timeout, a quick-mode check, with distinct run times."""
    good = good_result()
    fail = failing_result()
    timeout_ev = f.evidence(f.nn_basics_models()[:1], status=RunStatus.TIMEOUT, message="ran past 3600 s")
    timeout = stable(grade(f.verify(timeout_ev), keras_rubric()))
    quick = stable(grade(f.nn_basics_evidence(), keras_rubric(), quick=True))
    return [with_path(good, "submissions/alice/hw.ipynb", 71.0), with_path(fail, "submissions/bob/hw.ipynb", 84.2),
            with_path(timeout, "submissions/carol/hw.ipynb", 3600.0),
            with_path(quick, "submissions/dan/hw.ipynb", 9.5),
            with_path(small_result(), "submissions/erin/hw.ipynb", 30.0)]


def png(width: int = 40, height: int = 24) -> bytes:
    """A real (tiny) PNG: a blue gradient, built with zlib so tests need no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(v for x in range(width) for v in (20, 60 + x * 180 // width, 200)) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def figures_dir(root: Path, result: GradeResult) -> Path:
    """A run output folder holding a PNG for every figure the result's evidence names."""
    for fig in result.evidence.evidence.figures:
        if fig.file and ".." not in fig.file:
            (root / fig.file).parent.mkdir(parents=True, exist_ok=True)
            (root / fig.file).write_bytes(png(320, 200))
    return root


# -- the samples are what the tests rely on -------------------------------------------------------------

def test_good_sample_passes_everything() -> None:
    r = good_result()
    assert r.percent == 100 and {c.outcome for c in r.criteria} == {Outcome.PASSED}


def test_failing_sample_has_a_crash_a_mismatch_and_a_hidden_failure() -> None:
    r = failing_result()
    assert r.run.status == RunStatus.CRASHED and r.evidence.evidence.run.cell_errors
    assert any(fig.status == FigureStatus.MISMATCH for v in r.evidence.verifications for fig in v.figures)
    assert r.criterion("general.loss").hidden and r.unassigned
    assert r.criterion("three.best.test").hidden and r.criterion("three.best.test").outcome == Outcome.FAILED
    assert any(c.outcome == Outcome.FAILED and c.feedback for c in r.criteria)
    assert any(v.status == VerificationStatus.NOT_SAVED for v in r.evidence.verifications)


def test_small_sample_has_every_criterion_kind() -> None:
    r = small_result(val_acc=0.8, stated="It has 12 trainable parameters.", optimizer="Adam")
    assert {c.check for c in r.criteria} >= {"requirements.all_models", "slots.filled", "metrics.threshold",
                                             "questions.answer"}
    assert r.criterion("build.secret").hidden and r.criterion("report.params").outcome == Outcome.FAILED


def test_png_is_a_png() -> None:
    assert png().startswith(b"\x89PNG\r\n\x1a\n") and len(png()) > 60
