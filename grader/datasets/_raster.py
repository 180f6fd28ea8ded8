"""Tiny numpy rasteriser for the synthetic image generators: strokes, polygons, affine warps.

Coordinates of shapes are in the unit square with y pointing down, like image rows.
"""

from __future__ import annotations

import numpy as np

Polyline = np.ndarray  # (k, 2) points in unit coordinates


def arc(cx: float, cy: float, rx: float, ry: float, deg0: float, deg1: float, n: int = 18) -> Polyline:
    """Points on an elliptical arc; angles in degrees, 0 = right, 90 = down (image convention)."""
    t = np.radians(np.linspace(deg0, deg1, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


def pts(*xy: tuple[float, float]) -> Polyline:
    return np.asarray(xy, dtype=np.float64)


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Intensities in [0, 1] (clipped) to the 0..255 bytes the Keras datasets hold."""
    return np.rint(np.clip(x, 0.0, 1.0) * 255).astype(np.uint8)


def _pixel_centres(res: int, supersample: int = 1) -> np.ndarray:
    step = 1.0 / (res * supersample)
    axis = (np.arange(res * supersample) + 0.5) * step
    gx, gy = np.meshgrid(axis, axis)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def stroke_field(lines: list[Polyline], halfwidth_px: float, res: int) -> np.ndarray:
    """Anti-aliased ink of polylines drawn with a round pen of the given half-width (pixels)."""
    if not lines:
        return np.zeros((res, res), np.float32)
    a = (np.concatenate([line[:-1] for line in lines]) * res).astype(np.float32)
    b = (np.concatenate([line[1:] for line in lines]) * res).astype(np.float32)
    p = (_pixel_centres(res) * res).astype(np.float32)
    ab = b - a
    denom = np.maximum((ab**2).sum(1), 1e-9)
    ap = p[:, None, :] - a[None, :, :]
    t = np.clip((ap[..., 0] * ab[:, 0] + ap[..., 1] * ab[:, 1]) / denom, 0.0, 1.0)
    dx = ap[..., 0] - t * ab[:, 0]
    dy = ap[..., 1] - t * ab[:, 1]
    dist = np.sqrt((dx * dx + dy * dy).min(1))
    return np.clip(halfwidth_px + 0.5 - dist, 0.0, 1.0).reshape(res, res).astype(np.float32)


def fill_field(polygons: list[Polyline], res: int, supersample: int = 3) -> np.ndarray:
    """Anti-aliased coverage of polygons under the even-odd rule (so a polygon inside another is a hole)."""
    p = _pixel_centres(res, supersample)
    inside = np.zeros(len(p), bool)
    for poly in polygons:
        x0, y0 = poly[:, 0], poly[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        px, py = p[:, :1], p[:, 1:]
        crosses = (y0 > py) != (y1 > py)
        with np.errstate(divide="ignore", invalid="ignore"):
            xcross = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= (crosses & (px < xcross)).sum(1) % 2 == 1
    cover = inside.reshape(res, supersample, res, supersample).mean((1, 3))
    return cover.astype(np.float32)


def smooth_jitter(rng: np.random.Generator, lines: list[Polyline], amount: float) -> list[Polyline]:
    """Bend all lines by one smooth random displacement field, so strokes stay continuous."""
    freq = rng.uniform(0.6, 1.6, size=(2, 2))
    phase = rng.uniform(0, 2 * np.pi, size=2)
    amp = rng.normal(0, amount, size=2)

    def bend(line: Polyline) -> Polyline:
        shift = np.stack(
            [amp[i] * np.sin(2 * np.pi * (line @ freq[i]) + phase[i]) for i in range(2)], axis=1
        )
        return line + shift

    return [bend(line) for line in lines]


def random_affines(
    rng: np.random.Generator,
    n: int,
    *,
    rotate_deg: float,
    scale: tuple[float, float],
    aspect: float,
    shear: float,
    shift_px: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Inverse affine maps (n, 2, 2) and output-space shifts (n, 2) for ``warp``."""
    theta = np.radians(rng.uniform(-rotate_deg, rotate_deg, n))
    s = rng.uniform(*scale, n)
    a = np.exp(rng.uniform(-np.log(aspect), np.log(aspect), n))
    sh = rng.uniform(-shear, shear, n)
    cos, sin = np.cos(theta), np.sin(theta)
    rot = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], 1)
    shear_m = np.zeros((n, 2, 2))
    shear_m[:, 0, 0] = shear_m[:, 1, 1] = 1.0
    shear_m[:, 0, 1] = sh
    scale_m = np.zeros((n, 2, 2))
    scale_m[:, 0, 0] = s * a
    scale_m[:, 1, 1] = s / a
    forward = rot @ shear_m @ scale_m
    shifts = rng.uniform(-shift_px, shift_px, size=(n, 2))
    return np.linalg.inv(forward), shifts


def warp(protos: np.ndarray, which: np.ndarray, inverse: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Bilinear resampling of ``protos[which]`` (K, R, R) under per-sample affine maps about the centre."""
    k, res, _ = protos.shape
    padded = np.pad(protos, ((0, 0), (1, 1), (1, 1))).reshape(k, -1)
    side = res + 2
    axis = np.arange(res) + 0.5 - res / 2
    gx, gy = np.meshgrid(axis, axis)
    grid = np.stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    out = grid[None] - shifts[:, :, None].astype(np.float32)  # (n, 2, P)
    src = inverse.astype(np.float32) @ out + np.float32(res / 2 - 0.5 + 1)  # +1: into the zero padding
    # Clamping into the zero border makes everything outside the prototype black.
    x = np.clip(src[:, 0], 0, side - 1.001)
    y = np.clip(src[:, 1], 0, side - 1.001)
    x0, y0 = x.astype(np.intp), y.astype(np.intp)
    wx, wy = x - x0, y - y0
    idx = which[:, None] * side * side + y0 * side + x0
    flat = padded.ravel()
    top = flat[idx] * (1 - wx) + flat[idx + 1] * wx
    bottom = flat[idx + side] * (1 - wx) + flat[idx + side + 1] * wx
    return (top * (1 - wy) + bottom * wy).reshape(len(which), res, res)
