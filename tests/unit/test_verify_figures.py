"""Pure figure comparison: verified beats reported, and a gap is flagged, not hidden."""

from grader.evidence.model import CallbackInfo, FitRecord, ModelRecord, ParamCounts
from grader.verify.verified import FigureStatus
from grader.verify.figures import compare, model_figures


def test_compare_statuses():
    assert compare("accuracy", "test", None, 0.9).status is FigureStatus.VERIFIED
    assert compare("accuracy", "test", 0.9, None).status is FigureStatus.REPORTED
    fig = compare("accuracy", "test", 0.99, 0.91)
    assert fig.status is FigureStatus.MISMATCH and fig.value == 0.91 and round(fig.gap, 2) == -0.08
    assert compare("accuracy", "test", 0.905, 0.91).status is FigureStatus.VERIFIED
    assert compare("params.trainable", None, 100, 101).status is FigureStatus.MISMATCH


def _model(fit):
    return ModelRecord(id="m1", name="m", class_name="Sequential", framework="keras", kind="sequential",
                       params=ParamCounts(total=10, trainable=10, non_trainable=0, weights=8, biases=2), fits=[fit])


def test_restore_best_weights_compares_with_the_best_epoch():
    fit = FitRecord(index=0, history={"val_loss": [0.5, 0.3, 0.4], "val_accuracy": [0.8, 0.9, 0.85]},
                    callbacks=[CallbackInfo(class_name="EarlyStopping", config={"monitor": "val_loss", "restore_best_weights": True})])
    figs = model_figures(_model(fit), fit, {"params": {"total": 10, "trainable": 10, "non_trainable": 0, "weights": 8, "biases": 2},
                                            "metrics": {"validation": {"accuracy": 0.9}}})
    val = next(f for f in figs if f.name == "accuracy" and f.split == "validation")
    assert val.reported == 0.9 and val.status is FigureStatus.VERIFIED


def test_tampered_history_is_a_mismatch():
    fit = FitRecord(index=0, history={"val_accuracy": [0.99]})
    figs = model_figures(_model(fit), fit, {"metrics": {"validation": {"accuracy": 0.42}}})
    val = next(f for f in figs if f.name == "accuracy" and f.split == "validation")
    assert val.status is FigureStatus.MISMATCH and val.value == 0.42
