"""Models for the report: layer tables, parameter counts and metrics, reported next to verified.

Everything a submission's process reported is untrusted; the grader's own re-measurement (from the
saved file, in a clean process) is what counts. The report shows both and flags every gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.evidence.model import FitRecord, LayerInfo, ModelRecord, ParamCounts
from grader.grading.result import GradeResult
from grader.render.html.charts import Chart, history_charts
from grader.render.safe import for_html, num, seconds
from grader.verify.verified import FigureStatus, ModelVerification


@dataclass(frozen=True)
class Row:
    cells: list[str]
    flag: str = ""  # '' when consistent, else a short reason shown loudly
    note: str = "consistent"  # what the Check column says when there is no flag


@dataclass(frozen=True)
class FitView:
    title: str
    facts: str
    charts: list[Chart]


@dataclass(frozen=True)
class ModelView:
    anchor: str
    title: str
    facts: list[tuple[str, str]]
    verification: str
    verification_status: str
    layer_head: list[str]
    layers: list[Row]
    params: list[Row]
    figures: list[Row]
    fits: list[FitView] = field(default_factory=list)

    @property
    def gaps(self) -> int:
        return sum(1 for r in self.layers + self.params + self.figures if r.flag)


def _config(layer: LayerInfo) -> str:
    bits = []
    for key in ("units", "filters", "kernel_size", "strides", "pool_size", "activation", "rate"):
        v = getattr(layer, key)
        if v is not None:
            bits.append(f"{key}={'x'.join(map(str, v)) if isinstance(v, list) else for_html(str(v))}")
    return ", ".join(bits)


def _shape(shape: list[int | None] | None) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")" if shape else ""


def layer_rows(m: ModelRecord, v: ModelVerification | None) -> tuple[list[str], list[Row]]:
    head = ["#", "Layer", "Type", "Configuration", "Output shape", "Parameters (reported)"]
    verified = v.layers if v and v.layers else None
    if verified is not None:
        head.append("Parameters (verified)")
    rows = []
    for i in range(max(len(m.layers), len(verified or []))):
        rep = m.layers[i] if i < len(m.layers) else None
        ver = verified[i] if verified is not None and i < len(verified) else None
        base = rep or ver
        assert base is not None
        cells = [str(i + 1), for_html(base.name), for_html(base.class_name), _config(base), _shape(base.output_shape),
                 num(rep.params, 6) if rep else "–"]
        flag = ""
        if verified is not None:
            cells.append(num(ver.params, 6) if ver else "–")
            if rep is None or ver is None:
                flag = "layer only in the " + ("saved file" if rep is None else "submission's report")
            elif rep.params != ver.params:
                flag = f"parameter gap: {ver.params - rep.params:+,}"
        rows.append(Row(cells, flag))
    return head, rows


def param_rows(m: ModelRecord, v: ModelVerification | None) -> list[Row]:
    rep: ParamCounts | None = m.params
    ver: ParamCounts | None = v.params if v else None
    checked = v.figure("params.trainable") if v else None
    rows = []
    for key in ("total", "trainable", "non_trainable", "weights", "biases"):
        r = getattr(rep, key) if rep else None
        w = getattr(ver, key) if ver else (checked.verified if checked and key == "trainable" else None)
        if r is None and w is None:
            continue
        flag = f"gap {w - r:+,}" if r is not None and w is not None and r != w else ""
        rows.append(Row([key.replace("_", "-"), num(r, 9), num(w, 9)], flag,
                        "consistent" if r is not None and w is not None else "not re-measured"))
    return rows


def figure_rows(v: ModelVerification | None) -> list[Row]:
    rows = []
    for f in v.figures if v else []:
        flag = ("the submission reported a different value; the verified one counts"
                if f.status == FigureStatus.MISMATCH else "")
        gap = "" if f.gap is None else f"{f.gap:+.4g}"
        rows.append(Row([for_html(f.name) + (f" ({f.split})" if f.split else ""), num(f.reported), num(f.verified),
                         f.status.value, gap, for_html(f.note)], flag,
                        "not re-measured" if f.status == FigureStatus.REPORTED else "consistent"))
    return rows


def fit_view(f: FitRecord) -> FitView:
    epochs = f"{f.epochs_run} of {f.epochs_requested}" if f.epochs_requested is not None else str(f.epochs_run)
    bits = [f"{epochs} epoch(s)"]
    if f.batch_size:
        bits.append(f"batch {f.batch_size}")
    if f.validation_split:
        bits.append(f"validation split {f.validation_split:g}")
    elif f.has_validation_data:
        bits.append("validation data")
    if f.epoch_seconds:
        bits.append(f"{seconds(sum(f.epoch_seconds) / len(f.epoch_seconds))} per epoch")
    if f.callbacks:
        bits.append("callbacks " + ", ".join(for_html(c.class_name) for c in f.callbacks))
    if f.cut:  # its figures are those of a partial training
        bits.append(f"cut by a time limit after {f.epochs_run} of {f.epochs_requested or '?'} epochs")
    elif not f.finished:
        bits.append("did not finish" + (f": {for_html(f.error)}" if f.error else ""))
    if f.quick:
        bits.append("cut short by quick mode")
    return FitView(f"fit {f.index + 1}", "; ".join(bits), history_charts(f.history, x0=f.initial_epoch + 1))


def model_views(r: GradeResult) -> list[ModelView]:
    out = []
    for m in r.evidence.evidence.models:
        v = r.evidence.verification(m.id)
        head, layers = layer_rows(m, v)
        opt = m.optimizer
        facts = [("Kind", f"{for_html(m.class_name)} ({m.kind}, {m.framework})"),
                 ("Input shape", _shape(m.input_shape) or "–"),
                 ("Optimizer", (for_html(opt.class_name) + (f", learning rate {num(opt.learning_rate)}"
                                                         if opt.learning_rate is not None else "")
                                + (f", schedule {for_html(opt.schedule)}" if opt.schedule else "")) if opt else "–"),
                 ("Loss", for_html(m.loss) or "–"), ("Metrics", ", ".join(for_html(x) for x in m.metrics) or "–")]
        vtext = (v.status.value + (f": {for_html(v.message)}" if v.message else "")) if v else "not verified"
        out.append(ModelView(anchor=f"model-{m.id}", title=f"{m.id} '{for_html(m.name)}'", facts=facts,
                             verification=vtext, verification_status=v.status.value if v else "none",
                             layer_head=head, layers=layers, params=param_rows(m, v), figures=figure_rows(v),
                             fits=[fit_view(f) for f in m.fits]))
    return out


@dataclass(frozen=True)
class SlotView:
    title: str
    slot: str
    model: str
    anchor: str
    unmet: list[str]


def slot_views(r: GradeResult) -> tuple[list[SlotView], list[tuple[str, str, list[tuple[str, str]]]]]:
    """Slots with the model that filled each, and for every unused model why it filled none."""
    slots = [SlotView(for_html(s.title), s.slot, f"{s.model_id} '{for_html(s.model_name)}'" if s.model_id else "",
                      f"model-{s.model_id}" if s.model_id else "",
                      [for_html(u) for u in s.unmet] or ([for_html(s.message)] if not s.model_id else []))
             for s in r.slots]
    unused = [(f"{u.model_id} '{for_html(u.model_name)}'" + ("" if u.trained else " (never finished training)"),
               f"model-{u.model_id}", [(sid, "; ".join(for_html(x) for x in why)) for sid, why in u.reasons.items()])
              for u in r.unassigned]
    return slots, unused
