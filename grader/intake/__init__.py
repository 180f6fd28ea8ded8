"""Intake: what was handed in, found and checked before anything runs (submissions, class folders, course environments)."""
