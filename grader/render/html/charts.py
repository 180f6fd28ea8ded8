"""Training curves and histograms as small inline SVG, built by hand.

Hand-built SVG keeps a report self-contained, tiny and fast to render (no matplotlib import, no
fonts embedded), and lets every label go through the same escaping as the rest of the page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from markupsafe import Markup, escape

# Blue and orange stay distinct for the common colour-vision deficiencies; validation is also dashed,
# so the curves can be told apart in greyscale print.
STYLES = {"train": ("#1f5fbf", ""), "validation": ("#b34700", "6 4")}
W, H = 480, 272
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 30, 60


@dataclass(frozen=True)
class Series:
    label: str
    values: list[float]
    kind: str = "train"


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # epoch -> formatted values, for a data table
    labels: list[str] = field(default_factory=list)


def _finite(v: float | None) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart)."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    return [round(start + i * step, 10) for i in range(math.ceil((hi - start) / step - 1e-9) + 1)]


def _fmt_tick(v: float) -> str:
    return f"{v:.4g}"


def _svg_open(title: str) -> str:
    return (f'<svg class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
            f'<text x="{W / 2}" y="18" text-anchor="middle" class="ct">{escape(title)}</text>')


def line_chart(series: list[Series], *, title: str, xlabel: str = "epoch", ylabel: str = "",
               x0: int = 1) -> Markup:
    """One SVG with a line per series over epochs x0, x0+1, ...; gaps where values are not finite."""
    values = [v for s in series for v in s.values if _finite(v)]
    n = max((len(s.values) for s in series), default=0)
    if not values or n == 0:
        return Markup("")
    yt = nice_ticks(min(values), max(values))
    ylo, yhi = yt[0], yt[-1]
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(i: int) -> float:
        return LEFT + (pw * i / (n - 1) if n > 1 else pw / 2)

    def py(v: float) -> float:
        return TOP + ph - ph * (v - ylo) / ((yhi - ylo) or 1.0)

    out = [_svg_open(title)]
    for v in yt:
        y = py(v)
        out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_fmt_tick(v)}</text>')
    for i in _x_ticks(n, x0):
        out.append(f'<text x="{px(i):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" class="tick">{i + x0}</text>')
    out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{TOP + ph}" y2="{TOP + ph}" class="axis"/>'
               f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + ph}" class="axis"/>'
               f'<text x="{LEFT + pw / 2}" y="{H - BOTTOM + 32}" text-anchor="middle" class="al">{escape(xlabel)}</text>'
               f'<text transform="translate(14 {TOP + ph / 2}) rotate(-90)" text-anchor="middle" class="al">'
               f'{escape(ylabel)}</text>')
    for k, s in enumerate(series):
        color, dash = STYLES.get(s.kind, STYLES["train"])
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for run in _runs(s.values):
            pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in run)
            out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>')
            if n <= 40:  # markers help read single epochs; past that they only add clutter
                out += [f'<circle cx="{px(i):.1f}" cy="{py(v):.1f}" r="2.5" fill="{color}"/>' for i, v in run]
        lx = LEFT + 8 + 150 * k
        out.append(f'<line x1="{lx}" x2="{lx + 22}" y1="{H - 12}" y2="{H - 12}" stroke="{color}" stroke-width="2"'
                   f'{dash_attr}/>'
                   f'<text x="{lx + 26}" y="{H - 8}" class="lg">{escape(s.label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _x_ticks(n: int, x0: int = 1) -> list[int]:
    """Indices whose epoch numbers are round (1, 5, 10, ...) and at most about ten of them."""
    step = next(s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 10**9) if n / s <= 10)
    ticks = [i for i in range(n) if (i + x0) % step == 0]
    if not ticks or ticks[0] >= step / 2:  # label the first epoch unless a round one sits right next to it
        ticks.insert(0, 0)
    return ticks


def _runs(values: list[float]) -> list[list[tuple[int, float]]]:
    """Consecutive finite points: a NaN loss breaks the line instead of faking a value."""
    runs: list[list[tuple[int, float]]] = [[]]
    for i, v in enumerate(values):
        if _finite(v):
            runs[-1].append((i, float(v)))
        elif runs[-1]:
            runs.append([])
    return [r for r in runs if r]


def history_charts(history: dict[str, list[float]], *, x0: int = 1) -> list[Chart]:
    """A chart per metric (loss first, then accuracy, then the rest), train and validation together."""
    bases = []
    for key in history:
        base = key.removeprefix("val_")
        if base not in bases and base not in ("lr", "learning_rate"):
            bases.append(base)
    order = {b: i for i, b in enumerate(bases)}
    bases = sorted(bases, key=lambda b: (b != "loss", b not in ("accuracy", "acc"), order[b]))
    charts = []
    for base in bases:
        series = [Series(label, list(history[key]), kind) for key, label, kind in
                  ((base, f"train {base}", "train"), (f"val_{base}", f"validation {base}", "validation"))
                  if history.get(key)]
        if not series:
            continue
        title = f"{base} per epoch"
        n = max(len(s.values) for s in series)
        rows = [(i + x0, [_fmt_tick(s.values[i]) if i < len(s.values) and _finite(s.values[i]) else "–"
                          for s in series]) for i in range(n)]
        charts.append(Chart(title, line_chart(series, title=title, ylabel=base, x0=x0), rows,
                            [s.label for s in series]))
    return charts


def histogram(values: list[float], *, lo: float = 0.0, hi: float = 100.0, bins: int = 10,
              title: str = "Score distribution", xlabel: str = "score (%)") -> Markup:
    """Counts of values in equal bins over [lo, hi]; the last bin includes hi."""
    counts = [0] * bins
    for v in values:
        if _finite(v):
            counts[min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))] += 1
    top = max(counts) or 1
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    bw = pw / bins
    out = [_svg_open(title)]
    for v in nice_ticks(0, top, min(top, 5)):
        y = TOP + ph - ph * v / top
        if v <= top and float(v).is_integer():
            out.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                       f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{int(v)}</text>')
    for i, c in enumerate(counts):
        x, h = LEFT + i * bw, ph * c / top
        a, b = lo + (hi - lo) * i / bins, lo + (hi - lo) * (i + 1) / bins
        out.append(f'<rect x="{x + 2:.1f}" y="{TOP + ph - h:.1f}" width="{bw - 4:.1f}" height="{max(h, 0):.1f}" '
                   f'class="bar"><title>{a:g}–{b:g}: {c}</title></rect>')
        out.append(f'<text x="{x:.1f}" y="{H - BOTTOM + 16}" text-anchor="middle" class="tick">{a:g}</text>')
    out.append(f'<text x="{W - RIGHT}" y="{H - BOTTOM + 16}" text-anchor="middle" class="tick">{hi:g}</text>'
               f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{TOP + ph}" y2="{TOP + ph}" class="axis"/>'
               f'<text x="{LEFT + pw / 2}" y="{H - BOTTOM + 32}" text-anchor="middle" class="al">{escape(xlabel)}</text>'
               f'<text transform="translate(14 {TOP + ph / 2}) rotate(-90)" text-anchor="middle" class="al">'
               f'students</text></svg>')
    return Markup("".join(out))
