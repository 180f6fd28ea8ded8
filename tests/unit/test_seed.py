"""Deterministic runs by default: the seed as a run option, in the rubric, the store key, the evidence and the
probe (run here in a plain interpreter with NumPy, no TensorFlow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from pydantic import ValidationError

from grader.cli.options import SeedType
from grader.evidence.model import DEFAULT_SEED, Isolation, Limits, RunInfo, RunStatus
from grader.evidence.seeding import determinism_failed, fold_seeding, seed_line
from grader.pipeline.store import environment, environment_key
from grader.rubric.model import RunLimits
from grader.sandbox.runner import SandboxRequest, _env

RUNTIME = Path(__file__).resolve().parents[2] / "grader" / "runtime"


# --- the option, the rubric and the limits ------------------------------------------------------

def test_runs_are_seeded_by_default_and_none_unseeds() -> None:
    assert Limits().seed == DEFAULT_SEED
    assert Limits().with_seed(None).seed == DEFAULT_SEED
    assert Limits().with_seed("none").seed is None
    assert Limits().with_seed(42).seed == 42
    with pytest.raises(ValidationError):
        Limits(seed=-1)
    with pytest.raises(ValidationError):
        Limits(seed=2**32)


def test_rubric_limits_seed() -> None:
    assert RunLimits().to_limits().seed == DEFAULT_SEED
    assert RunLimits(seed=7).to_limits().seed == 7
    assert RunLimits(seed="none").to_limits().seed is None
    # The option beats the rubric, as --compat does.
    assert RunLimits(seed="none").to_limits().with_seed(3).seed == 3
    assert RunLimits(seed=7).to_limits().with_seed("none").seed is None
    for bad in (-1, "off", 2**32):
        with pytest.raises(ValidationError):
            RunLimits(seed=bad)


def test_seed_option_parses_numbers_and_none() -> None:
    kind = SeedType()
    assert kind.convert("5", None, None) == 5 and kind.convert("none", None, None) == "none"
    for bad in ("-1", "abc", str(2**32)):
        with pytest.raises(click.BadParameter):
            kind.convert(bad, None, None)


def test_evidence_stored_before_seeding_reads_as_unseeded() -> None:
    run = RunInfo(status=RunStatus.COMPLETED, message="ok", isolation=Isolation.BWRAP, limits=Limits())
    old = json.loads(run.model_dump_json())
    del old["limits"]["seed"], old["seeding"]
    assert RunInfo.model_validate(old).limits.seed is None
    assert RunInfo.model_validate_json(run.model_dump_json()).limits.seed == DEFAULT_SEED


# --- the results-store key ----------------------------------------------------------------------

def test_seed_is_part_of_the_store_key_and_unseeded_keeps_the_old_key() -> None:
    plain = environment_key(environment())
    assert environment_key(environment(seed=None)) == plain  # what an unseeded run was stored under before
    keys = {environment_key(environment(seed=s)) for s in (1, 2, 0)}
    assert len(keys) == 3 and plain not in keys


# --- what the sandbox is given ------------------------------------------------------------------

def _request(limits: Limits) -> SandboxRequest:
    return SandboxRequest(source=Path("x.py"), entry="x.py", kind="script", limits=limits)


def test_sandbox_environment_carries_the_seed() -> None:
    inside = {k: f"/{k}" for k in ("home", "runtime", "out", "data", "work", "tmp")}
    seeded = _env(_request(Limits(seed=9)), inside, "/usr/bin")
    assert seeded["GRADER_SEED"] == "9" and seeded["PYTHONHASHSEED"] == "9"
    plain = _env(_request(Limits(seed=None)), inside, "/usr/bin")
    assert "GRADER_SEED" not in plain and "PYTHONHASHSEED" not in plain


# --- folding the probe's events -----------------------------------------------------------------

def test_fold_seeding() -> None:
    events = [{"event": "seeding", "seed": 1, "op_determinism": True},
              {"event": "seed_set", "via": "keras.utils.set_random_seed", "value": 7, "line": 3}]
    seeding = fold_seeding(events, Limits())
    assert seeding is not None and seeding.seed == 1 and seeding.op_determinism
    assert seeding.student_seeds == ["keras.utils.set_random_seed(7) at line 3"]
    assert fold_seeding([], Limits(seed=None)) is None
    own = fold_seeding(events[1:], Limits(seed=None))
    assert own is not None and own.seed is None and not own.op_determinism and own.student_seeds
    assert determinism_failed(events) is None
    failed = events + [{"event": "determinism_failed", "ename": "RuntimeError", "evalue": "no deterministic op"}]
    assert determinism_failed(failed) == "RuntimeError: no deterministic op"


def _run(limits: Limits, seeding: object = None) -> RunInfo:
    return RunInfo(status=RunStatus.COMPLETED, message="ok", isolation=Isolation.BWRAP, limits=limits,
                   seeding=seeding)


def test_seed_line() -> None:
    on = fold_seeding([{"event": "seeding", "op_determinism": True}], Limits(seed=4))
    assert seed_line(_run(Limits(seed=4), on)) == "4, TensorFlow op determinism on"
    assert seed_line(_run(Limits(seed=None))).startswith("none: unseeded")
    assert "TensorFlow was not imported" in seed_line(_run(Limits(seed=4), fold_seeding([], Limits(seed=4))))
    fell = on.model_copy(update={"fallback": "RuntimeError: x", "op_determinism": False})
    assert "op determinism off" in seed_line(_run(Limits(seed=4), fell)) and "RuntimeError: x" in seed_line(
        _run(Limits(seed=4), fell))


# --- the probe, in a real interpreter (NumPy, no TensorFlow) -------------------------------------

STUDENT = """
import random, json, numpy as np
{pre}
print(json.dumps([random.random(), float(np.random.rand())]))
"""


def _probe_run(tmp_path: Path, source: str, seed: str | None, tag: str) -> tuple[list[float], list[dict]]:
    work = tmp_path / tag
    work.mkdir()
    script = work / "s.py"
    script.write_text(source)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "PYTHONHASHSEED"))}
    env.update({"PYTHONPATH": str(RUNTIME), "GRADER_OUT": str(work), "GRADER_WORK": str(work)})
    if seed is not None:
        env["GRADER_SEED"] = seed
    proc = subprocess.run([sys.executable, "-m", "grader_probe.driver", "script", str(script)], env=env, cwd=work,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = [json.loads(line) for line in (work / "events.jsonl").read_text().splitlines()]
    return json.loads(proc.stdout.strip().splitlines()[-1]), events


def test_probe_seeds_random_and_numpy_and_a_student_seed_wins(tmp_path: Path) -> None:
    import random

    import numpy as np

    plain = STUDENT.format(pre="")
    a, _ = _probe_run(tmp_path, plain, "1", "a")
    b, _ = _probe_run(tmp_path, plain, "1", "b")
    c, _ = _probe_run(tmp_path, plain, "2", "c")
    assert a == b and a != c
    # The student's own seeds run later and win, and are recorded.
    own, events = _probe_run(tmp_path, STUDENT.format(pre="random.seed(7); np.random.seed(7)"), "1", "own")
    np.random.seed(7)
    assert own == [random.Random(7).random(), float(np.random.rand())]
    assert [e["via"] for e in events if e["event"] == "seed_set"] == ["random.seed", "numpy.random.seed"]
    # Unseeded: nothing is set, so two runs differ (as before seeding existed).
    u1, ev1 = _probe_run(tmp_path, plain, None, "u1")
    u2, _ = _probe_run(tmp_path, plain, None, "u2")
    assert u1 != u2 and not [e for e in ev1 if e["event"] in ("seeding", "seed_set")]


def test_probe_classifies_determinism_failures_only_when_it_turned_determinism_on() -> None:
    sys.path.insert(0, str(RUNTIME))
    try:
        from grader_probe import seeding
    finally:
        sys.path.remove(str(RUNTIME))
    refused = RuntimeError("Random ops require a seed to be set when determinism is enabled. Please set a seed")
    saved = dict(seeding._state)
    try:
        seeding._state["determinism"] = False
        assert not seeding.is_determinism_failure(refused)
        seeding._state["determinism"] = True
        assert seeding.is_determinism_failure(refused)
        assert not seeding.is_determinism_failure(ValueError("shapes (2,3) and (4,) not aligned"))
    finally:
        seeding._state.clear()
        seeding._state.update(saved)


def test_rubric_yaml_seed_and_its_show_line() -> None:
    from grader.rubric.loader import parse_rubric
    from grader.rubric.show import describe_rubric

    head = "id: t\ntitle: T\nversion: '1'\n"
    off = parse_rubric(head + "limits: {seed: none}\n")
    assert off.limits.to_limits().seed is None and "seed: none (runs unseeded)" in describe_rubric(off)
    five = parse_rubric(head + "limits: {seed: 5}\n")
    assert five.limits.to_limits().seed == 5 and "seed: 5" in describe_rubric(five)
    assert parse_rubric(head).limits.to_limits().seed == DEFAULT_SEED


def test_the_commands_take_seed_and_grade_takes_repeat() -> None:
    from click.testing import CliRunner

    from grader.cli.app import main

    runner = CliRunner()
    for command in ("run", "check", "grade"):
        shown = runner.invoke(main, [command, "--help"])
        assert shown.exit_code == 0 and "--seed" in shown.output, command
    assert "--repeat" in runner.invoke(main, ["grade", "--help"]).output
    refused = runner.invoke(main, ["run", __file__, "--seed", "often"])
    assert refused.exit_code == 2 and "neither a number nor 'none'" in refused.output
