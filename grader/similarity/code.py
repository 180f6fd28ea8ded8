"""Code similarity by winnowing fingerprints (copydetect), with the starter code subtracted.

copydetect tokenizes with pygments and, filtering, writes every identifier as one letter, so renamed
variables still match; it compares sets of k-gram fingerprints, so reordered cells still match.
The starter code's fingerprints are boilerplate: code every student was given is no evidence.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader.similarity.model import CodeMatch, Segment

NOISE_K = 25
"""k-gram length in filtered characters: shorter matches are noise (copydetect's default)."""
WINDOW = 1
"""Winnowing window 1 keeps every k-gram. copydetect hashes k-grams with Python's salted ``hash()``, so a wider
window picks different fingerprints in every process and a pair's figure moved by a few points between two
runs on the same files; keeping them all makes it the same every time, at a cost a class's code affords."""
MIN_TOKENS = 60
"""Filtered code shorter than this (a few lines) is too short to compare."""
MAX_SHOWN_CHARS = 60_000
"""Code shown side by side per student, at most."""


@dataclass(frozen=True)
class Fingerprinted:
    name: str
    fp: Any  # copydetect.CodeFingerprint
    comparable: bool


def boilerplate(template: str | None) -> list[int]:
    """The template's fingerprints, every k-gram of it (window 1, as copydetect does for boilerplate)."""
    if not template or not template.strip():
        return []
    from copydetect import CodeFingerprint

    return sorted(CodeFingerprint("template.py", NOISE_K, 1, filter=True, language="python",
                                  fp=io.StringIO(template)).hashes)


def fingerprint(name: str, code: str, template_hashes: Sequence[int] = ()) -> Fingerprinted:
    import numpy as np
    from copydetect import CodeFingerprint

    bp = np.array(template_hashes, dtype=np.int64) if len(template_hashes) else None
    fp = CodeFingerprint(f"{name}.py", NOISE_K, WINDOW, boilerplate=bp, filter=True, language="python",
                         fp=io.StringIO(code))
    return Fingerprinted(name, fp, len(fp.filtered_code) >= MIN_TOKENS and fp.token_coverage > 0)


def _segments(code: str, slices: Any) -> list[Segment]:
    """The code cut into runs, the shared spans (copydetect's slices in the raw code) marked."""
    spans = sorted((int(s), int(e)) for s, e in zip(slices[0], slices[1])) if len(slices) and len(slices[0]) else []
    out: list[Segment] = []
    pos = 0
    for start, end in spans:
        start, end = max(start, pos), min(end, len(code))
        if end <= start:
            continue
        if start > pos:
            out.append(Segment(text=code[pos:start]))
        out.append(Segment(text=code[start:end], shared=True))
        pos = end
    if pos < len(code):
        out.append(Segment(text=code[pos:]))
    return _capped(out)


def _capped(segments: list[Segment]) -> list[Segment]:
    total, out = 0, []
    for s in segments:
        if total + len(s.text) > MAX_SHOWN_CHARS:
            out.append(Segment(text=s.text[:MAX_SHOWN_CHARS - total] + "\n… (cut)", shared=s.shared))
            break
        out.append(s)
        total += len(s.text)
    return out


def compare(a: Fingerprinted, b: Fingerprinted, *, spans: bool = True) -> CodeMatch | None:
    """How much code two students share; None when either has too little code to compare. ``spans``: with
    both codes cut into shared and own runs, for showing (a class has many pairs, few of them shown)."""
    if not (a.comparable and b.comparable):
        return None
    from copydetect import compare_files

    overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(a.fp, b.fp)
    sim_a, sim_b = float(min(sim_a, 1.0)), float(min(sim_b, 1.0))
    return CodeMatch(similarity=max(sim_a, sim_b), similarity_a=sim_a, similarity_b=sim_b, shared_tokens=int(overlap),
                     a=_segments(a.fp.raw_code, slices_a) if spans else [],
                     b=_segments(b.fp.raw_code, slices_b) if spans else [])


__all__ = ["MIN_TOKENS", "NOISE_K", "WINDOW", "Fingerprinted", "boilerplate", "compare", "fingerprint"]
