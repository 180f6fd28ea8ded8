"""Structural constraints: layers, units, parameters, activations, architecture."""

from __future__ import annotations

from dataclasses import dataclass

from grader.checks.facts import LayerView, ModelFacts
from grader.rubric import names
from grader.rubric.constraints import LayerSpec, ModelConstraints
from grader.rubric.ranges import Range


@dataclass(frozen=True)
class Finding:
    """One constraint decided on one model, in words a student can act on."""

    key: str
    ok: bool
    actual: str
    expected: str
    judged: bool = True  # False: the evidence cannot decide it (a hand-written loop's activations...)

    @property
    def words(self) -> str:
        if not self.judged:
            return f"{self.key.replace('_', ' ')} not judged: {self.actual}"
        return self.actual if self.ok else f"{self.actual} (needs {self.expected})"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _count(key: str, n: int, r: Range, word: str) -> Finding:
    return Finding(key, r.contains(n), _plural(n, word), str(r))


def hidden_layers(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _count("hidden_layers", len(f.hidden), r, "hidden layer")


def dense_layers(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _count("dense_layers", sum(1 for x in f.hidden if x.kind == "dense"), r, "hidden Dense layer")


def conv_layers(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _count("conv_layers", sum(1 for x in f.layers if x.kind in names.CONV_KINDS), r, "convolution layer")


def layer_counts(f: ModelFacts, want: dict[str, Range], c: ModelConstraints) -> Finding:
    bad, seen = [], []
    for kind, r in want.items():
        n = sum(1 for x in f.layers if x.kind == kind)
        seen.append(f"{n} {names.layer_class(kind)}")
        if not r.contains(n):
            bad.append(f"{names.layer_class(kind)} {r}")
    return Finding("layer_counts", not bad, ", ".join(seen), ", ".join(bad))


def _each(key: str, values: list[int | None], r: Range, what: str, none: str) -> Finding:
    if not values:
        return Finding(key, False, none, f"each {r}")
    shown = ", ".join("?" if v is None else str(v) for v in values)
    return Finding(key, all(r.contains(v) for v in values), f"{what} {shown}", f"each {r}")


def units(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _each("units", [x.units for x in f.hidden if x.kind == "dense"], r, "hidden units",
                 "no hidden Dense layer")


def filters(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _each("filters", [x.filters for x in f.layers if x.kind in names.CONV_KINDS], r, "filters",
                 "no convolution layer")


def _number(key: str, value: int | None, r: Range, word: str, unknown: str) -> Finding:
    if value is None:
        return Finding(key, False, unknown, str(r))
    return Finding(key, r.contains(value), f"{value:,} {word}", str(r))


def trainable_params(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _number("trainable_params", f.trainable_params, r, "trainable parameters",
                   "parameter count unknown (the model was never built)")


def total_params(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _number("total_params", f.total_params, r, "parameters", "parameter count unknown")


def input_size(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    return _number("input_size", f.input_size, r, "input values per sample", "input shape unknown")


def hidden_activation(f: ModelFacts, want: list[str], c: ModelConstraints) -> Finding:
    acts = [x.activation for x in f.hidden]
    expected = " or ".join(want)
    if not acts:
        return Finding("hidden_activation", False, "no hidden layers", f"hidden activation {expected}")
    wrong = sorted({a for a in acts if a not in want})
    shown = ", ".join(sorted(set(acts)))
    return Finding("hidden_activation", not wrong, f"hidden activation {shown}", f"{expected} on every hidden layer")


def output_activation(f: ModelFacts, want: list[str], c: ModelConstraints) -> Finding:
    act = f.output.activation if f.output else None
    return Finding("output_activation", act in want, f"output activation {act or 'unknown'}", " or ".join(want))


def output_units(f: ModelFacts, r: Range, c: ModelConstraints) -> Finding:
    n = f.output.units if f.output and f.output.units is not None else (f.output.filters if f.output else None)
    return _number("output_units", n, r, "output units", "no output layer")


def _fits(layer: LayerView, spec: LayerSpec) -> bool:
    return (layer.kind == spec.kind
            and (spec.units is None or spec.units.contains(layer.units))
            and (spec.filters is None or spec.filters.contains(layer.filters))
            and (spec.kernel_size is None or layer.kernel_size == tuple(spec.kernel_size))
            and (spec.pool_size is None or layer.pool_size == tuple(spec.pool_size))
            and (spec.activation is None or layer.activation == spec.activation)
            and (spec.rate is None or spec.rate.contains(layer.rate)))


def describe_spec(spec: LayerSpec) -> str:
    parts = [f"units {spec.units}" if spec.units else "", f"filters {spec.filters}" if spec.filters else "",
             "x".join(map(str, spec.kernel_size)) if spec.kernel_size else "",
             "pool " + "x".join(map(str, spec.pool_size)) if spec.pool_size else "",
             spec.activation or "", f"rate {spec.rate}" if spec.rate else ""]
    return f"{names.layer_class(spec.kind)}({', '.join(p for p in parts if p)})"


def architecture(f: ModelFacts, specs: list[LayerSpec], c: ModelConstraints) -> Finding:
    layers = list(f.layers)
    want = " -> ".join(describe_spec(s) for s in specs)
    have = " -> ".join(x.describe() for x in layers) or "no layers"
    if c.architecture_mode == "exact":
        ok = len(layers) == len(specs) and all(_fits(x, s) for x, s in zip(layers, specs))
        return Finding("architecture", ok, f"layers {have}", f"exactly {want}")
    # In order, other layers allowed between: greedy earliest match is optimal for subsequences.
    i = 0
    for n, spec in enumerate(specs):
        while i < len(layers) and not _fits(layers[i], spec):
            i += 1
        if i == len(layers):
            found = " -> ".join(describe_spec(s) for s in specs[:n]) or "the start"
            return Finding("architecture", False, f"layers {have}; no {describe_spec(spec)} after {found}",
                           f"in order {want}")
        i += 1
    return Finding("architecture", True, f"layers {have}", f"in order {want}")
