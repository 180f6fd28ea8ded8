"""Reports people read and exports their tools take, all rendered from stored GradeResults.

* :mod:`grader.render.audience` -- :func:`for_audience`: the student's or the instructor's copy of a
  result, made once before any renderer sees it
* :mod:`grader.render.registry` -- every format by name (:func:`get_renderer`, :func:`formats`)
* :mod:`grader.render.safe` -- student text made safe once per medium (terminal, HTML, CSV, XML, Markdown)
* :func:`render_report` -- one submission as a self-contained HTML page
* :func:`render_class_summary` -- the class on one HTML page
* :mod:`grader.render.exports` -- gradebook CSV, JSON, JUnit XML, Gradescope results.json, Markdown
* :func:`write_outputs` -- every requested format for a list of results into one folder
"""

from __future__ import annotations

import importlib
from typing import Any

# Names -> the module defining them, imported on first use: `grader.render.registry` (the format
# names the CLI needs for --help) must not bring in Jinja, every renderer and the grading package.
_EXPORTS = {
    "Audience": "audience", "DEFAULT_AUDIENCE": "audience", "for_audience": "audience",
    "DEFAULT_FORMATS": "registry", "RENDERERS": "registry", "formats": "registry", "get_renderer": "registry",
    "parse_formats": "registry",
    "FORMATS": "outputs", "Entry": "outputs", "write_outputs": "outputs",
    "render_class_summary": "html.class_page", "render_report": "html.report", "write_report": "html.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'grader.render' has no attribute {name!r}")
    return getattr(importlib.import_module(f"grader.render.{_EXPORTS[name]}"), name)
