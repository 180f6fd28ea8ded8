"""The review page: a local web app over a class's results store (``grader review GRADES``).

Bound to 127.0.0.1 by the command, and every request must carry the random token printed on start: as
``?token=`` (the first URL; the answer sets it as a cookie) or that cookie. Anything else is refused with
403, so another local user or a web page in the TA's browser cannot read grades or post overrides. Pages are
rendered on the server (jinja2, autoescaped): student names, messages and comments are data, never markup.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from grader.errors import ConfigError
from grader.pipeline.store import ResultsStore
from grader.render.safe import pts
from grader.review.history_text import score_change, when
from grader.review.queue import queue
from grader.review.record import current_result, record_override

COOKIE = "grader_review_token"
SimilarPairs = Callable[[], Sequence[tuple[str, str, str]]]
"""The flagged similarity pairs for the queue, as (student, other student, signals in words)."""

_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
                          autoescape=True, undefined=jinja2.StrictUndefined)
_ENV.globals.update(pts=pts, when=when, score_change=score_change)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def similar_pairs_from(grades: Path) -> SimilarPairs:
    """The flagged pairs of grader.similarity over the results JSON under `grades`, computed once, on first
    use; none when there are no results to compare or the comparison breaks (the queue still works)."""
    cache: list[tuple[str, str, str]] | None = None

    def pairs() -> Sequence[tuple[str, str, str]]:
        nonlocal cache
        if cache is None:
            try:
                from grader.similarity import compare_class, load

                report = compare_class(load(grades))
                cache = [(p.a, p.b, ", ".join(s.value for s in p.signals)) for p in report.flagged]
            except Exception:  # noqa: BLE001 - evidence for a person, never a reason for the review page to fail
                cache = []
        return cache

    return pairs


def create_app(store_path: Path, token: str, *, reviewer: str, similar: SimilarPairs | None = None) -> FastAPI:
    """The review app over the results store at `store_path`. Overrides posted are signed `reviewer`."""
    app = FastAPI(title="grader review", docs_url=None, redoc_url=None, openapi_url=None)
    pairs = similar or (lambda: ())

    @app.middleware("http")
    async def require_token(request: Request, call_next: Callable[[Request], Any]) -> Response:
        given = request.query_params.get("token") or request.cookies.get(COOKIE) or ""
        if not secrets.compare_digest(given.encode(), token.encode()):
            return PlainTextResponse("forbidden: open the URL `grader review` printed (it carries the token)",
                                     status_code=403)
        response: Response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline'; "
                                                       "form-action 'self'; frame-ancestors 'none'")
        return response

    def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(_ENV.get_template(name).render(token=token, **context), status_code=status)

    @app.get("/", response_class=HTMLResponse)
    def review_queue() -> HTMLResponse:
        with ResultsStore(store_path) as store:
            results = [(s, r) for s in store.students() if (r := current_result(store, s)) is not None]
        return page("queue.html.j2", items=queue(results, pairs()), reviewer=reviewer)

    def student_page(student: str, error: str = "", status: int = 200) -> HTMLResponse:
        with ResultsStore(store_path) as store:
            result = current_result(store, student)
            history = store.history(student)
        if result is None:
            return page("missing.html.j2", 404, student=student)
        return page("student.html.j2", status, student=student, result=result, history=history, error=error,
                    reviewer=reviewer)

    @app.get("/student", response_class=HTMLResponse)
    def student(name: str) -> HTMLResponse:
        return student_page(name)

    @app.post("/override", response_model=None)
    def override(student: str = Form(...), criterion: str = Form(...), points: str = Form(""),
                 verdict: str = Form(""), comment: str = Form("")) -> Response:
        try:
            value = float(points) if points.strip() else None
        except ValueError:
            return student_page(student, f"points must be a number, not {points!r}", 400)
        try:
            with ResultsStore(store_path) as store:
                record_override(store, student, criterion, reviewer=reviewer, comment=comment, points=value,
                                outcome=verdict or None)
        except ConfigError as exc:
            return student_page(student, str(exc), 400)
        return RedirectResponse(f"/student?{urlencode({'name': student})}", status_code=303)

    return app


__all__ = ["COOKIE", "SimilarPairs", "create_app", "new_token", "similar_pairs_from"]
