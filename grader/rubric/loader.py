"""Read a rubric YAML file, keeping line numbers, and refuse a broken one before anything runs.

Every problem is reported as a :class:`RubricError` with the file, the line it is on, and a hint
(a 'did you mean' for a misspelt key or name, the accepted values for a bad one).
"""

from __future__ import annotations

import difflib
import hashlib
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from grader.errors import RubricError
from grader.rubric.model import Rubric
from grader.rubric.refs import Issue, check_references


class RubricErrors(RubricError):
    """Several problems in one rubric file; the first one is this error's own message."""

    def __init__(self, errors: list[RubricError]) -> None:
        self.errors = errors  # set first: the base __init__ renders __str__
        first = errors[0]
        super().__init__(first.message, file=first.file, line=first.line, hint=first.hint)

    def __str__(self) -> str:
        return "\n".join(RubricError.__str__(e) for e in self.errors)


def load_rubric(path: str | Path) -> Rubric:
    """Load and fully validate a rubric file; raises :class:`RubricErrors` listing every problem."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RubricError(f"cannot read rubric: {exc.strerror or exc}", file=str(path)) from None
    rubric = parse_rubric(raw.decode("utf-8", errors="replace"), file=str(path), rubric_dir=path.parent)
    return rubric.with_source(path, hashlib.sha256(raw).hexdigest())


def parse_rubric(text: str, *, file: str = "<rubric>", rubric_dir: Path | None = None) -> Rubric:
    tree = _parse_yaml(text, file)
    try:
        rubric = Rubric.model_validate(_plain(tree))
    except ValidationError as exc:
        raise RubricErrors(_from_pydantic(exc, tree, file)) from None
    issues = check_references(rubric, rubric_dir)
    if issues:
        raise RubricErrors(sorted((_from_issue(i, tree, file) for i in issues), key=lambda e: e.line or 0))
    return rubric.with_source(None, hashlib.sha256(text.encode()).hexdigest())


def _parse_yaml(text: str, file: str) -> CommentedMap:
    try:
        tree = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        bad = text.splitlines()[line - 1] if line and line <= len(text.splitlines()) else ""
        hint = None
        if ": >" in bad or ": <" in bad:
            hint = "quote ranges that start with '>' or '<', e.g. \">=10\""
        elif "duplicate key" in str(exc.problem):
            hint = "each key may appear once in a mapping"
        raise RubricErrors([RubricError(f"invalid YAML: {exc.problem}", file=file, line=line, hint=hint)]) from None
    if tree is None:
        raise RubricErrors([RubricError("the rubric file is empty", file=file, line=1)])
    if not isinstance(tree, CommentedMap):
        raise RubricErrors([RubricError("a rubric must be a mapping of keys (id, title, ...)", file=file, line=1)])
    return tree


def _plain(node: Any) -> Any:
    """ruamel's round-trip types -> plain Python, so validation sees ordinary dicts, lists and scalars."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for kind in (int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def line_of(tree: CommentedMap, loc: tuple[Any, ...]) -> int:
    """1-based line of the deepest part of ``loc`` present in the YAML (skipping pydantic's union tags)."""
    node, line = tree, 1
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
    return line


def _from_issue(issue: Issue, tree: CommentedMap, file: str) -> RubricError:
    where = ".".join(str(p) for p in _real_loc(issue.loc, tree))
    return RubricError(f"{where}: {issue.message}", file=file, line=line_of(tree, issue.loc), hint=issue.hint)


def _useful(raw: list[dict[str, Any]], tree: CommentedMap) -> list[dict[str, Any]]:
    """Drop the noise of union branches and of misspelt keys, keeping the errors that explain."""
    real = [_real_loc(tuple(e["loc"]), tree, keep_last=e["type"] in ("extra_forbidden", "missing")) for e in raw]
    keep = []
    for i, err in enumerate(raw):
        # A branch that failed deeper inside the value is the one the author meant.
        if any(len(r) > len(real[i]) and r[:len(real[i])] == real[i] for r in real):
            continue
        # 'missing credit' next to 'unknown key credt' is the same mistake, said twice.
        if err["type"] == "missing" and any(
                e["type"] == "extra_forbidden" and r[:-1] == real[i][:-1]
                and difflib.get_close_matches(str(r[-1]), [str(real[i][-1])], cutoff=0.6)
                for e, r in zip(raw, real)):
            continue
        keep.append(err)
    return keep


def _from_pydantic(exc: ValidationError, tree: CommentedMap, file: str) -> list[RubricError]:
    errors, seen = [], set()
    for err in _useful(exc.errors(), tree):
        loc = tuple(err["loc"])
        line = line_of(tree, loc)
        real = _real_loc(loc, tree, keep_last=err["type"] in ("extra_forbidden", "missing"))
        if (line, real) in seen:  # one report per place, not one per union branch
            continue
        seen.add((line, real))
        message, hint = _explain(err, loc)
        where = ".".join(str(p) for p in real)
        errors.append(RubricError(f"{where}: {message}" if where else message, file=file, line=line, hint=hint))
    return sorted(errors, key=lambda e: e.line or 0)


def _real_loc(loc: tuple[Any, ...], tree: CommentedMap, keep_last: bool = False) -> tuple[Any, ...]:
    """The part of ``loc`` that names real keys and items of the file (pydantic adds internal tags)."""
    node, real = tree, []
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        real.append(part)
    if keep_last and loc and loc[-1] not in real:
        real.append(loc[-1])  # a missing key is not in the tree but is worth naming
    return tuple(real)


def _explain(err: dict[str, Any], loc: tuple[Any, ...]) -> tuple[str, str | None]:
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    if kind == "extra_forbidden":
        allowed = sorted(_fields_at(loc[:-1]))
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys here: {', '.join(allowed)}"
        return f"unknown key '{loc[-1]}'", hint
    if kind == "missing":
        return f"missing required key '{loc[-1]}'", f"add '{loc[-1]}: ...' here"
    if kind == "unknown_name":
        return err["msg"], ctx.get("hint")
    if kind == "literal_error":
        options = [o.strip(" '") for o in str(ctx.get("expected", "")).replace(" or ", ",").split(",")]
        close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
        return f"invalid value {value!r}", f"did you mean '{close[0]}'?" if close else f"expected {ctx.get('expected')}"
    msg = err["msg"].removeprefix("Value error, ")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{msg} (got {value!r})", None
    return msg, None


def _fields_at(loc: tuple[Any, ...]) -> set[str]:
    """Field names of the model found at ``loc`` (for 'did you mean' on unknown keys)."""
    model: Any = Rubric
    for part in loc:
        if isinstance(part, int) or not isinstance(model, type) or not issubclass(model, BaseModel):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            continue
        model = _model_in(field.annotation)
    return set(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else set()


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
