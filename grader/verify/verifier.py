"""The verifier client: one long-lived, sandboxed worker process per grading worker.

TensorFlow is imported once when the worker starts; each model then costs a safe load
and a pass over the test split. The worker sees only the dataset files and an inbox of
model files, read-only, with no network.

A single ``grader check`` would pay that import after the run; :meth:`Verifier.prestart` starts the
worker (at low priority) while the submission runs, and the first request waits for it to be ready.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.datasets.served import HOUSING_FILE
from grader.errors import VerifierError
from grader.evidence.model import DataFingerprint, Evidence, FitRecord, Isolation, LayerInfo, ModelRecord, ParamCounts
from grader.faults import Culprit, Fault, Phase
from grader.sandbox import isolation
from grader.sandbox.isolation import INSIDE_DATA, INSIDE_RUNTIME, INSIDE_WORK, Mounts
from grader.sandbox.runner import RUNTIME_DIR
from grader.verify.verified import ModelVerification, VerificationStatus, VerifiedEvidence
from grader.verify.figures import model_figures

if TYPE_CHECKING:
    from grader.evidence.assembly import BegunFit

START_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 600.0
MAX_MODEL_BYTES = 512 * 2**20
MAX_SIGNATURE_BYTES = 256 * 2**20  # 4 float64 per row: 8 million rows


class Verifier:
    """Use as a context manager; `verify(evidence, out_dir)` may be called many times."""

    def __init__(self, datasets: dict[str, Path] | None = None, *, cpus: int = 1, environment: Any = None):
        self.datasets = dict(datasets or {})
        self.cpus = cpus
        # A grader.intake.environments.CourseEnvironment, or None for the grader's own interpreter. The verifier
        # runs where the submission ran: the course's Keras reads the files the course's Keras wrote.
        self.environment = environment
        self._proc: subprocess.Popen | None = None
        self._dir = Path(tempfile.mkdtemp(prefix="grader-verify-"))
        self._inbox = self._dir / "inbox"
        self._inbox.mkdir()
        self.versions: dict[str, str] = {}
        self.started_s = 0.0
        self._ready = False
        self._spawned = 0.0
        # One request at a time: a check's speculative request (grader.verify.speculation) runs on its own thread.
        self._lock = threading.RLock()
        self._closing = False
        # Per answered request, the steps the worker took from its memo (grader_verify.Memo), in order.
        self.reused: list[tuple[str, ...]] = []

    def __enter__(self) -> "Verifier":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def use_environment(self, environment: Any) -> None:
        """Verify under `environment` from now on (the worker restarts when it changes)."""
        if environment != self.environment:
            self._stop()
            self.environment = environment

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def prestart(self, niceness: int = 10) -> None:
        """Start the worker now and return at once; it imports TensorFlow at `niceness` (the student's run,
        started next, keeps the cores it needs) and the first request waits for it. Call it from a thread
        that outlives the worker: bubblewrap's --die-with-parent kills the worker when the spawning thread
        exits. A worker that dies before it is used is started again by the first request."""
        if self._proc is None or self._proc.poll() is not None:
            self._spawn(niceness)

    def close(self) -> None:
        self._closing = True
        if self._proc is not None:
            self._proc.kill()  # a request in flight on another thread fails now instead of holding the lock
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def _start(self) -> None:
        self._spawn()
        self._await_ready()

    def _await_ready(self) -> None:
        hello = self._read(START_TIMEOUT_S)
        if not hello.get("ready"):
            raise VerifierError(f"verifier did not start: {hello}")
        self.versions = {"keras": str(hello.get("keras", ""))}
        course = self.environment
        if course is not None:
            self.versions.update({"keras_module": str(hello.get("keras_module", "")),
                                  "python": str(hello.get("python", "")), "interpreter": course.python})
        self.started_s = time.perf_counter() - self._spawned
        self._ready = True

    def _spawn(self, niceness: int = 0) -> None:
        self._spawned = time.perf_counter()
        self._ready = False
        host = isolation.detect()
        env = {"PYTHONPATH": INSIDE_RUNTIME, "GRADER_DATA": INSIDE_DATA, "HOME": "/tmp", "TF_CPP_MIN_LOG_LEVEL": "2",
               "CUDA_VISIBLE_DEVICES": "", "TF_NUM_INTRAOP_THREADS": str(self.cpus), "OMP_NUM_THREADS": str(self.cpus),
               "KERAS_HOME": "/tmp/.keras", "MPLCONFIGDIR": "/tmp/mpl", "PYTHONDONTWRITEBYTECODE": "1"}
        course = self.environment
        if course is not None and course.legacy:
            env.update({"TF_USE_LEGACY_KERAS": "1", "GRADER_VERIFY_KERAS": "tf_keras"})
        roots = tuple(Path(r) for r in course.roots) if course is not None else None
        cmd: list[str]
        if host.level is Isolation.BWRAP:
            etc = self._dir / "etc"
            etc.mkdir(exist_ok=True)
            for name, text in (("passwd", "verifier:x:65534:65534::/tmp:/bin/false\n"), ("group", "verifier:x:65534:\n"),
                               ("hosts", "127.0.0.1 localhost\n")):
                (etc / name).write_text(text)
            out = self._dir / "scratch"
            out.mkdir(exist_ok=True)
            mounts = Mounts(self._inbox, out, RUNTIME_DIR, etc, self.datasets, python_roots=roots)
            cmd = isolation.bwrap_prefix(host, mounts, tmp_mb=512,
                                         env=env)
            self._inside_inbox = INSIDE_WORK
            popen_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        else:
            data = self._dir / "data"
            data.mkdir(exist_ok=True)
            for name, path in self.datasets.items():
                (data / name).symlink_to(Path(path).resolve())
            env.update({"PYTHONPATH": str(RUNTIME_DIR), "GRADER_DATA": str(data), "HOME": str(self._dir),
                        "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
            cmd, popen_env, self._inside_inbox = [], env, str(self._inbox)
        if host.drop_user:
            os.chmod(self._dir, 0o755)
            cmd += isolation.drop_privileges(isolation.SANDBOX_UID)
        cmd += [course.python if course is not None else isolation.python_executable(), "-u", "-m", "grader_verify"]
        nice = shutil.which("nice") if niceness > 0 else None
        if nice is not None:  # inherited through bubblewrap by the worker and its threads
            cmd = [nice, "-n", str(niceness), *cmd]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                      env=popen_env, text=True, start_new_session=True)

    def _read(self, timeout: float) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        box: dict[str, Any] = {}

        def reader() -> None:
            box["line"] = self._proc.stdout.readline()  # type: ignore[union-attr]

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        thread.join(timeout)
        line = box.get("line")
        if not line:
            self._proc.kill()
            self._proc = None
            raise VerifierError("verifier worker died or timed out")
        return json.loads(line)

    def request(self, model_file: Path | None, payload: dict[str, Any], signatures: Path | None = None, *,
                start: bool = True) -> dict[str, Any]:
        """Send one model (and its fit's row signatures) to the worker (restarting it once if it died); no model
        for a request that needs none (``overlap_only``). With `start` False a worker that is not running raises
        VerifierError instead: a thread that ends before the worker must not spawn it (see :meth:`prestart`)."""
        with self._lock:
            if not start and (self._proc is None or self._proc.poll() is not None):
                raise VerifierError("the verifier worker is not running")
            resp = self._request(model_file, payload, signatures, start)
            self.reused.append(tuple(str(part) for part in resp.get("reused") or ()))
            return resp

    def _request(self, model_file: Path | None, payload: dict[str, Any], signatures: Path | None,
                 start: bool) -> dict[str, Any]:
        for attempt in (1, 2):
            if self._closing:
                raise VerifierError("the verifier was closed")
            if attempt == 2 and not start:
                raise VerifierError("the verifier worker died")
            if self._proc is not None and not self._ready:  # started early (prestart): wait for it
                try:
                    self._await_ready()
                except VerifierError:
                    self._proc = None  # it died while the submission ran: start it again, once
            if self._proc is None or self._proc.poll() is not None:
                if not start:
                    raise VerifierError("the verifier worker died")
                self._start()
            name = f"{uuid.uuid4().hex}.keras"
            extra: dict[str, Any] = {}
            if model_file is not None:
                shutil.copyfile(model_file, self._inbox / name)
                os.chmod(self._inbox / name, 0o644)
                extra["model"] = f"{self._inside_inbox}/{name}"
            if signatures is not None:
                shutil.copyfile(signatures, self._inbox / f"{name}.sig.npy")
                os.chmod(self._inbox / f"{name}.sig.npy", 0o644)
                extra["signatures"] = f"{self._inside_inbox}/{name}.sig.npy"
            try:
                req = {**payload, **extra, "id": name}
                assert self._proc is not None and self._proc.stdin is not None
                self._proc.stdin.write(json.dumps(req) + "\n")
                self._proc.stdin.flush()
                return self._read(REQUEST_TIMEOUT_S)
            except (VerifierError, BrokenPipeError) as exc:
                if attempt == 2:  # twice on this one model: the model breaks the verifier, not the host
                    return {"ok": False, "kind": "error", "stage": "crash",
                            "message": f"the verifier crashed on this model: {exc}"}
            finally:
                (self._inbox / name).unlink(missing_ok=True)
                (self._inbox / f"{name}.sig.npy").unlink(missing_ok=True)
        return {"ok": False, "kind": "error", "message": "unreachable"}

    def count_overlap(self, begun: BegunFit, out_dir: Path, datasets: list[str], *, hidden: str | None = None,
                      start: bool = True) -> dict[str, Any] | None:
        """Count the test rows among a begun fit's rows before its model exists: the count depends on the rows
        alone, and the worker keeps it for the model's own request (grader.verify.speculation). None when the fit
        wrote no usable row signatures."""
        signatures = _signature_file(begun.x, out_dir)
        if signatures is None:
            return None
        payload = {"datasets": datasets, "hidden": hidden, "overlap_only": True,
                   "fit": {"x": begun.x.model_dump(), "validation_split": begun.validation_split}}
        return self.request(None, payload, signatures, start=start)

    def verify_model(self, model: ModelRecord, out_dir: Path, datasets: list[str], *, metrics: bool = True,
                     hidden: str | None = None, start: bool = True) -> ModelVerification:
        fit = _last_saved_fit(model)
        if fit is None or fit.saved_model is None:
            why = next((f.save_error for f in reversed(model.fits) if f.save_error), None)
            return ModelVerification(model_id=model.id, status=VerificationStatus.NOT_SAVED,
                                     message=f"no saved model to verify ({why})" if why else "the model never finished a fit, so there is no saved model to verify",
                                     figures=model_figures(model, model.fits[-1] if model.fits else None, {}))
        path = (out_dir / fit.saved_model).resolve()
        if not path.is_file() or out_dir.resolve() not in path.parents or path.stat().st_size > MAX_MODEL_BYTES:
            message = "the saved model file is missing, outside the run's folder, or too large"
            return ModelVerification(model_id=model.id, status=VerificationStatus.ERROR, file=fit.saved_model,
                                     message=message, fault=Fault(phase=Phase.VERIFY, culprit=Culprit.STUDENT,
                                                                  kind="model-file", message=message,
                                                                  subject=model.id))
        payload = {"datasets": datasets if metrics else [], "fit": _fit_payload(fit), "hidden": hidden,
                   "eval_x": [e.x.model_dump() if e.x else None for e in model.evaluations]}
        try:
            resp = self.request(path, payload, _signature_file(fit.x, out_dir), start=start)
        except VerifierError as exc:
            if self.environment is None or not start:
                raise  # the grader's own verifier broke: a grader error, retried next time
            resp = {"ok": False, "kind": "error", "stage": "start", "message": f"the verifier could not start "
                    f"under interpreter {self.environment.python}: {exc}"}
        if not resp.get("ok") and resp.get("kind") != "unsafe" and self.environment is not None \
                and resp.get("stage") in ("load", "start"):
            # Under a course environment a file this verifier cannot read is not the grader breaking:
            # the submission's own figures stand, marked as only reported.
            return ModelVerification(model_id=model.id, status=VerificationStatus.REPORTED_ONLY, file=fit.saved_model,
                                     message=f"reported only: {str(resp.get('message', ''))[:1400]}",
                                     figures=model_figures(model, fit, {}))
        if not resp.get("ok"):
            status = VerificationStatus.UNSAFE if resp.get("kind") == "unsafe" else VerificationStatus.ERROR
            message = str(resp.get("message", ""))[:1500]
            return ModelVerification(model_id=model.id, status=status, file=fit.saved_model, message=message,
                                     figures=model_figures(model, fit, {}),
                                     fault=verify_fault(model.id, resp, message) if status == VerificationStatus.ERROR
                                     else None)
        affine = resp.get("affine")
        prep = f"inputs rebuilt as {affine[0]:.6g} * raw + {affine[1]:.6g}" if affine else resp.get("preprocessing")
        if resp.get("held_out"):
            prep = f"{prep}; {resp['held_out']}"
        recognised = affine or resp.get("dataset")
        return ModelVerification(
            model_id=model.id, status=VerificationStatus.VERIFIED, file=fit.saved_model,
            message="; ".join(resp.get("notes", [])) or ("" if recognised else "the grader could not recognise the training data, so metrics were not recomputed"),
            layers=[LayerInfo(**layer) for layer in resp.get("layers", [])],
            params=ParamCounts(**resp["params"]) if resp.get("params") else None,
            figures=model_figures(model, fit, resp), dataset=resp.get("dataset"), preprocessing=prep,
            seconds=float(resp.get("seconds", 0.0)), trained_on_test=resp.get("trained_on_test") is True,
            test_overlap=_count(resp.get("test_overlap")), test_rows=_count((resp.get("n") or {}).get("test")),
            test_overlap_augmented=_count(resp.get("test_overlap_augmented")),
            measured_on=str(resp["measured_on"]) if resp.get("measured_on") else None,
        )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _signature_file(x: DataFingerprint | None, out_dir: Path) -> Path | None:
    """A fit's row signatures, when the probe wrote them inside the run's folder and they are a sane size."""
    rel = x.signature_file if x is not None else None
    if not rel:
        return None
    path = (out_dir / rel).resolve()
    if not path.is_file() or out_dir.resolve() not in path.parents or path.stat().st_size > MAX_SIGNATURE_BYTES:
        return None
    return path


def verify_fault(model_id: str, resp: dict[str, Any], message: str) -> Fault:
    """Whose it is when the verifier could not re-measure a model. A saved file that does not load (a custom
    layer, a corrupt file), or that crashes the worker twice, is the student's evidence breaking the stage;
    a worker that raised while measuring a loaded model is the grader's own code breaking."""
    stage = str(resp.get("stage") or "measure")
    culprit = Culprit.STUDENT if stage in ("load", "crash") else Culprit.GRADER
    kind = message.split(":", 1)[0] if ":" in message and " " not in message.split(":", 1)[0] else stage
    return Fault(phase=Phase.VERIFY, culprit=culprit, kind=kind, message=message,
                 detail=str(resp.get("trace") or "")[-2000:], subject=model_id)


def _last_saved_fit(model: ModelRecord) -> FitRecord | None:
    for fit in reversed(model.fits):
        if fit.saved_model:
            return fit
    return None


def _fit_payload(fit: FitRecord) -> dict[str, Any]:
    return {"x": fit.x.model_dump() if fit.x else None, "y": fit.y.model_dump() if fit.y else None,
            "validation_split": fit.validation_split,
            "validation_x": fit.validation_x.model_dump() if fit.validation_x else None}


def tried_datasets(loaded: list[str], verifier: Verifier) -> list[str]:
    """The datasets to try a model on, in order. The datasets the run says it loaded come first, but that claim is
    only a hint from inside the sandbox: every dataset the verifier holds is tried, and the data fingerprints
    decide."""
    held = [name[: -len(".npz")] for name in verifier.datasets if name.endswith(".npz")]
    if HOUSING_FILE in verifier.datasets:
        held.append("usa_housing")  # a table, re-measured by grader_tabular in the worker
    return list(dict.fromkeys([*loaded, *held]))


def verify_evidence(evidence: Evidence, out_dir: Path, verifier: Verifier, *, metrics: bool = True,
                    hidden: str | None = None) -> VerifiedEvidence:
    """``hidden`` ('fraction:seed', grader.datasets.served.hidden_split) measures the test figures on the test
    rows the run was not served."""
    datasets = tried_datasets(evidence.datasets, verifier)
    extra = {"hidden": hidden} if hidden else {}  # verifiers written before hidden splits keep working
    results = [verifier.verify_model(m, out_dir, datasets, metrics=metrics, **extra) for m in evidence.models]
    # The verifier alone holds the test split: what it learns about the training data is a typed field of
    # each verification (VerifiedEvidence.trained_on_test); the warning is only its words, for reports.
    seen = [f"model {r.model_id}: " + (f"the model was trained on {r.test_overlap:,} of the {r.test_rows or 0:,} rows "
                                       "of the test split, so its test figures are not verified"
                                       if r.test_overlap else TRAINED_ON_TEST)
            for r in results if r.trained_on_test]
    if seen:
        evidence = evidence.model_copy(update={"warnings": [*evidence.warnings, *seen]})
    return VerifiedEvidence(evidence=evidence, verifications=results, verifier_versions=verifier.versions)


TRAINED_ON_TEST = "the model was trained on the test split (fit's data matches the grader's test data)"
