"""Reading numbers the way students write them: '238,510', '238510', '97.3%', '0.973', '1.2e5'."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(
    r"(?<![\w.])"                                # not inside a word ('conv2d') or a decimal
    r"(?P<sign>[-+])?"
    r"(?:(?P<dcomma>\d+,\d{1,2})(?=\s?%)"        # 97,3 % : a decimal comma, only before a percent sign
    r"|(?P<grouped>\d{1,3}(?:[,_\u00a0\u202f\u2009]\d{3})+(?:\.\d+)?)"  # 238,510 / 238_510 / 238 510 (thin)
    r"|(?P<plain>\d+(?:\.\d+)?|\.\d+))"
    r"(?P<exp>[eE][-+]?\d+)?"
    r"(?P<pct>\s?%)?"
)


@dataclass(frozen=True)
class Number:
    value: float  # as written, percent sign not applied
    percent: bool
    start: int
    end: int
    text: str


def find_numbers(text: str) -> list[Number]:
    out = []
    for m in _NUMBER.finditer(text):
        if m.group("dcomma"):
            digits = m.group("dcomma").replace(",", ".")
        elif m.group("grouped"):
            digits = re.sub(r"[,_\u00a0\u202f\u2009]", "", m.group("grouped"))
        else:
            digits = m.group("plain")
        value = float(digits + (m.group("exp") or ""))
        if m.group("sign") == "-":
            value = -value
        out.append(Number(value, bool(m.group("pct")), m.start(), m.end(), m.group(0)))
    return out


def readings(n: Number, *, fraction: bool) -> list[float]:
    """Values a written number may stand for. For fractions (accuracy), '97.3' may mean 97.3%.

    A percentage is never a count or a duration, so for other answers it stands for nothing.
    """
    if n.percent:
        return [n.value / 100.0] if fraction else []
    if fraction and 1.0 < n.value <= 100.0:
        return [n.value, n.value / 100.0]
    return [n.value]


def near_words(text: str, words: list[str], before: int = 40, after: int = 160) -> list[tuple[int, int]]:
    """Character windows around each occurrence of the words (case-insensitive).

    Before the word the window stays on its line ('390 biases'); after it, it may run on into
    the next paragraph, where answers to a question in a heading or a list item usually sit.
    """
    spans = []
    for word in words:
        for m in re.finditer(re.escape(word), text, re.I):
            line_start = text.rfind("\n", 0, m.start()) + 1
            spans.append((max(line_start, m.start() - before), m.end() + after))
    return spans
