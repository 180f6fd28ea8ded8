"""Who a rendered output is for, applied once to the result before any renderer sees it.

A renderer never redacts: it shows what the result it is given holds. :func:`for_audience` makes the
student's copy of a :class:`GradeResult`, and every output of that copy (HTML, CSV, JSON, JUnit,
Gradescope, Markdown, the terminal summary) then carries exactly the same information.

The student's copy:

* a hidden criterion keeps its part, outcome and bonus flag; its id becomes ``hidden-<n>`` (n counts
  the hidden criteria in rubric order, so the same rubric gives the same ids), its title
  :data:`HIDDEN_TITLE`, and its message, feedback, instructor note, check family, model, slot, figure
  status and points are withheld (``concealed`` is set). Its points count only in the totals
  (score, part scores, percent), which the student sees anyway;
* a hidden slot criterion also withholds the slot's assignment and the reasons a model did not fill it
  (they repeat the slot's title and constraints);
* a TA's override keeps its comment (written for the student) and loses its reviewer, and so does each
  entry of the grade's history;
* no criterion keeps its ``detail`` or ``true_value``: the grader's notes for instructors (a question's
  true value); no fault keeps its ``detail`` (a traceback), and faults about hidden criteria go;
* the rubric's path on the instructor's machine is dropped.

The instructor's copy is the result unchanged. A student copy stays a student copy: nothing can be
restored from it, so rendering it for an instructor shows the placeholders.

Default: :data:`DEFAULT_AUDIENCE` is ``student`` for every function that takes an audience. An output
whose audience nobody stated may reach a student (CI logs, JUnit and Markdown summaries, artifacts),
so forgetting to choose must not leak; instructors ask for their copy explicitly. The commands do:
``grader check`` writes for the student, ``grader grade`` for the instructor, ``grader report`` for
whom ``--audience`` says.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from grader.grading.result import CriterionResult, GradeResult


class Audience(str, Enum):
    STUDENT = "student"
    INSTRUCTOR = "instructor"


DEFAULT_AUDIENCE = Audience.STUDENT
AUDIENCES = tuple(a.value for a in Audience)
HIDDEN_TITLE = "Hidden criterion"
CONCEALED_CHECK = "hidden"
"""The check family a concealed criterion shows: which check decided it is withheld too."""
_SLOT_CHECK = "slots.filled"
# What a concealed criterion keeps, besides what _conceal sets; every other field goes back to its default.
_KEPT = {"part", "outcome", "hidden", "bonus"}


def audience_of(value: Audience | str) -> Audience:
    """The audience named by ``value`` ('student', 'instructor' or an :class:`Audience`)."""
    try:
        return Audience(value)
    except ValueError:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}, not {value!r}") from None


def _conceal(c: CriterionResult, n: int) -> CriterionResult:
    fields = {name: info.get_default(call_default_factory=True)
              for name, info in CriterionResult.model_fields.items() if not info.is_required() and name not in _KEPT}
    fields.update({name: getattr(c, name) for name in _KEPT},
                  id=f"hidden-{n}", title=HIDDEN_TITLE, check=CONCEALED_CHECK, points=0.0, max_points=0.0,
                  message="", concealed=True)
    return CriterionResult(**fields)


def for_audience(result: GradeResult, audience: Audience | str = DEFAULT_AUDIENCE) -> GradeResult:
    """The copy of ``result`` that ``audience`` may see (see the module's docstring for the rule)."""
    if audience_of(audience) is Audience.INSTRUCTOR:
        return result
    criteria, hidden_ids, hidden_slots, n = [], set(), set(), 0
    for c in result.criteria:
        if c.hidden:
            n += 1
            hidden_ids.add(c.id)
            if c.check == _SLOT_CHECK and c.slot:
                hidden_slots.add(c.slot)
            criteria.append(c if c.concealed else _conceal(c, n))
        else:
            # A TA's comment is for the student; who wrote it is not.
            override = c.override.model_copy(update={"reviewer": ""}) if c.override is not None else None
            criteria.append(c.model_copy(update={"detail": "", "true_value": None, "override": override}))
    slots = [s for s in result.slots if s.slot not in hidden_slots]
    unassigned = [u.model_copy(update={"reasons": {k: v for k, v in u.reasons.items() if k not in hidden_slots}})
                  for u in result.unassigned]
    # A fault about a hidden criterion would name it; a fault's detail is a traceback for instructors.
    faults = tuple(f.model_copy(update={"detail": ""}) for f in result.faults if f.subject not in hidden_ids)
    # A flag about a hidden criterion would name it and say what it measured.
    review = tuple(f for f in result.review if f.criterion_id not in hidden_ids)
    history = tuple(e.model_copy(update={"reviewer": ""}) for e in result.history)  # who overrode is not theirs
    return result.model_copy(update={"criteria": criteria, "slots": slots, "unassigned": unassigned,
                                     "faults": faults, "review": review, "history": history,
                                     "rubric": result.rubric.model_copy(update={"path": None})})


def for_audience_all(results: Sequence[GradeResult], audience: Audience | str = DEFAULT_AUDIENCE) -> list[GradeResult]:
    """Every result's copy for ``audience``: what class-level views (class page, gradebook) take."""
    return [for_audience(r, audience) for r in results]
