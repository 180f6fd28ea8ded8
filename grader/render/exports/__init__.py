"""Exports of grade results for other tools: gradebooks, CI systems, Gradescope, JSON archives."""

from grader.render.exports.csv import render_gradebook, write_gradebook
from grader.render.exports.gradescope import gradescope_results, render_gradescope
from grader.render.exports.json import load_results, render_bundle, render_json
from grader.render.exports.junit import render_junit
from grader.render.exports.markdown import render_class_markdown, render_markdown

__all__ = [
           "gradescope_results",
           "load_results",
           "render_bundle",
           "render_class_markdown",
           "render_gradebook",
           "render_gradescope",
           "render_json",
           "render_junit",
           "render_markdown",
           "write_gradebook",
]
