"""Reading a notebook's outputs: Keras's own output (summaries, training logs) apart from the student's words.

Pure text processing, no TensorFlow. It reads every format Keras has printed in the wild:

* summaries: Keras <= 2.12 ('Total params: 653,546'), 2.13-2.15 ('Total params: 123338 (481.79 KB)')
  and 3.x (box-drawn tables);
* training logs: Keras 3 ('━━━' bars), Keras 2 ('1875/1875 [====] - 5s 3ms/step - loss: ...'), the TF1 era
  ('Train on 54000 samples', '56us/sample', 'acc'/'val_acc') and verbose=2 lines; progress bars stored with
  carriage returns and backspaces are read in their final state, as the screen showed them;
* `evaluate` results, from Keras's bar or from the '[loss, accuracy]' list the student displayed.

Every line is classified as framework output (tables, logs, warnings, tracebacks, object reprs, the
grader's own '[grader]' notes) or as the student's own: only the latter may answer a question.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.evidence.events import MODEL_EVENTS, ProbeEvent
from grader.evidence.model import ModelRecord
from grader.evidence.reported import (ModelTouch, NotebookRecord, Passage, ReportedCell, ReportedEpoch,
                                      ReportedEvaluate, ReportedFit, ReportedLayer, ReportedRun, ReportedSummary, Run)

MAX_CELL_CHARS = 64 * 2**20  # as much as a notebook file may hold; past it a cell's output is not read
_SIMULATE_CHARS = 4096  # longer redrawn lines take the last redraw (Keras pads each one to the last's width)
MAX_PASSAGE_CHARS = 20000
MAX_STUDENT_LINES = 400

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_NUM = r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+|nan|inf)"
_EPOCH = re.compile(r"^\s*Epoch (\d+)/(\d+)\s*$")
_TRAIN_ON = re.compile(r"^\s*Train on (\d+) samples(?:, validate on (\d+) samples)?")
# A progress line: '1875/1875 [====...]', '3/3 ━━━━', '1875/1875 - 5s - loss' (verbose=2) or the Keras 2.2
# verbose=2 line ' - 3s - loss: ...' that has no step count.
_STEP = re.compile(r"^\s*(?:(?P<k>\d+)/(?P<n>\d+)\s*(?:\[[=>.]*\]|━+|(?=-\s))|(?=-\s+\d+s\s+-\s+\w+:))")
_METRIC = re.compile(rf"(?:^|\s)-\s+(?P<name>[A-Za-z_][\w./]*):\s+(?P<value>{_NUM})(?=\s|$)")
_TOTAL_TIME = re.compile(r"(?:^|\s)(?:(?P<h>\d+):(?P<hm>\d\d):(?P<hs>\d\d)|(?P<m>\d+):(?P<ms>\d\d)|(?:(?P<mm>\d+)m\s*)?"
                         r"(?P<s>\d+(?:\.\d+)?)s)(?=\s|$)")
_PER_UNIT = re.compile(r"(?P<v>\d+(?:\.\d+)?)(?P<unit>s|ms|us|µs)/(?P<what>step|sample)")
_CALLBACK = re.compile(r"^\s*(Epoch \d+: |Epoch \d{5}: |Restoring model weights|Epoch \d+ early stopping)")
# Quoted, as Keras writes it: "Model: big" is a student's line.
_MODEL_HEADER = re.compile(r'^\s*Model: "(?P<name>[^"]*)"\s*$')
_TOTALS = re.compile(r"^\s*(?P<kind>Total|Trainable|Non-trainable|Optimizer) params:\s*(?P<n>\d[\d,]*)"
                     r"(?P<size>\s*\([\d.]+\s*[KMGT]?B\))?")
_TABLE_RULE = re.compile(r"^\s*(?:_{10,}|={10,}|[┏┃┡│├└┌┐┘┤┬┴┼╇┩━─┓┳┗┛┠┨]+.*)$")
_LAYER_HEADER = re.compile(r"^\s*[┃│|]?\s*Layer \(type\)")
_K2_ROW = re.compile(r"^\s*(?P<name>[\w./:-]+) \((?P<cls>\w+)\)\s+(?P<shape>\[?\(.*?\)\]?|multiple|\?|\[.*?\])"
                     r"\s+(?P<params>\d[\d,]*)(?:\s|$)")
_NOISE = re.compile(
    r"^\s*(WARNING|INFO|ERROR)\b[:\s]|^[IWEF]\d{4} |^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[.\d]*:? ?[IWEF]? |"
    r"^.*\.py:\d+: \w*Warning\b|^\s*warnings\.warn\(|^Using (TensorFlow|Theano) backend|^Downloading data from |"
    r"^\s*Instructions for updating:|^\s*Traceback \(most recent call last\)|^To enable the following instructions|"
    r"This TensorFlow binary is optimized|oneDNN custom operations are on|^\[grader\] |"
    r"^\s*super\(\)\.__init__\(\*\*kwargs\)\s*$|"
    # Shell escapes: pip's progress and nvidia-smi's table are the tools' words, not the student's.
    r"^\s*(Collecting|Requirement already satisfied|Installing collected packages|Successfully (installed|uninstalled|"
    r"built)|Building wheels?|Looking in indexes|Attempting uninstall|Found existing installation|Uninstalling|"
    r"Created wheel|Stored in directory|Preparing metadata|Using cached|Downloading \S+\.(whl|tar\.gz))\b|"
    r"NVIDIA-SMI|^\s*[+|][-=+|\s]*$|^\s*(_{20,}|={20,})\s*$"
)
_REPR = re.compile(r"<[\w.]+(?: object)? at 0x[0-9a-fA-F]+>|^<Figure size \d+x\d+ with \d+ Axes>$|"
                   r"^Text\(-?[\d.]+, -?[\d.]+, .*\)$|^\[?<matplotlib\.|^<(tensorflow|keras|tf_keras)\.")
_LIST = re.compile(rf"^\s*\[\s*{_NUM}(?:\s*,\s*{_NUM}){{0,7}}\s*\]\s*$")
_IMAGES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
_RENAME = {"acc": "accuracy", "val_acc": "val_accuracy"}


def final_state(raw: str) -> list[str]:
    """The lines as the screen showed them at the end: colours stripped, '\\r' and backspaces applied."""
    raw = _ANSI.sub("", raw)
    out = []
    for line in raw.split("\n"):
        if len(line) > _SIMULATE_CHARS and "\r" in line:
            line = line.rsplit("\r", 1)[1]  # a bar redrawn a thousand times in one stored line
        if "\r" in line or "\x08" in line:
            line = _overwrite(line)
        out.append(line.rstrip())
    return out


def _overwrite(line: str) -> str:
    buf: list[str] = []
    pos = 0
    for ch in line:
        if ch == "\r":
            pos = 0
        elif ch == "\x08":
            pos = max(0, pos - 1)
        else:
            if pos < len(buf):
                buf[pos] = ch
            else:
                buf.append(ch)
            pos += 1
    return "".join(buf)


def _metrics(line: str) -> dict[str, float]:
    out = {}
    for m in _METRIC.finditer(line):
        try:
            out[_RENAME.get(m.group("name"), m.group("name"))] = float(m.group("value"))
        except ValueError:
            continue
    return out


def _seconds(line: str, steps: int | None) -> float | None:
    """The epoch's wall time: steps x time per step where printed (finer than the rounded total), else the total."""
    if "ETA" in line:
        return None
    per = _PER_UNIT.search(line)
    estimate = None
    if per and steps:
        scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}[per.group("unit")]
        estimate = round(float(per.group("v")) * scale * steps, 4)
    # The total comes first after the bar: '- 5s 3ms/step', '0s 64ms/step', ' - 3s - loss' (verbose=2).
    step = _STEP.match(line)
    rest = line[step.end():] if step else line
    t = _TOTAL_TIME.search(rest.strip().lstrip("-").strip().split(" - ")[0])
    total = None
    if t and t.group("h"):
        total = float(int(t.group("h")) * 3600 + int(t.group("hm")) * 60 + int(t.group("hs")))
    elif t and t.group("m"):
        total = float(int(t.group("m")) * 60 + int(t.group("ms")))
    elif t:
        total = int(t.group("mm") or 0) * 60 + float(t.group("s"))
    # Both are rounded as printed: whole seconds are the finer figure for long epochs, steps x
    # time per step for short ones ('0s 64ms/step').
    if total is not None and (total >= 5 or estimate is None):
        return total
    return estimate


def _fit_format(line: str, samples: bool) -> str:
    if "━" in line:
        return "keras3"
    if samples or "/sample" in line:
        return "keras2-samples"
    if "[" not in line:
        return "keras2-verbose2"
    return "keras2"


@dataclass
class _Fit:
    format: str | None = None
    requested: int | None = None
    epochs: dict[int, ReportedEpoch] = field(default_factory=dict)
    current: int | None = None
    open: bool = False
    train: int | None = None
    val: int | None = None


@dataclass
class _Summary:
    name: str | None
    format: str = "keras2"
    totals: dict[str, int] = field(default_factory=dict)
    layers: list[ReportedLayer] = field(default_factory=list)


@dataclass
class _Cell:
    index: int | None
    summaries: list[ReportedSummary] = field(default_factory=list)
    fits: list[ReportedFit] = field(default_factory=list)
    evaluations: list[ReportedEvaluate] = field(default_factory=list)
    student: list[str] = field(default_factory=list)
    framework: int = 0
    fit: _Fit | None = None
    summary: _Summary | None = None
    pending_samples: tuple[int, int | None] | None = None
    evaluate_bar: dict[str, float] = field(default_factory=dict)
    evaluated: bool = False
    tool_table: bool = False  # inside nvidia-smi's table

    def close_fit(self) -> None:
        f = self.fit
        if f is not None and f.epochs:
            self.fits.append(ReportedFit(
                cell_index=self.index, format=f.format or "keras2", epochs_requested=f.requested,
                epochs=[f.epochs[k] for k in sorted(f.epochs)], train_samples=f.train, validation_samples=f.val))
        self.fit = None

    def close_summary(self) -> None:
        s = self.summary
        if s is not None and (s.totals or s.layers):
            self.summaries.append(ReportedSummary(
                cell_index=self.index, name=s.name or None, format=s.format,  # type: ignore[arg-type]
                total_params=s.totals.get("Total"), trainable_params=s.totals.get("Trainable"),
                non_trainable_params=s.totals.get("Non-trainable"), layers=s.layers))
        self.summary = None

    def line(self, line: str, *, student_ok: bool, displayed: bool = False) -> None:
        if not line.strip():
            return
        if self._summary_line(line) or self._log_line(line):
            self.framework += 1
            return
        if "NVIDIA-SMI" in line:
            self.tool_table = True
        elif self.tool_table and not line.lstrip().startswith(("|", "+")):
            self.tool_table = False
        if self.tool_table or _NOISE.search(line) or _REPR.search(line.strip()) or not student_ok:
            self.framework += 1
            return
        if _LIST.match(line) and (displayed or self.evaluated):
            # '[0.29, 0.91]' after an evaluate: the student chose to show it, so it is theirs too.
            values = [float(v) for v in re.findall(_NUM, line)]
            self.evaluations.append(ReportedEvaluate(cell_index=self.index, values=values))
            self.evaluated = False
        if len(self.student) < MAX_STUDENT_LINES:
            self.student.append(line.strip())

    def _summary_line(self, line: str) -> bool:
        header = _MODEL_HEADER.match(line)
        if header:
            self.close_summary()
            self.summary = _Summary(name=header.group("name").strip())
            return True
        if _LAYER_HEADER.match(line):
            if self.summary is None:
                self.summary = _Summary(name=None)
            return True
        totals = _TOTALS.match(line)
        if totals:
            s = self.summary or _Summary(name=None)
            self.summary = s
            s.totals[totals.group("kind")] = int(totals.group("n").replace(",", ""))
            if totals.group("size") and s.format == "keras2":
                s.format = "keras2.13"
            return True
        if self.summary is None:
            return False
        if "│" in line or "┃" in line or _TABLE_RULE.match(line):
            if any(c in line for c in "┏┃│━"):
                self.summary.format = "keras3"
            cells = [c.strip() for c in line.strip().strip("│").split("│")]
            if len(cells) >= 3 and cells[2].replace(",", "").isdigit():
                m = re.match(r"^(?P<name>\S+) \((?P<cls>\w+)\)$", cells[0])
                if m:
                    self.summary.layers.append(ReportedLayer(name=m.group("name"), class_name=m.group("cls"),
                                                             params=int(cells[2].replace(",", ""))))
            return True
        row = _K2_ROW.match(line)
        if row:
            self.summary.layers.append(ReportedLayer(name=row.group("name"), class_name=row.group("cls"),
                                                     params=int(row.group("params").replace(",", ""))))
            return True
        if "Non-trainable" in self.summary.totals:
            self.close_summary()
            return False
        # A continuation line of a wrapped Keras 2 row ('input_1[0][0]', a long shape): still the table.
        return line.startswith(" " * 20) or line.strip().startswith("'") or line.strip().endswith("]")

    def _log_line(self, line: str) -> bool:
        train_on = _TRAIN_ON.match(line)
        if train_on:
            self.pending_samples = (int(train_on.group(1)), int(train_on.group(2)) if train_on.group(2) else None)
            return True
        epoch = _EPOCH.match(line)
        if epoch:
            n, of = int(epoch.group(1)), int(epoch.group(2))
            f = self.fit
            if f is None or (f.current is not None and n <= f.current) or (f.requested not in (None, of)):
                self.close_fit()
                f = self.fit = _Fit(requested=of)
                if self.pending_samples:
                    f.train, f.val = self.pending_samples
                    self.pending_samples = None
            f.current, f.open = n, True
            return True
        if _CALLBACK.match(line):
            return True
        step = _STEP.match(line)
        if not step:
            return False
        k, n = step.group("k"), step.group("n")
        done = k is None or k == n
        metrics = _metrics(line)
        f = self.fit
        if f is not None and f.open and f.current is not None:
            f.format = f.format or _fit_format(line, f.train is not None)
            seconds = _seconds(line, int(n) if n else None) if done else None
            if metrics:
                f.epochs[f.current] = ReportedEpoch(epoch=f.current, metrics=metrics, seconds=seconds)
            if done:
                f.open = False
            return True
        # A bar outside an epoch: evaluate (or predict, or a download, which print no metrics).
        if metrics:
            self.evaluate_bar = metrics
        if done and self.evaluate_bar:
            self.evaluations.append(ReportedEvaluate(cell_index=self.index, metrics=self.evaluate_bar))
            self.evaluate_bar = {}
            self.evaluated = True
        return True

    def build(self, images: int) -> ReportedCell:
        self.close_fit()
        self.close_summary()
        return ReportedCell(cell_index=self.index, summaries=self.summaries,
                            fits=self.fits, evaluations=self.evaluations, images=images, student_lines=self.student,
                            framework_lines=self.framework)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else ""


def _segments(outputs: Sequence[dict[str, Any]]) -> tuple[list[tuple[str, str]], int]:
    """(kind, text) in order, consecutive chunks of one stream joined (a line may span chunks), and the image count."""
    segs: list[tuple[str, str]] = []
    images = 0
    for out in outputs:
        if not isinstance(out, dict):
            continue
        kind = out.get("output_type")
        if kind == "stream":
            name = "stderr" if out.get("name") == "stderr" else "stdout"
            text = _text(out.get("text"))
            if segs and segs[-1][0] == name:
                segs[-1] = (name, segs[-1][1] + text)
            else:
                segs.append((name, text))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data") or {}
            if any(k in data for k in _IMAGES):
                images += 1
                continue  # its text/plain is '<Figure size ...>'
            plain = _text(data.get("text/plain"))
            if plain:
                segs.append(("result" if kind == "execute_result" else "display", plain))
        elif kind == "error":
            segs.append(("error", "\n".join(_text(t) for t in (out.get("traceback") or []))
                         or f"{out.get('ename', '')}: {out.get('evalue', '')}"))
    return segs, images


def parse_outputs(outputs: Sequence[dict[str, Any]], cell_index: int | None = None) -> ReportedCell:
    """One code cell's outputs (nbformat dicts), read."""
    segs, images = _segments(outputs)
    cell = _Cell(cell_index)
    budget = MAX_CELL_CHARS
    for kind, text in segs:
        text, budget = text[:budget], budget - len(text)
        # stderr holds logs and warnings; a traceback is Python's. Neither is the student's words, but
        # Keras may print a training log to either stream, so both are still read for logs.
        student_ok = kind in ("stdout", "result", "display")
        for line in final_state(text):
            cell.line(line, student_ok=student_ok, displayed=kind == "result")
        if budget <= 0:
            break
    return cell.build(images)


def parse_text(text: str) -> ReportedCell:
    """Plain captured output (a script's stdout), read as one cell."""
    cell = _Cell(None)
    for line in final_state(text[:MAX_CELL_CHARS]):
        cell.line(line, student_ok=True)
    return cell.build(0)


def student_text(printed: str) -> str:
    """Only the lines the student's code printed: Keras's tables and logs, warnings and reprs removed."""
    return "\n".join(parse_text(printed).student_lines)


def _cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    cells = nb.get("cells") if isinstance(nb, dict) else None
    return [c if isinstance(c, dict) else {} for c in cells] if isinstance(cells, list) else []


def parse_notebook(nb: dict[str, Any]) -> ReportedRun:
    """A notebook's stored outputs (an nbformat v4 dict), cell by cell; cells with no outputs are left out."""
    cells = []
    for index, cell in enumerate(_cells(nb)):
        outputs = cell.get("outputs") if cell.get("cell_type") == "code" else None
        if outputs:
            cells.append(parse_outputs(outputs, index))
    return ReportedRun(cells=cells)


def passages(nb: dict[str, Any], *, run: Run | None, markdown: bool = True) -> list[Passage]:
    """The student's words in a notebook, in order: markdown cells and the lines each code cell printed.

    ``run`` says whose outputs these are ('stored': the submitted notebook; 'rerun': the grader's run);
    with ``run=None`` no printed passages are taken.
    """
    out = []
    for index, cell in enumerate(_cells(nb)):
        if cell.get("cell_type") == "markdown" and markdown:
            text = _text(cell.get("source")).strip()
            if text:
                out.append(Passage(cell_index=index, source="markdown", text=text[:MAX_PASSAGE_CHARS]))
        elif cell.get("cell_type") == "code" and run is not None and cell.get("outputs"):
            lines = parse_outputs(cell["outputs"], index).student_lines
            if lines:
                out.append(Passage(cell_index=index, source="printed", run=run,
                                   text="\n".join(lines)[:MAX_PASSAGE_CHARS]))
    return out


def touches_from_events(events: Iterable[dict[str, Any]]) -> list[ModelTouch]:
    """Which cell each compile/fit/evaluate the probe saw ran in (events follow the driver's 'cell_start')."""
    cell: int | None = None
    out: list[ModelTouch] = []
    for ev in events:
        kind = ProbeEvent.of(ev.get("event"))
        if kind is ProbeEvent.CELL_START and isinstance(ev.get("index"), int):
            cell = ev["index"]
        elif kind in MODEL_EVENTS and cell is not None and isinstance(ev.get("model"), dict):
            mid = ev["model"].get("id")
            if isinstance(mid, str):
                touch = ModelTouch(cell_index=cell, model_id=mid, action=kind.value)
                if not out or out[-1] != touch:
                    out.append(touch)
    return out


def attach(run: ReportedRun, touches: Sequence[ModelTouch], models: Sequence[ModelRecord]) -> ReportedRun:
    """Give each stored summary, log and evaluate result the re-run's model it belongs to, by cell.

    A log goes to the model the re-run trained in the same cell (the k-th log to the k-th fit there); a
    summary to the model with its parameter count, nearest to the cell; an evaluate result to the model
    evaluated there. Otherwise, to the one model the cell touched, if it touched exactly one; else to none.
    """
    totals = {m.id: m.params.total for m in models if m.params is not None}

    def in_cell(index: int | None, action: str | None = None) -> list[str]:
        return list(dict.fromkeys(t.model_id for t in touches
                                  if t.cell_index == index and (action is None or t.action == action)))

    def nearest(index: int, candidates: list[str]) -> str | None:
        where = {mid: min(abs(t.cell_index - index) + (0.5 if t.cell_index < index else 0)
                          for t in touches if t.model_id == mid)
                 for mid in candidates if any(t.model_id == mid for t in touches)}
        return min(where, key=lambda k: where[k]) if where else None

    cells = []
    for cell in run.cells:
        if cell.cell_index is None:  # a script's output: no cells to place it by
            cells.append(cell)
            continue
        # A log in a cell the re-run never trained in (it stopped earlier, or the code changed) stays unattached:
        # guessing would hand one network's figures to another.
        trained = in_cell(cell.cell_index, "fit")
        touched = in_cell(cell.cell_index)
        fits = [f.model_copy(update={"model_id": trained[i] if i < len(trained) else
                                     (touched[0] if len(touched) == 1 else None)}) for i, f in enumerate(cell.fits)]
        summaries = []
        for s in cell.summaries:
            same = [mid for mid, total in totals.items() if s.total_params is not None and total == s.total_params]
            mid = nearest(cell.cell_index, same) if same else (touched[0] if len(touched) == 1 else None)
            summaries.append(s.model_copy(update={"model_id": mid}))
        evaluated = in_cell(cell.cell_index, "evaluate") or (touched if len(touched) == 1 else [])
        evaluations = [e.model_copy(update={"model_id": evaluated[min(i, len(evaluated) - 1)] if evaluated else None})
                       for i, e in enumerate(cell.evaluations)]
        cells.append(cell.model_copy(update={"fits": fits, "summaries": summaries, "evaluations": evaluations}))
    return ReportedRun(cells=cells)


def notebook_record(events: Iterable[dict[str, Any]], models: Sequence[ModelRecord], *,
                    submitted: dict[str, Any] | None, executed: dict[str, Any] | None) -> NotebookRecord:
    """The notebook's words by cell (markdown, lines printed in the re-run and in the stored run) and the
    stored run attached to the re-run's models."""
    events = list(events)
    touches = touches_from_events(events)
    # nbclient clears a cell's outputs only when it runs it: the cells the re-run never reached still
    # hold the student's stored outputs in the executed copy, and are not the re-run's.
    started = {ev["index"] for ev in events if ProbeEvent.of(ev.get("event")) is ProbeEvent.CELL_START and isinstance(ev.get("index"), int)}
    source = submitted or executed or {}
    found = passages(source, run=None)
    if executed is not None:
        found += [p for p in passages(executed, run="rerun", markdown=False) if p.cell_index in started]
        rerun = parse_notebook(executed)
        rerun = ReportedRun(cells=[c for c in rerun.cells if c.cell_index in started])
        touches = _with_summaries(touches, rerun, models)
    stored = None
    if submitted is not None:
        found += passages(submitted, run="stored", markdown=False)
        parsed = parse_notebook(submitted)
        stored = attach(parsed, touches, models) if parsed.cells else None
    found.sort(key=lambda p: (p.cell_index if p.cell_index is not None else -1, p.source != "markdown",
                              p.run != "stored"))
    return NotebookRecord(passages=found, touches=touches, stored=stored)


def _with_summaries(touches: list[ModelTouch], rerun: ReportedRun, models: Sequence[ModelRecord]) -> list[ModelTouch]:
    """Add the cells where the re-run printed a model's summary: a model is often built and summarised a
    cell or two before it is compiled, and the text between is already about it."""
    if not touches:
        return touches
    extra = []
    for s in attach(rerun, touches, models).summaries:
        if s.model_id is not None and s.cell_index is not None and any(
                m.id == s.model_id and m.params is not None and m.params.total == s.total_params for m in models):
            extra.append(ModelTouch(cell_index=s.cell_index, model_id=s.model_id, action="summary"))
    return sorted(touches + extra, key=lambda t: t.cell_index) if extra else touches


def owners(touches: Sequence[ModelTouch], cell_index: int | None) -> set[str] | None:
    """The models whose part of the notebook a cell lies in; None when any model's (no place to tell).

    A model's part runs from the first cell that compiles, trains or evaluates it to the next cell that
    touches another model: text after a training cell is about the model just trained. A cell that
    touches several models (a loop over networks) belongs to all of them.
    """
    if cell_index is None or len({t.model_id for t in touches}) <= 1:
        return None
    before = [t.cell_index for t in touches if t.cell_index <= cell_index]
    if not before:
        return set()
    last = max(before)
    return {t.model_id for t in touches if t.cell_index == last}


def belongs(touches: Sequence[ModelTouch], model_id: str, cell_index: int | None) -> bool:
    """Whether text in this cell may answer a question about the model."""
    if all(t.model_id != model_id for t in touches):
        return True  # the re-run never placed the model (a hand-written loop, a helper module): anywhere
    found = owners(touches, cell_index)
    return found is None or model_id in found


MAX_NOTEBOOK_BYTES = 64 * 2**20


def _read_json(path: Path | None, warnings: list[str]) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            warnings.append(f"{path.name} is over {MAX_NOTEBOOK_BYTES // 2**20} MiB; its outputs were not read")
            return None
        data = json.loads(path.read_text("utf-8", "replace"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def read_notebook_record(events: Iterable[dict[str, Any]], models: Sequence[ModelRecord], *, submitted: Path | None,
                         executed: Path | None, warnings: list[str]) -> NotebookRecord | None:
    """The notebook record of a run, from the submitted file and the re-run's executed copy (read as JSON data)."""
    sub, exe = _read_json(submitted, warnings), _read_json(executed, warnings)
    if sub is None and exe is None:
        return None
    try:
        return notebook_record(list(events), models, submitted=sub, executed=exe)
    except (ValueError, TypeError) as exc:  # a malformed notebook: its words are not attributed, nothing else
        warnings.append(f"the notebook's outputs could not be read by cell: {str(exc).splitlines()[0][:200]}")
        return None


def renumber(record: NotebookRecord | None, ids: dict[str, str]) -> NotebookRecord | None:
    """The record with model ids renamed (merging a submission's files renumbers its models)."""
    if record is None:
        return None

    def rid(mid: str | None) -> str | None:
        return ids.get(mid, mid) if mid is not None else None

    touches = [t.model_copy(update={"model_id": rid(t.model_id)}) for t in record.touches]
    stored = None
    if record.stored is not None:
        stored = ReportedRun(cells=[c.model_copy(update={
            "fits": [f.model_copy(update={"model_id": rid(f.model_id)}) for f in c.fits],
            "summaries": [s.model_copy(update={"model_id": rid(s.model_id)}) for s in c.summaries],
            "evaluations": [e.model_copy(update={"model_id": rid(e.model_id)}) for e in c.evaluations],
        }) for c in record.stored.cells])
    return record.model_copy(update={"touches": touches, "stored": stored})
