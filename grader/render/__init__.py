"""Reports people read and exports their tools take, all rendered from stored GradeResults.

* :func:`render_report` -- one submission as a self-contained HTML page
* :func:`render_class_summary` -- the class on one HTML page
* :mod:`grader.render.exports` -- gradebook CSV, JSON, JUnit XML, Gradescope results.json, Markdown
* :func:`write_outputs` -- every requested format for a list of results into one folder
"""

from grader.render.html.class_page import render_class_summary
from grader.render.html.report import render_report, write_report
from grader.render.outputs import FORMATS, Entry, write_outputs

__all__ = ["FORMATS", "Entry", "render_class_summary", "render_report", "write_outputs", "write_report"]
