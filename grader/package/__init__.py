"""Packaging the grader for the places courses grade in: a Gradescope autograder zip (``grader package``)."""
