"""Build Evidence and VerifiedEvidence objects in Python, for tests and benchmarks (no TensorFlow).

The helpers produce what a real run of a Keras notebook would leave behind: layers with parameter
counts, fits with a plausible history, evaluations, figures plotting that history, and markdown.
"""

from __future__ import annotations

from typing import Any

from grader.evidence.model import (
    AxesInfo, CallbackInfo, EvaluateRecord, Evidence, FigureRecord, FitRecord, Isolation, LayerInfo, Limits,
    LineInfo, ModelRecord, OptimizerInfo, ParamCounts, RunInfo, RunStatus, SubmissionInfo,
)
from grader.faults import Culprit, Fault, Phase
from grader.verify.verified import CheckedFigure, FigureStatus, ModelVerification, VerificationStatus, VerifiedEvidence


def layer(class_name: str, name: str | None = None, **kw: Any) -> LayerInfo:
    return LayerInfo(name=name or class_name.lower(), class_name=class_name, **kw)


def dense(units: int, activation: str | None = "sigmoid", inputs: int = 0) -> LayerInfo:
    n = (inputs + 1) * units if inputs else 0
    return layer("Dense", units=units, activation=activation, params=n, trainable_params=n)


def dense_stack(inputs: int, hidden: list[int], outputs: int = 10, activation: str = "sigmoid",
                output_activation: str = "softmax") -> tuple[list[LayerInfo], ParamCounts]:
    layers, weights, biases, prev = [layer("Flatten")], 0, 0, inputs
    for units in hidden + [outputs]:
        act = output_activation if len(layers) == len(hidden) + 1 else activation
        layers.append(dense(units, act, prev))
        weights, biases, prev = weights + prev * units, biases + units, units
    total = weights + biases
    return layers, ParamCounts(total=total, trainable=total, non_trainable=0, weights=weights, biases=biases)


def history(epochs: int, final_acc: float, final_val: float, *, start: float = 0.5) -> dict[str, list[float]]:
    def ramp(end: float) -> list[float]:
        return [round(start + (end - start) * (i + 1) / epochs, 6) for i in range(epochs)]

    return {"loss": [round(1.5 - a, 6) for a in ramp(final_acc)], "accuracy": ramp(final_acc),
            "val_loss": [round(1.5 - a, 6) for a in ramp(final_val)], "val_accuracy": ramp(final_val)}


def fit(epochs: int = 10, *, val_acc: float = 0.9, train_acc: float | None = None, validation: bool = True,
        seconds: float = 1.5, batch_size: int | None = None, shuffle: bool | None = None, finished: bool = True,
        callbacks: tuple[str, ...] = (), index: int = 0, extra_history: dict[str, list[float]] | None = None) -> FitRecord:
    hist = history(epochs, train_acc if train_acc is not None else val_acc + 0.01, val_acc) if epochs else {}
    if not validation:
        hist = {k: v for k, v in hist.items() if not k.startswith("val_")}
    hist.update(extra_history or {})
    return FitRecord(index=index, epochs_requested=epochs, epochs_run=epochs, batch_size=batch_size, shuffle=shuffle,
                     has_validation_data=validation, callbacks=[CallbackInfo(class_name=c) for c in callbacks],
                     history=hist, epoch_seconds=[seconds] * epochs, finished=finished,
                     saved_model=f"models/m{index}.keras" if finished else None)


def model(mid: str, layers: list[LayerInfo], params: ParamCounts | None, *, optimizer: str = "SGD",
          loss: str = "categorical_crossentropy", fits: list[FitRecord] | None = None, test_acc: float | None = None,
          name: str | None = None, input_shape: list[int | None] | None = None, lr: float = 0.01,
          evaluations: list[EvaluateRecord] | None = None) -> ModelRecord:
    evals = evaluations or ([EvaluateRecord(index=0, results={"loss": 0.3, "accuracy": test_acc})] if test_acc else [])
    return ModelRecord(id=mid, name=name or f"model_{mid}", class_name="Sequential", framework="keras",
                       kind="sequential", layers=layers, params=params, input_shape=input_shape or [None, 28, 28],
                       optimizer=OptimizerInfo(class_name=optimizer, learning_rate=lr), loss=loss,
                       metrics=["accuracy"], fits=fits if fits is not None else [fit()], evaluations=evals)


def dense_model(mid: str, hidden: list[int], *, activation: str = "sigmoid", epochs: int = 10, val_acc: float = 0.9,
                test_acc: float | None = 0.9, validation: bool = True, seconds: float = 1.5, trained: bool = True,
                **kw: Any) -> ModelRecord:
    layers, params = dense_stack(784, hidden, activation=activation)
    fits = [fit(epochs, val_acc=val_acc, validation=validation, seconds=seconds, finished=trained)]
    return model(mid, layers, params, fits=fits, test_acc=test_acc if trained else None, **kw)


def tutorial_cnn(mid: str = "m1", *, val_acc: float = 0.99, test_acc: float = 0.99, dense_units: int = 32,
                 optimizer: str = "RMSprop", batch_size: int = 64, epochs: int = 10, **kw: Any) -> ModelRecord:
    layers = [
        layer("Conv2D", filters=32, kernel_size=[3, 3], activation="relu", params=320, trainable_params=320),
        layer("MaxPooling2D", pool_size=[2, 2]),
        layer("Conv2D", filters=64, kernel_size=[3, 3], activation="relu", params=18496, trainable_params=18496),
        layer("Dropout", rate=0.3),
        layer("Conv2D", filters=32, kernel_size=[3, 3], activation="relu", params=18464, trainable_params=18464),
        layer("Flatten"),
        layer("Dense", units=dense_units, activation="relu"),
        layer("Dense", units=10, activation="softmax"),
    ]
    params = ParamCounts(total=140_000, trainable=140_000, non_trainable=0, weights=139_000, biases=1_000)
    fits = [fit(epochs, val_acc=val_acc, batch_size=batch_size, shuffle=True)]
    return model(mid, layers, params, optimizer=optimizer, fits=fits, test_acc=test_acc,
                 input_shape=[None, 28, 28, 1], **kw)


def curves(m: ModelRecord, index: int = 0, metric: str = "accuracy") -> FigureRecord:
    h = m.fits[-1].history
    lines = [LineInfo(label=k, points=len(h[k]), y=h[k]) for k in (metric, f"val_{metric}") if k in h]
    return FigureRecord(index=index, axes=[AxesInfo(title=f"{metric} per epoch", xlabel="epoch", ylabel=metric,
                                                    lines=lines, legend=[line.label or "" for line in lines])])


def evidence(models: list[ModelRecord], *, figures: list[FigureRecord] | None = None, markdown: str = "",
             printed: str = "", status: RunStatus = RunStatus.COMPLETED, message: str = "ran to the end",
             kind: str = "notebook") -> Evidence:
    return Evidence(
        submission=SubmissionInfo(path=f"hw.{'ipynb' if kind == 'notebook' else 'py'}", kind=kind, sha256="0" * 64,
                                  size=1234),
        run=RunInfo(status=status, message=message, isolation=Isolation.LIMITS_ONLY, limits=Limits()),
        models=models, figures=figures or [], markdown=markdown, printed=printed)


def verify(ev: Evidence, *, status: dict[str, VerificationStatus] | None = None,
           val: dict[str, float] | None = None, test: dict[str, float] | None = None,
           message: str = "") -> VerifiedEvidence:
    """Verification as the grader would produce it: trained models re-measured, their figures consistent.

    ``val``/``test`` override the verified value (to make a mismatch); ``status`` overrides the status.
    """
    out = []
    for m in ev.models:
        st = (status or {}).get(m.id) or (VerificationStatus.VERIFIED if any(f.finished for f in m.fits)
                                          else VerificationStatus.NOT_SAVED)
        figs = [CheckedFigure(name="params.trainable", reported=m.params.trainable,
                              verified=m.params.trainable if st == VerificationStatus.VERIFIED else None,
                              status=FigureStatus.VERIFIED if st == VerificationStatus.VERIFIED
                              else FigureStatus.REPORTED)] if m.params else []
        reported_val = next((f.history["val_accuracy"][-1] for f in reversed(m.fits)
                             if f.history.get("val_accuracy")), None)
        reported_test = next((e.results.get("accuracy") for e in reversed(m.evaluations)), None)
        for split, rep, override in (("validation", reported_val, val), ("test", reported_test, test)):
            ver = (override or {}).get(m.id, rep if split == "validation" else (rep or reported_val))
            if st != VerificationStatus.VERIFIED:
                ver = None
            if rep is None and ver is None:
                continue
            fs = (FigureStatus.REPORTED if ver is None else FigureStatus.VERIFIED
                  if rep is None or abs(ver - rep) <= 0.01 else FigureStatus.MISMATCH)
            figs.append(CheckedFigure(name="accuracy", split=split, reported=rep, verified=ver, status=fs))
        out.append(ModelVerification(model_id=m.id, status=st, figures=figs, layers=[], params=None,
                                     message=message if st != VerificationStatus.VERIFIED else ""))
    return VerifiedEvidence(evidence=ev, verifications=out)


def not_run(message: str, models: list[ModelRecord] | None = None, *,
            culprit: Culprit = Culprit.ENVIRONMENT) -> VerifiedEvidence:
    """What the grader makes when it could not run a submission: a 'not_run' run and the fault that says why."""
    fault = Fault(phase=Phase.RUN, culprit=culprit, kind="SandboxError", message=message)
    return verify(evidence(models or [], status=RunStatus.NOT_RUN, message=message)).model_copy(
        update={"faults": (fault,)})


NN_BASICS_MARKDOWN = """
## Part one
The big network has 302,110 trainable parameters: 301,720 weights and 390 biases.
After 10 epochs its validation accuracy was 91.2%. Each epoch took about 1.5 seconds.

The small network has 39,760 trainable parameters (39,700 weights, 60 biases).
Validation accuracy 0.895; an epoch took roughly 1.2 sec.

## Part two
Deep models: tiny has 7,018 params, narrow 34,954 params, wide 88,330 params.
"""


def nn_basics_models() -> list[ModelRecord]:
    """The six networks of the NN-basics exercise, as a good student builds them."""
    return [
        dense_model("m1", [380], val_acc=0.912, test_acc=0.91, name="big"),
        dense_model("m2", [50], val_acc=0.895, test_acc=0.89, seconds=1.2, name="small"),
        dense_model("m3", [8] * 10, val_acc=0.11, test_acc=0.11, name="deep_tiny"),
        dense_model("m4", [32] * 10, val_acc=0.11, test_acc=0.11, name="deep_narrow"),
        dense_model("m5", [64] * 10, val_acc=0.2, test_acc=0.2, name="deep_wide"),
        dense_model("m6", [256, 128, 64], epochs=40, val_acc=0.951, test_acc=0.948, name="best"),
    ]


def nn_basics_evidence(**kw: Any) -> VerifiedEvidence:
    models = nn_basics_models()
    figs = [curves(m, i) for i, m in enumerate(models)]
    return verify(evidence(models, figures=figs, markdown=NN_BASICS_MARKDOWN, **kw))
