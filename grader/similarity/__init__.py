"""Similarity across a class: shared code (the starter code subtracted), identical stored training logs and
identical model fingerprints, ranked pair by pair with the evidence side by side.

Evidence for a person to read: nothing here changes a grade.
"""

from grader.similarity.model import Pair, Signal, SimilarityReport
from grader.similarity.rank import compare_class
from grader.similarity.sources import Source, load, template_code

__all__ = ["Pair", "Signal", "SimilarityReport", "Source", "compare_class", "load", "template_code"]
