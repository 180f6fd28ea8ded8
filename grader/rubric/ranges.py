"""Numeric expectations: a bound or an interval, written the way a person would ('>=10', '10..50').

A rubric says "at least 300,000 trainable parameters" as ``">=300000"`` and "between 10 and 50
units" as ``"10..50"``; a mapping (``{min: 10, max: 50}``) and a bare number (exactly that) work
too. Percent signs divide by 100 (``">92%"`` is ``>0.92``), so accuracy thresholds read naturally.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

_NUM = r"[-+]?(?:\d[\d_,]*)?\.?\d+(?:[eE][-+]?\d+)?%?"
_OP = re.compile(rf"^\s*(==|=|>=|<=|>|<)?\s*({_NUM})\s*$")
_SPAN = re.compile(rf"^\s*({_NUM})\s*\.\.\s*({_NUM})\s*$")
_KEYS = {"==": "eq", "=": "eq", ">=": "min", "<=": "max", ">": "gt", "<": "lt", None: "eq"}


def _number(text: str) -> float:
    text = text.replace("_", "").replace(",", "")
    if text.endswith("%"):
        return float(text[:-1]) / 100.0
    return float(text)


class Range(BaseModel):
    """A numeric expectation. All bounds given must hold."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    eq: float | None = Field(None, description="The value must equal this.")
    min: float | None = Field(None, description="The value must be at least this (inclusive).")
    max: float | None = Field(None, description="The value must be at most this (inclusive).")
    gt: float | None = Field(None, description="The value must be strictly greater than this.")
    lt: float | None = Field(None, description="The value must be strictly less than this.")

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        # Editors should offer the compact spellings too, not only the object form.
        obj = handler.resolve_ref_schema(handler(core_schema))
        return {
            "description": obj.pop("description", ""),
            "anyOf": [
                {"type": "string", "pattern": r"^\s*((==|=|>=|<=|>|<)?\s*[-+0-9.,_eE%]+|[-+0-9.,_eE%]+\s*\.\.\s*[-+0-9.,_eE%]+)\s*$",
                 "description": "Compact form: '>=10', '>0.92', '>92%', '<50000', '==1', '10..50'."},
                {"type": "number", "description": "Exactly this value."},
                obj,
            ],
        }

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        # Accept the compact spellings; the object form passes through untouched.
        if isinstance(data, bool):
            raise ValueError("expected a number or a range such as '>=10' or '10..50', got a boolean")
        if isinstance(data, (int, float)):
            return {"eq": data}
        if isinstance(data, str):
            if m := _SPAN.match(data):
                return {"min": _number(m.group(1)), "max": _number(m.group(2))}
            if m := _OP.match(data):
                return {_KEYS[m.group(1)]: _number(m.group(2))}
            raise ValueError(f"cannot read {data!r} as a range; write e.g. '>=10', '<50000', '==1' or '10..50'")
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Range:
        if all(v is None for v in (self.eq, self.min, self.max, self.gt, self.lt)):
            raise ValueError("a range needs at least one bound (eq, min, max, gt or lt)")
        low, high = self.low(), self.high()
        if low is not None and high is not None and low > high:
            raise ValueError(f"empty range: nothing is {self.describe()}")
        return self

    def contains(self, value: float | None) -> bool:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return False
        return (
            (self.eq is None or math.isclose(value, self.eq, rel_tol=1e-9, abs_tol=1e-12))
            and (self.min is None or value >= self.min)
            and (self.max is None or value <= self.max)
            and (self.gt is None or value > self.gt)
            and (self.lt is None or value < self.lt)
        )

    def low(self) -> float | None:
        """The lower bound, whichever way it was written."""
        vals = [v for v in (self.eq, self.min, self.gt) if v is not None]
        return max(vals) if vals else None

    def high(self) -> float | None:
        vals = [v for v in (self.eq, self.max, self.lt) if v is not None]
        return min(vals) if vals else None

    def describe(self) -> str:
        if self.eq is not None:
            return f"== {_fmt(self.eq)}"
        if self.min is not None and self.max is not None and self.gt is None and self.lt is None:
            return f"{_fmt(self.min)}..{_fmt(self.max)}"
        parts = []
        for op, v in ((">", self.gt), (">=", self.min), ("<", self.lt), ("<=", self.max)):
            if v is not None:
                parts.append(f"{op} {_fmt(v)}")
        return " and ".join(parts)

    def __str__(self) -> str:
        return self.describe()


def _fmt(v: float) -> str:
    if float(v).is_integer() and abs(v) >= 1:
        return f"{int(v):,}"
    return f"{v:g}"


