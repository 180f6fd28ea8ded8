"""Hostile and broken submissions: every one is contained, explained, and costs nobody else anything.

Each case in cases.py runs through the real pipeline (sandbox, assembly, verification where a model
was trained). For every case the test asserts: the grader returned normally; the run has the
expected status and a message that says why; the printed output shows what the case tried and
that it failed; nothing on the host changed (a before/after snapshot of the files the cases
target); no process outlived the run; the run's scratch folder was removed; and the loopback
listener on the host saw no connection. Folder-level cases (zips, empty folders, a class with a
control submission among hostile ones) go through grade_folder and the `grader grade` command.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.evidence.model import Limits
from grader.verify.verified import FigureStatus, VerificationStatus

from .cases import BATCH, CASES, CONTROL, OTHER_SECRET, Case, fill, zip_bomb, zip_slip
from .conftest import FIGURES, REPO, SECRET_VALUE, Host, record, wait_for_no_processes

CPUS = 2
BY_ID = {c.id: c for c in CASES}
RUBRIC = """
id: hostile-control
title: Control rubric
version: "1"
limits: {timeout_s: 6, memory_mb: 512}
custom:
  - {id: control.printed, title: Printed the control line, function: "check.py:printed_ok", points: 3}
"""
CHECK = """
def printed_ok(evidence, params, slots):
    return ("CONTROL OK" in evidence.evidence.printed, "looked for CONTROL OK in the printed output")
"""



def write_case(case: Case, folder: Path, ctx: dict[str, str]) -> tuple[Path, Path | None]:
    """The case's submission under `folder`: (entry file, work folder or None)."""
    from submission_files import write_submission

    folder.mkdir(parents=True, exist_ok=True)
    if case.build is not None:
        return case.build(folder, ctx)
    source = [fill(c, ctx) if isinstance(c, str) else (c[0], fill(c[1], ctx)) for c in case.source] \
        if isinstance(case.source, list) else fill(case.source or "", ctx)
    return write_submission(folder, fill(case.filename, ctx), source), None


def run_case(case: Case, host: Host, dataset_store, verifier=None):
    from grader.api import run_submission

    entry, workdir = write_case(case, host.root / "student", host.ctx)
    limits = Limits(**{"timeout_s": 30, **case.limits, "cpus": CPUS})
    started = time.monotonic()
    try:
        verified = run_submission(entry, datasets=dataset_store, limits=limits, cpus=CPUS, verifier=verifier,
                                  workdir=workdir)
    except Exception:
        FIGURES["grader_crashes"] += 1  # type: ignore[operator]
        raise
    record(case.id, status=verified.evidence.run.status.value, message=verified.evidence.run.message)
    return verified, time.monotonic() - started


def no_leftovers(host: Host) -> None:
    left = wait_for_no_processes(host.token, host.started)
    FIGURES["processes_leaked"] += len(left)  # type: ignore[operator]
    assert left == [], left


def check_contained(case: Case, host: Host, verified, seconds: float, before: dict,
                    disk_peak: dict[str, object]) -> None:
    ev = verified.evidence
    run = ev.run
    ctx = host.ctx
    seen = ev.printed + "\n" + run.log_tail
    assert run.status.value in case.status, f"{case.id}: {run.status.value}: {run.message}\n{seen[-3000:]}"
    assert run.message and re.search(case.message, run.message), f"{case.id}: message {run.message!r}"
    for pattern in case.printed_has:
        assert re.search(fill(pattern, ctx), seen), f"{case.id}: {pattern!r} not in\n{seen[-3000:]}"
    for text in (*case.printed_lacks, SECRET_VALUE):
        assert fill(text, ctx) not in seen, f"{case.id}: {text!r} leaked into\n{seen[-3000:]}"
    if case.warning:
        assert any(re.search(case.warning, w) for w in ev.warnings), f"{case.id}: warnings {ev.warnings}"
    if case.no_models:
        assert ev.models == [] and verified.verifications == []
    assert seconds < case.max_seconds, f"{case.id} took {seconds:.1f} s"
    assert host.snapshot() == before, f"{case.id} changed something on the host"
    no_leftovers(host)
    assert list(host.runs.iterdir()) == [], f"{case.id} left its run folder behind"
    check_disk(case, verified, disk_peak)
    assert host.listener.connections == [], f"{case.id} reached the host's loopback listener"


def check_disk(case: Case, verified, disk_peak: dict) -> None:
    """What the run's folder held at the end (walked by the test, not the runner) is within its cap,
    wherever the cap is a filesystem's size; as root under bubblewrap it must be one."""
    if disk_peak["enforcement"] is None:
        return  # nothing ran (an invalid submission)
    cap, held = disk_peak["cap"], disk_peak["bytes"]
    assert cap == 4 * verified.evidence.run.limits.file_size_mb * 2**20
    FIGURES["disk_peak_mb"] = max(FIGURES["disk_peak_mb"], held / 2**20)  # type: ignore[call-overload]
    FIGURES["disk_enforcement"].add(disk_peak["enforcement"])  # type: ignore[union-attr]
    if os.geteuid() == 0 and verified.evidence.run.isolation.value == "bwrap":
        assert disk_peak["enforcement"] == "filesystem", verified.evidence.run.isolation_notes
    # Polled (no mount allowed), a fast disk takes more than the cap between two checks: only the
    # status says the cap was hit. A filesystem's size holds to the byte.
    if disk_peak["enforcement"] == "filesystem":
        # The cap plus what the grader itself put there: the synthetic /etc and the dataset links.
        assert held <= cap + 64 * 1024, f"{case.id} left {held / 2**20:.1f} MiB against a {cap / 2**20:g} MiB cap"
        if case.fills_disk:  # the walk sees what the run wrote: it wrote until the cap refused it
            assert held >= cap - 2**20, f"{case.id} left only {held / 2**20:.1f} MiB: did it write at all?"
            assert f"disk limit of {cap / 2**20:g} MiB" in verified.evidence.run.message


QUICK = [pytest.param(c, id=c.id) for c in CASES if not c.tf]
WITH_TF = [pytest.param(c, id=c.id, marks=pytest.mark.tf) for c in CASES if c.tf]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", QUICK)
def test_case_is_contained(case: Case, host: Host, dataset_store, disk_peak) -> None:
    before = host.snapshot()
    verified, seconds = run_case(case, host, dataset_store)
    check_contained(case, host, verified, seconds, before, disk_peak)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", WITH_TF)
def test_tampering_leaves_verified_figures_alone(case: Case, host: Host, dataset_store, shared_verifier,
                                                 disk_peak) -> None:
    before = host.snapshot()
    verified, seconds = run_case(case, host, dataset_store, shared_verifier)
    check_contained(case, host, verified, seconds, before, disk_peak)
    ev = verified.evidence
    assert ev.models, f"{case.id}: the probe saw no model"
    for model in ev.models:
        ver = verified.verification(model.id)
        assert ver is not None, f"{case.id}: model {model.id} has no verification"
        assert ver.message or ver.status is VerificationStatus.VERIFIED
        for fig in ver.figures:
            # A figure that counts is the grader's own measurement, or it is marked as only reported.
            assert fig.status is FigureStatus.REPORTED or fig.verified is not None
            if fig.name == "accuracy" and fig.verified is not None:
                assert fig.verified < 0.99, f"{case.id}: a forged accuracy was verified: {fig}"
    statuses = {verified.verification(m.id).status for m in ev.models}
    if case.id == "tamper_lambda_layer":
        assert statuses == {VerificationStatus.UNSAFE}
        for model in ev.models:  # unverifiable, yet its figures are still reported, marked as such
            assert verified.verification(model.id).figures
    elif case.id == "tamper_subclassed_model":
        # Without its class the file cannot load safely: unverifiable, and its figures say 'reported'.
        assert statuses <= {VerificationStatus.VERIFIED, VerificationStatus.UNSAFE}
        for model in ev.models:
            ver = verified.verification(model.id)
            if ver.status is VerificationStatus.UNSAFE:
                assert ver.figures and all(f.status is FigureStatus.REPORTED for f in ver.figures)
    elif case.id == "tamper_forged_events":
        # A model that exists only in a forged log: nothing to re-measure, every figure 'reported'.
        assert statuses <= {VerificationStatus.NOT_SAVED, VerificationStatus.ERROR}
        for model in ev.models:
            assert all(f.status is FigureStatus.REPORTED for f in verified.verification(model.id).figures)
    elif case.id == "tamper_forged_model_file":
        assert statuses <= {VerificationStatus.ERROR, VerificationStatus.NOT_SAVED}
    else:
        assert VerificationStatus.VERIFIED in statuses, [verified.verification(m.id) for m in ev.models]


# -- injection into the reports ----------------------------------------------------------------


def _graded(case: Case, host: Host, dataset_store, rubric_dir: Path):
    from grader.grading.grade import grade
    from grader.rubric.loader import load_rubric

    rubric_dir.mkdir(exist_ok=True)
    (rubric_dir / "rubric.yaml").write_text(RUBRIC)
    (rubric_dir / "check.py").write_text(CHECK)
    verified, _ = run_case(case, host, dataset_store)
    return grade(verified, load_rubric(rubric_dir / "rubric.yaml"))


@pytest.mark.timeout(120)
def test_html_report_renders_student_markup_inert(host: Host, dataset_store, tmp_path: Path) -> None:
    from grader.render.html.report import render_report

    result = _graded(BY_ID["html_and_ansi_output"], host, dataset_store, tmp_path / "rubric")
    html = render_report(result)
    token = host.token
    assert token in html  # the student's text is shown...
    for live in (f"<script>alert('md-{token}')", f"<script>alert('out-{token}')", f"<script>alert('err-{token}')",
                 f"<script>alert('html-{token}')", "<img src=x onerror", "<iframe src=//evil>", "\x1b", "\x07"):
        assert live not in html, f"{live!r} reached the report as markup"
    assert "&lt;script&gt;" in html  # ...as text


@pytest.mark.timeout(120)
def test_gradebook_csv_cells_are_not_formulas(host: Host, dataset_store, tmp_path: Path) -> None:
    from grader.render.exports.csv import render_gradebook

    result = _graded(BY_ID["formula_output"], host, dataset_store, tmp_path / "rubric")
    names = ["=HYPERLINK(\"http://evil\")", "+1+1", "-2", "@SUM(1)", "\tx", "\rx"]
    text = render_gradebook([result] * len(names), names)
    rows = list(csv.reader(io.StringIO(text)))
    cells = [cell for row in rows[2:] for cell in row]
    assert cells and all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), rows
    # Formula-like names are kept, quoted; control characters are dropped by the name cleaner.
    assert [row[0] for row in rows[2:6]] == ["'" + n for n in names[:4]]


# -- folders: discovery, the grader command, and a class with a control among hostile ones -------


def _result_facts(result) -> dict:
    """A grade, minus what differs between two runs of the same code (time, paths, memory)."""
    return {"score": result.score, "percent": result.percent, "status": result.status.value,
            "run": result.run.status.value,
            "criteria": [(c.id, c.points, c.outcome.value) for c in result.criteria],
            "printed": result.evidence.evidence.printed}


@pytest.mark.timeout(300)
def test_control_keeps_its_result_among_hostile_neighbours(host: Host, dataset_store, tmp_path: Path) -> None:
    from grader.pipeline.classgrade import grade_folder

    rubric = tmp_path / "rubric"
    rubric.mkdir()
    (rubric / "rubric.yaml").write_text(RUBRIC)
    (rubric / "check.py").write_text(CHECK)
    alone, batch = tmp_path / "alone", tmp_path / "batch"
    alone.mkdir()
    (alone / "control.py").write_text(CONTROL)
    (batch / "control.py").parent.mkdir()
    (batch / "control.py").write_text(CONTROL)
    for cid in BATCH:
        write_case(BY_ID[cid], batch / cid, host.ctx)
    before = host.snapshot()
    by_itself = grade_folder(alone, rubric=rubric / "rubric.yaml", jobs=1, datasets=dataset_store, cores=CPUS)
    started = time.monotonic()
    graded = grade_folder(batch, rubric=rubric / "rubric.yaml", jobs=2, datasets=dataset_store, cores=CPUS)
    wall = time.monotonic() - started
    assert graded.exit_code in (0, 3)
    results = {r.student.name: r.result for r in graded.results}
    assert set(results) == {"control", *BATCH}
    (control_alone,) = by_itself.results
    assert control_alone.result.score == 3
    if _result_facts(results["control"]) != _result_facts(control_alone.result):
        FIGURES["results_lost"] += 1  # type: ignore[operator]
    assert _result_facts(results["control"]) == _result_facts(control_alone.result)
    for cid in BATCH:
        run = results[cid].run
        assert run.status.value in BY_ID[cid].status, (cid, run.status, run.message)
        assert re.search(BY_ID[cid].message, run.message), (cid, run.message)
    assert host.snapshot() == before
    no_leftovers(host)
    assert list(host.runs.iterdir()) == []
    assert wall < 120


@pytest.mark.timeout(300)
def test_grader_command_survives_malformed_folders(host: Host, dataset_store, tmp_path: Path) -> None:
    """`grader grade` on a class of broken hand-ins: exit code 0 or 3, no traceback, every student
    listed with a status, nothing unpacked outside its staging folder."""
    rubric = tmp_path / "rubric"
    rubric.mkdir()
    (rubric / "rubric.yaml").write_text(RUBRIC)
    (rubric / "check.py").write_text(CHECK)
    klass = tmp_path / "klass"
    klass.mkdir()
    (klass / "control.py").write_text(CONTROL)
    zip_bomb(klass / "bomber.zip")
    zip_slip(klass / "slipper.zip", host.token)
    (klass / "empty_student").mkdir()
    (klass / "ünï cødé ✓ student.py").write_text("print('CONTROL OK')\n")
    (klass / "binary.py").write_bytes(bytes(range(256)) * 16)
    (klass / "notjson.ipynb").write_text("{ nope")
    (klass / "sneaky_link.py").symlink_to(host.other)
    empty = tmp_path / "empty_class"
    empty.mkdir()
    before = host.snapshot()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for folder, tag in ((klass, "class"), (empty, "empty")):
        out = tmp_path / f"out-{tag}"
        proc = subprocess.run([sys.executable, "-m", "grader.cli.grade", str(folder), "--rubric",
                               str(rubric / "rubric.yaml"), "--jobs", "2", "--datasets", str(dataset_store.root),
                               "--out", str(out), "--format", "csv,json"],
                              capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path)
        assert proc.returncode in (0, 3), (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr[-3000:]
        if folder is empty:
            continue
        rows = {row["Student"] if "Student" in row else list(row.values())[0]: row
                for row in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text("utf-8-sig")))}
        listed = " ".join(rows)
        for who in ("control", "bomber", "slipper", "binary", "notjson", "ünï cødé ✓ student"):
            assert who in listed, (who, list(rows))
        statuses = {}
        for path in (out / "results").glob("*.json"):
            data = json.loads(path.read_text())
            statuses[path.stem] = (data["run"]["status"], data["run"]["message"])
        assert all(msg for _, msg in statuses.values()), statuses
        assert any("bomber" in k and s == "invalid" and re.search("ratio|large|bytes|compress", m)
                   for k, (s, m) in statuses.items()), statuses
        assert any("binary" in k and s == "invalid" and "UTF-8" in m for k, (s, m) in statuses.items()), statuses
        assert any(k.startswith("control") and s == "completed" for k, (s, _) in statuses.items()), statuses
        expected = {"slipper": ("invalid", "outside the archive"), "empty_student": ("invalid", "empty"),
                    "notjson": ("invalid", "not valid JSON"), "n_c_d_student": ("completed", "completed")}
        for who, (status, words) in expected.items():
            assert statuses.get(who, ("", ""))[0] == status and words in statuses[who][1], (who, statuses)
        # A symlink handed in at the class level is not followed into another student's file.
        assert not any("sneaky" in k for k in statuses), statuses
        assert OTHER_SECRET not in " ".join(p.read_text() for p in (out / "results").glob("*.json"))
    assert host.snapshot() == before
    for stray in (tmp_path.parent / f"escaped_{host.token}.py", Path(f"/tmp/absolute_{host.token}.py"),
                  tmp_path / f"escaped_{host.token}.py"):
        assert not stray.exists()
    no_leftovers(host)
