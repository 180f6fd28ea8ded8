"""Every pair of students compared on code, stored outputs and model fingerprints, and ranked.

    from grader.similarity import compare_class, load
    report = compare_class(load(Path("submissions/")), template=Path("starter.ipynb").read_text())

A pair is flagged by any signal on its own: code over the threshold, equal training logs, or a rare
identical model fingerprint. Flagged pairs come first (more signals first), then by code similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

from grader.similarity import code as code_sim
from grader.similarity import fingerprints, outputs
from grader.similarity.model import Pair, Signal, SimilarityReport
from grader.similarity.sources import Source

CODE_THRESHOLD = 0.6
"""Share of fingerprinted code (the larger of the two) found in the other submission that flags a pair.
Independent solutions of one exercise share Keras's idioms, so it sits well above copydetect's 0.33."""
MAX_PAIRS = 50
"""Unflagged pairs kept for the report, beside every flagged one (the closest first)."""


def compare_class(sources: Sequence[Source], *, template: str | None = None, template_name: str | None = None,
                  code_threshold: float = CODE_THRESHOLD, min_equal_epochs: int = outputs.MIN_EQUAL_EPOCHS,
                  max_pairs: int = MAX_PAIRS) -> SimilarityReport:
    """Compare every pair in ``sources``; ``template`` is the starter code, subtracted from everyone's."""
    notes = [f"{s.name}: {p}" for s in sources for p in s.problems]
    bp = code_sim.boilerplate(template)
    prints = [code_sim.fingerprint(s.name, s.code, bp) for s in sources]
    notes += [f"{s.name}: too little code to compare" for s, fp in zip(sources, prints)
              if not fp.comparable and s.code.strip()]
    models = [fingerprints.of_student(s.models, s.stored) for s in sources]
    fields = fingerprints.informative(models)
    pairs: list[tuple[Pair, int, int]] = []
    for i, j in combinations(range(len(sources)), 2):
        a, b = sources[i], sources[j]
        code = code_sim.compare(prints[i], prints[j], spans=False)
        same_outputs = outputs.compare(a.stored, b.stored, min_epochs=min_equal_epochs)
        model = fingerprints.compare(models[i], models[j], fields, models)
        signals = []
        if code is not None and code.similarity >= code_threshold:
            signals.append(Signal.CODE)
        if same_outputs is not None:
            signals.append(Signal.OUTPUTS)
        if model is not None and fingerprints.rare(model, len(sources)):
            signals.append(Signal.MODEL)
        pairs.append((Pair(a=a.name, b=b.name, signals=signals, code=code, outputs=same_outputs, model=model), i, j))
    pairs.sort(key=lambda p: p[0].rank_key, reverse=True)
    kept = [p for p in pairs if p[0].flagged] + [p for p in pairs if not p[0].flagged][:max_pairs]
    shown = [p if p.code is None else p.model_copy(update={"code": code_sim.compare(prints[i], prints[j])})
             for p, i, j in kept]
    return SimilarityReport(students=[s.name for s in sources], pairs=shown, template=template_name,
                            code_threshold=code_threshold, min_equal_epochs=min_equal_epochs, notes=notes)


__all__ = ["CODE_THRESHOLD", "compare_class"]
