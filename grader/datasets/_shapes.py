"""Class prototypes of the synthetic image families: digit glyphs, clothing silhouettes, icons."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.datasets._raster import Polyline, arc, fill_field, pts, smooth_jitter, stroke_field


@dataclass(frozen=True)
class Glyph:
    strokes: tuple[Polyline, ...] = ()  # ink lines
    fills: tuple[Polyline, ...] = ()  # filled regions, even-odd
    cuts: tuple[Polyline, ...] = ()  # dark seams drawn across the fills


def _g(*strokes: Polyline) -> Glyph:
    return Glyph(strokes=strokes)


def _xy(*flat: float) -> Polyline:
    """Points from a flat x0, y0, x1, y1, ... list: long outlines stay readable."""
    return np.asarray(flat, dtype=np.float64).reshape(-1, 2)


def _cat(*parts: Polyline) -> Polyline:
    return np.concatenate(parts)


# Several hand-drawn styles per digit, as people write them.
DIGITS: tuple[tuple[Glyph, ...], ...] = (
    (_g(arc(0.5, 0.5, 0.24, 0.36, -90, 270, 26)), _g(arc(0.5, 0.5, 0.2, 0.37, -80, 285, 26))),
    (_g(pts((0.52, 0.12), (0.52, 0.88))), _g(pts((0.36, 0.26), (0.54, 0.12), (0.54, 0.88)))),
    (
        _g(_cat(arc(0.5, 0.32, 0.22, 0.2, 180, 380), pts((0.26, 0.86), (0.78, 0.86)))),
        _g(_cat(arc(0.5, 0.3, 0.2, 0.18, 190, 400), pts((0.3, 0.84), (0.24, 0.86), (0.8, 0.84)))),
    ),
    (_g(_cat(arc(0.48, 0.3, 0.22, 0.18, 200, 450), arc(0.48, 0.67, 0.24, 0.2, 270, 520))),),
    (
        _g(pts((0.64, 0.88), (0.64, 0.12), (0.22, 0.64), (0.8, 0.64))),
        _g(pts((0.3, 0.12), (0.26, 0.58), (0.78, 0.58)), pts((0.64, 0.3), (0.64, 0.9))),
    ),
    (_g(_cat(pts((0.74, 0.13), (0.34, 0.13)), arc(0.5, 0.64, 0.24, 0.22, 222, 500))),),
    (_g(_cat(pts((0.66, 0.12), (0.45, 0.3), (0.32, 0.55)), arc(0.5, 0.68, 0.2, 0.19, 180, 540))),),
    (
        _g(pts((0.24, 0.14), (0.76, 0.14), (0.42, 0.88))),
        _g(pts((0.24, 0.14), (0.76, 0.14), (0.42, 0.88)), pts((0.4, 0.5), (0.72, 0.5))),
    ),
    (_g(arc(0.5, 0.3, 0.18, 0.17, 0, 360), arc(0.5, 0.67, 0.22, 0.2, 0, 360)),),
    (
        _g(arc(0.5, 0.33, 0.2, 0.19, 0, 360), pts((0.7, 0.33), (0.66, 0.88))),
        _g(arc(0.5, 0.32, 0.2, 0.18, 0, 360), _cat(pts((0.7, 0.32)), arc(0.46, 0.62, 0.24, 0.26, 0, 110))),
    ),
)

# Fashion-MNIST's ten classes, as front/side silhouettes in the same order as its labels.
# Outlines are flat x, y lists in the unit square.
_T_SHIRT = _xy(
    0.35, 0.12, 0.42, 0.12, 0.5, 0.19, 0.58, 0.12, 0.65, 0.12, 0.9, 0.27, 0.82, 0.42,
    0.72, 0.37, 0.72, 0.9, 0.28, 0.9, 0.28, 0.37, 0.18, 0.42, 0.1, 0.27,
)  # fmt: skip
_TROUSER = _xy(0.3, 0.06, 0.7, 0.06, 0.75, 0.95, 0.56, 0.95, 0.5, 0.34, 0.44, 0.95, 0.25, 0.95)
_PULLOVER = _xy(
    0.33, 0.1, 0.67, 0.1, 0.86, 0.2, 0.97, 0.86, 0.83, 0.88, 0.74, 0.42,
    0.74, 0.9, 0.26, 0.9, 0.26, 0.42, 0.17, 0.88, 0.03, 0.86, 0.14, 0.2,
)  # fmt: skip
_DRESS = _xy(0.4, 0.05, 0.6, 0.05, 0.62, 0.3, 0.57, 0.4, 0.82, 0.95, 0.18, 0.95, 0.43, 0.4, 0.38, 0.3)
_COAT = _xy(
    0.32, 0.05, 0.68, 0.05, 0.88, 0.15, 0.95, 0.93, 0.8, 0.93, 0.77, 0.4,
    0.77, 0.97, 0.23, 0.97, 0.23, 0.4, 0.2, 0.93, 0.05, 0.93, 0.12, 0.15,
)  # fmt: skip
_SANDAL_STRAPS = (
    _xy(0.2, 0.7, 0.34, 0.44, 0.5, 0.66),
    _xy(0.46, 0.66, 0.62, 0.42, 0.8, 0.62),
    _xy(0.28, 0.54, 0.7, 0.5),
)
_SANDAL_SOLE = _xy(0.05, 0.7, 0.94, 0.6, 0.96, 0.71, 0.07, 0.8)
_SHIRT = _xy(
    0.34, 0.08, 0.44, 0.08, 0.5, 0.2, 0.56, 0.08, 0.66, 0.08, 0.84, 0.18, 0.88, 0.9, 0.76, 0.9,
    0.72, 0.34, 0.72, 0.92, 0.28, 0.92, 0.28, 0.34, 0.24, 0.9, 0.12, 0.9, 0.16, 0.18,
)  # fmt: skip
_SNEAKER = _xy(0.03, 0.56, 0.3, 0.5, 0.5, 0.35, 0.66, 0.37, 0.9, 0.58, 0.97, 0.7, 0.95, 0.79, 0.03, 0.79)
_BAG = _xy(0.12, 0.4, 0.88, 0.4, 0.92, 0.9, 0.08, 0.9)
_BOOT = _xy(0.3, 0.06, 0.62, 0.06, 0.64, 0.5, 0.92, 0.66, 0.97, 0.9, 0.08, 0.9, 0.12, 0.6, 0.28, 0.5)

FASHION: tuple[tuple[Glyph, ...], ...] = (
    (Glyph(fills=(_T_SHIRT,)),),
    (Glyph(fills=(_TROUSER,)),),
    (Glyph(fills=(_PULLOVER,)),),
    (Glyph(fills=(_DRESS,)),),
    (Glyph(fills=(_COAT,), cuts=(_xy(0.5, 0.06, 0.5, 0.97),)),),  # zip
    (Glyph(strokes=_SANDAL_STRAPS, fills=(_SANDAL_SOLE,)),),
    (Glyph(fills=(_SHIRT,), cuts=(_xy(0.5, 0.22, 0.5, 0.92), _xy(0.3, 0.55, 0.7, 0.55))),),  # placket, pocket
    (Glyph(fills=(_SNEAKER,), cuts=(_xy(0.04, 0.72, 0.96, 0.72),)),),  # sole seam
    (Glyph(strokes=(arc(0.5, 0.4, 0.22, 0.26, 180, 360),), fills=(_BAG,)),),  # handle
    (Glyph(fills=(_BOOT,)),),
)


def _regular(n: int, r: float, phase: float = -90, cx: float = 0.5, cy: float = 0.5) -> Polyline:
    return arc(cx, cy, r, r, phase, phase + 360, n + 1)[:-1]


def _star(points: int, outer: float, inner: float) -> Polyline:
    radii = np.tile([outer, inner], points)
    t = np.radians(np.arange(2 * points) * 180 / points - 90)
    return np.stack([0.5 + radii * np.cos(t), 0.5 + radii * np.sin(t)], 1)


def _rotated(poly: Polyline, deg: float) -> Polyline:
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    return (poly - 0.5) @ np.array([[c, s], [-s, c]]) + 0.5


_PLUS = _xy(
    0.38, 0.12, 0.62, 0.12, 0.62, 0.38, 0.88, 0.38, 0.88, 0.62, 0.62, 0.62,
    0.62, 0.88, 0.38, 0.88, 0.38, 0.62, 0.12, 0.62, 0.12, 0.38, 0.38, 0.38,
)  # fmt: skip

# Geometric icons for the colour family; the mask is coloured later.
ICONS: tuple[tuple[Glyph, ...], ...] = tuple(
    (Glyph(fills=polys),)
    for polys in (
        (_regular(32, 0.36),),  # disc
        (pts((0.18, 0.18), (0.82, 0.18), (0.82, 0.82), (0.18, 0.82)),),  # square
        (_regular(3, 0.42, cy=0.58),),  # triangle
        (_PLUS,),
        (_regular(32, 0.38), _regular(32, 0.22)),  # ring
        (_star(5, 0.42, 0.18),),
        (_regular(4, 0.4),),  # diamond
        (pts((0.2, 0.12), (0.42, 0.12), (0.42, 0.66), (0.82, 0.66), (0.82, 0.88), (0.2, 0.88)),),  # L
        (pts((0.1, 0.4), (0.55, 0.4), (0.55, 0.18), (0.92, 0.5), (0.55, 0.82), (0.55, 0.6), (0.1, 0.6)),),  # arrow
        (_rotated(_PLUS, 45),),  # diagonal cross
    )
)


def render_prototypes(
    family: tuple[tuple[Glyph, ...], ...],
    rng: np.random.Generator,
    *,
    variants: int,
    res: int,
    halfwidth: tuple[float, float] = (0.9, 1.9),
    jitter: float = 0.03,
    textured: bool = False,
) -> np.ndarray:
    """``variants`` randomly bent, thickened and textured renders per class: (classes * variants, res, res)."""
    out = np.zeros((len(family), variants, res, res), np.float32)
    rows = (np.arange(res)[:, None] + np.zeros(res)[None]) / res
    cols = rows.T
    for label, styles in enumerate(family):
        for v in range(variants):
            glyph = styles[rng.integers(len(styles))]
            strokes = smooth_jitter(rng, list(glyph.strokes), jitter)
            fills = smooth_jitter(rng, list(glyph.fills), jitter)
            ink = stroke_field(strokes, rng.uniform(*halfwidth), res)
            if fills:
                cover = fill_field(fills, res)
                if textured:
                    # Clothes vary in shade and pattern; the class lives in the silhouette.
                    kind = rng.integers(3)
                    period = rng.uniform(0.12, 0.3)
                    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * (rows if kind == 1 else rows + cols) / period)
                    cover = cover * (rng.uniform(0.45, 1.0) - (0.25 * stripes if kind else 0.0))
                ink = np.maximum(ink, cover)
            if glyph.cuts:
                ink *= 1.0 - 0.8 * stroke_field(list(glyph.cuts), 0.6, res)
            out[label, v] = ink
    return out.reshape(-1, res, res)
