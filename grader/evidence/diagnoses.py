"""Names the Keras 2 idioms that Keras 3 rejects, with the line and the fix.

A static scan of the submission's own source (parsed with `ast`, never executed), linked
to the run's errors where one of them is what the idiom caused. Pure: no TensorFlow.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from typing import Iterator

from grader.evidence.model import Diagnosis

_OPTIMIZERS = {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl"}
_GENERATOR_METHODS = {"fit_generator": "fit", "evaluate_generator": "evaluate", "predict_generator": "predict"}


@dataclass(frozen=True)
class _Rule:
    idiom: str
    title: str
    fix: str
    error: re.Pattern[str]  # matches "EName: message" of the error this idiom causes


RULES = {
    "optimizer-lr": _Rule("optimizer-lr", "optimizer created with lr=...",
                          "use learning_rate=..., e.g. SGD(learning_rate=0.01)", re.compile(r"not recognized.*'lr'|unexpected keyword argument 'lr'")),
    "np-utils": _Rule("np-utils", "keras.utils.np_utils imported",
                      "np_utils is gone: from keras.utils import to_categorical", re.compile(r"np_utils")),
    "predict-classes": _Rule("predict-classes", "model.predict_classes(...)",
                             "use np.argmax(model.predict(x), axis=-1)", re.compile(r"has no attribute 'predict_classes'")),
    "history-acc": _Rule("history-acc", "history.history['acc'] / ['val_acc']",
                         "the keys are 'accuracy' and 'val_accuracy' now", re.compile(r"^KeyError: '(val_)?acc'")),
    "compile-positional": _Rule("compile-positional", "compile(optimizer, loss, ['accuracy']) with metrics as the third positional argument",
                                "the third positional argument is loss_weights in Keras 3: write metrics=['accuracy']",
                                # Keras 3 takes the list as loss weights: fit then fails casting the strings.
                                re.compile(r"loss_weights|^KeyError: '(val_)?accuracy'|dtype='string' is not a valid dtype")),
    "nb-epoch": _Rule("nb-epoch", "fit(..., nb_epoch=...)", "use epochs=...", re.compile(r"nb_epoch")),
    "fit-generator": _Rule("fit-generator", "model.fit_generator / evaluate_generator / predict_generator",
                           "fit, evaluate and predict take generators and datasets directly: model.fit(generator, ...)",
                           re.compile(r"has no attribute '(fit|evaluate|predict)_generator'")),
}


def _findings(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            keywords = {k.arg for k in node.keywords}
            if name in _OPTIMIZERS and "lr" in keywords:
                yield "optimizer-lr", node.lineno
            if "nb_epoch" in keywords:
                yield "nb-epoch", node.lineno
            if name == "predict_classes":
                yield "predict-classes", node.lineno
            if name in _GENERATOR_METHODS:
                yield "fit-generator", node.lineno
            if name == "compile" and isinstance(func, ast.Attribute) and len(node.args) >= 3:
                yield "compile-positional", node.lineno
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            if any("np_utils" in (n or "") for n in names):
                yield "np-utils", node.lineno
        elif isinstance(node, ast.Attribute) and node.attr == "np_utils":
            yield "np-utils", node.lineno
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value in ("acc", "val_acc"):
            yield "history-acc", node.lineno


def _parse(source: str) -> ast.AST | None:
    # Shell escapes and magics are IPython, not Python: blank them so the rest still parses.
    lines = ["" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError):
        return None


def scan_source(text: str, *, notebook: bool) -> list[Diagnosis]:
    """Every Keras 2 idiom in a script's text or a notebook's JSON, first occurrence per place."""
    chunks: list[tuple[int | None, str]] = []
    if notebook:
        try:
            cells = json.loads(text).get("cells", [])
        except (ValueError, AttributeError):
            return []
        for index, cell in enumerate(cells):
            if isinstance(cell, dict) and cell.get("cell_type") == "code":
                src = cell.get("source", "")
                chunks.append((index, "".join(src) if isinstance(src, list) else str(src)))
    else:
        chunks.append((None, text))
    out: list[Diagnosis] = []
    seen: set[tuple[str, int | None, int]] = set()
    for cell_index, source in chunks:
        tree = _parse(source)
        if tree is None:
            continue
        for idiom, line in sorted(_findings(tree), key=lambda f: f[1]):
            if (idiom, cell_index, line) in seen:
                continue
            seen.add((idiom, cell_index, line))
            rule = RULES[idiom]
            out.append(Diagnosis(idiom=idiom, title=rule.title, fix=rule.fix, line=line, cell_index=cell_index))
    return out


def link_errors(diagnoses: list[Diagnosis], errors: list[tuple[int | None, str]]) -> list[Diagnosis]:
    """Mark the diagnoses whose idiom explains one of the run's errors ((cell index, 'EName: msg'))."""
    linked = []
    for diag in diagnoses:
        rule = RULES[diag.idiom]
        caused = any(rule.error.search(message) and (cell is None or diag.cell_index is None or cell >= diag.cell_index)
                     for cell, message in errors)
        linked.append(diag.model_copy(update={"caused_error": caused}) if caused else diag)
    return linked
