"""Failures explained where they start: one failing cell, and the later cells that failed because of it.

A notebook whose first cell assumes a GPU fails there, and every later cell that uses a name that cell
would have defined fails with a NameError. Ten errors, one cause: the report says so once ('cell 1
failed: ...; 9 later cells failed because of it'). Pure: the cells' source (read with `ast`, never run)
and the run's cell errors in, :class:`Cascade` records out.

Kept apart from :mod:`grader.evidence.model` (which imports it) so the two never import each other.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from grader.evidence.model import Evidence

_NAME_ERROR = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")
_ASSIGNED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*=[^=]", re.M)
_IMPORTED = re.compile(r"^\s*(?:from\s+\S+\s+)?import\s+(.+)$", re.M)
NAMES_SHOWN = 5


class Cascade(BaseModel):
    """A cell that failed and the later cells that failed on names it would have defined."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cell_index: int = Field(description="The failing cell where it started (0-based notebook index).")
    ename: str = Field(description="The exception that cell raised.")
    evalue: str = Field("", description="Its message (capped).")
    cause: str = Field("", description="What the grader knows about why it failed ('the notebook assumes a GPU'), "
                                       "from a diagnosis or run note linked to that cell; '' when nothing is known.")
    followers: list[int] = Field(description="Later cells that failed because of it, directly or through another.")
    names: list[str] = Field(description="The names those cells missed, which the failing cell would have defined.")

    def sentence(self) -> str:
        """'cell 1 failed: the notebook assumes a GPU (IndexError: list index out of range); 9 later cells failed
        because of it (they use x_train, model, which it would have defined)'."""
        head = self.head()
        n = len(self.followers)
        shown = ", ".join(self.names[:NAMES_SHOWN]) + (", ..." if len(self.names) > NAMES_SHOWN else "")
        return (f"{head}; {n} later cell{'' if n == 1 else 's'} failed because of it "
                f"(they use {shown}, which it would have defined)")


    def head(self) -> str:
        """'cell 1 failed: the notebook assumes a GPU (IndexError: list index out of range)'."""
        return failure(self.cell_index, self.ename, self.evalue, self.cause)


def failure(cell_index: int, ename: str, evalue: str, cause: str = "") -> str:
    error = f"{ename}: {evalue[:120]}" if evalue else ename
    return f"cell {cell_index} failed: {cause} ({error})" if cause else f"cell {cell_index} failed ({error})"


def find_cascades(sources: dict[int, str], errors: Sequence[tuple[int, str, str]],
                  causes: dict[int, str] | None = None) -> list[Cascade]:
    """The cascades in a notebook run, first cell first; a failing cell no later cell depended on is not one.

    ``sources``: cell index -> source; ``errors``: (cell index, exception name, message) in any order;
    ``causes``: cell index -> what is known about why that cell failed.
    """
    causes = causes or {}
    failed = sorted({i: (ename, evalue) for i, ename, evalue in errors}.items())
    defines = {i: defined_names(sources.get(i, "")) for i, _ in failed}
    root_of: dict[int, int] = {}
    missed: dict[int, list[str]] = {}
    for i, (ename, evalue) in failed:
        root_of[i] = i
        name = missing_name(ename, evalue)
        if name is None:
            continue
        # The nearest earlier failing cell that would have defined it (a later definition shadows an earlier).
        source = next((j for j, _ in reversed([f for f in failed if f[0] < i]) if name in defines[j]), None)
        if source is not None:
            root_of[i] = root_of[source]
            missed.setdefault(root_of[i], [])
            if name not in missed[root_of[i]]:
                missed[root_of[i]].append(name)
    errors_at = dict(failed)
    out = []
    for root in sorted({r for i, r in root_of.items() if r != i}):
        ename, evalue = errors_at[root]
        out.append(Cascade(cell_index=root, ename=ename, evalue=evalue[:500], cause=causes.get(root, ""),
                           followers=[i for i, r in root_of.items() if r == root and i != root],
                           names=missed.get(root, [])))
    return out


def missing_name(ename: str, evalue: str) -> str | None:
    """The name a NameError says is not defined, else None."""
    if ename != "NameError":
        return None
    m = _NAME_ERROR.search(evalue)
    return m.group(1) if m else None


def defined_names(source: str) -> set[str]:
    """Names a cell binds at its top level: assignments, imports, defs, classes, loop and with targets.

    IPython lines (``!pip``, ``%matplotlib``) are blanked first; a cell that still does not parse is read
    line by line for plain assignments and imports.
    """
    text = _plain_python(source)
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return _by_lines(text)
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*")
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.With,
                               ast.AsyncWith, ast.NamedExpr)):
            for target in _targets(node):
                names.update(_bound(target))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def notebook_sources(notebook_text: str) -> dict[int, str]:
    """Cell index -> source for a notebook's code cells (0-based, markdown cells counted)."""
    try:
        cells = json.loads(notebook_text).get("cells", [])
    except (ValueError, AttributeError):
        return {}
    out = {}
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            src = cell.get("source", "")
            out[index] = "".join(src) if isinstance(src, list) else str(src)
    return out


def _top_level(body: Iterable[ast.stmt]) -> Iterable[ast.AST]:
    """The statements that bind names in the notebook's namespace: into if/for/while/with/try blocks, not
    into functions, classes or comprehensions (their names are their own)."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield from _walruses(node)
        for field in ("body", "orelse", "finalbody"):
            yield from _top_level(getattr(node, field, []) or [])
        for handler in getattr(node, "handlers", []) or []:
            yield handler
            yield from _top_level(handler.body)
        for case in getattr(node, "cases", []) or []:
            yield from _top_level(case.body)
    return


def _walruses(node: ast.AST) -> Iterable[ast.NamedExpr]:
    """(n := ...) in a statement's own expressions (a test, a value), not in its nested blocks or functions."""
    for field, value in ast.iter_fields(node):
        if field in ("body", "orelse", "finalbody", "handlers", "cases"):
            continue
        for sub in value if isinstance(value, list) else [value]:
            if isinstance(sub, ast.AST) and not isinstance(sub, (ast.stmt, ast.Lambda)):
                for inner in ast.walk(sub):
                    if isinstance(inner, ast.NamedExpr):
                        yield inner


def _targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


def _bound(target: ast.AST) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_bound(t) for t in target.elts)) if target.elts else set()
    if isinstance(target, ast.Starred):
        return _bound(target.value)
    return set()  # x.attr = ..., x[0] = ...: binds no new name


def _plain_python(source: str) -> str:
    if source.lstrip().startswith("%%"):
        return ""  # a cell magic: not Python
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        lines.append(indent + "pass" if stripped.startswith(("!", "%")) or re.match(r"\w+\s*=\s*[!%]", stripped)
                     else line)
    return "\n".join(lines)


def _by_lines(text: str) -> set[str]:
    names: set[str] = set()
    for m in _ASSIGNED.finditer(text):
        names.update(n.strip() for n in m.group(1).split(","))
    for m in _IMPORTED.finditer(text):
        for part in m.group(1).split(","):
            bits = part.split()
            if bits:
                names.add(bits[-1] if "as" in bits else bits[0].split(".")[0])
    return names


def no_model_cause(evidence: Evidence) -> str:
    """Why the run built no model, when it is because something failed first: 'cell 1 failed (IndexError:
    list index out of range); 9 later cells failed because of it'. '' when the run built a model, or ran
    cleanly and simply built none (then the student's code is what to change)."""
    from grader.evidence.model import RunStatus

    if evidence.models or any(t.trained for t in evidence.custom_training):
        return ""
    run = evidence.run
    if run.cell_errors:  # the first failure; what it took with it is said once, with the run (Cascade.sentence)
        e = min(run.cell_errors, key=lambda e: e.cell_index)
        root = next((c for c in evidence.cascades if c.cell_index == e.cell_index), None)
        return root.head() if root is not None else failure(e.cell_index, e.ename, e.evalue)
    if run.script_error is not None:
        e = run.script_error
        return "the script failed" + (f" on line {e.lineno}" if e.lineno else "") + f" ({e.ename}: {e.evalue[:120]})"
    if run.status not in (RunStatus.COMPLETED, RunStatus.COMPLETED_WITH_ERRORS):
        return f"the run ended early ({run.status.value}: {run.message})"
    return ""
