"""TA review: overrides that survive re-grades, the history of every grade, and the review page.

Importing this package imports nothing heavy: the web app (:mod:`grader.review.app`) needs FastAPI and
is imported only by ``grader review``."""
