"""Verification: re-derive the figures that decide a grade, outside the submission's process."""

from grader.verify.verifier import Verifier, verify_evidence

__all__ = ["Verifier", "verify_evidence"]
