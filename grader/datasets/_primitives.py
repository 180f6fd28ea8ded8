"""Shaded renders of 3D primitives (cube, sphere, cylinder, cone, pyramid) with numpy only.

Every solid except the sphere is a convex polyhedron, so back-face culling alone gives a
correct image: visible faces of a convex body never overlap, no depth sorting is needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.datasets._raster import to_uint8

PRIMITIVE_CLASSES: tuple[str, ...] = ("cube", "sphere", "cylinder", "cone", "pyramid")

Faces = list[np.ndarray]  # each (k, 3), vertices of one planar convex face


def _ring(n: int, y: float, r: float = 0.5) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.stack([r * np.cos(t), np.full(n, y), r * np.sin(t)], 1)


def _solid(name: str) -> Faces:
    if name == "cube":
        c = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
        quads = ((0, 1, 3, 2), (4, 5, 7, 6), (0, 1, 5, 4), (2, 3, 7, 6), (0, 2, 6, 4), (1, 3, 7, 5))
        return [c[list(q)] for q in quads]
    if name == "pyramid":
        base = np.array([[-0.5, -0.45, -0.5], [0.5, -0.45, -0.5], [0.5, -0.45, 0.5], [-0.5, -0.45, 0.5]])
        apex = np.array([0.0, 0.6, 0.0])
        return [base] + [np.stack([base[i], base[(i + 1) % 4], apex]) for i in range(4)]
    n = 24
    bottom = _ring(n, -0.5)
    if name == "cylinder":
        top = _ring(n, 0.5)
        sides = [np.stack([bottom[i], bottom[(i + 1) % n], top[(i + 1) % n], top[i]]) for i in range(n)]
        return [bottom, top] + sides
    if name == "cone":
        # Slimmer and taller than the pyramid, so the two differ in outline, not only in shading.
        base = _ring(n, -0.5, r=0.42)
        apex = np.array([0.0, 0.8, 0.0])
        return [base] + [np.stack([base[i], base[(i + 1) % n], apex]) for i in range(n)]
    raise ValueError(name)


def _rotation(rng: np.random.Generator) -> np.ndarray:
    yaw = rng.uniform(0, 2 * np.pi)
    pitch = np.radians(rng.uniform(12, 45))  # tipped towards the camera so the top shows
    roll = np.radians(rng.uniform(-15, 15))
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    k = (np.array([5.0, 3.0, 1.0]) + h * 6) % 6
    return v - v * s * np.clip(np.minimum(k, 4 - k), 0, 1)


def _fill_convex(img: np.ndarray, poly: np.ndarray, colour: np.ndarray, ss: int = 2) -> None:
    """Composite a convex 2D polygon (pixel coordinates) into ``img`` with supersampled edges."""
    size = img.shape[0]
    x0, y0 = np.clip(np.floor(poly.min(0)).astype(int), 0, size)
    x1, y1 = np.clip(np.ceil(poly.max(0)).astype(int) + 1, 0, size)
    if x1 <= x0 or y1 <= y0:
        return
    axis_x = x0 + (np.arange((x1 - x0) * ss) + 0.5) / ss
    axis_y = y0 + (np.arange((y1 - y0) * ss) + 0.5) / ss
    px, py = np.meshgrid(axis_x, axis_y)
    edges = np.roll(poly, -1, 0) - poly
    cross = edges[:, 0, None, None] * (py - poly[:, 1, None, None]) - edges[:, 1, None, None] * (
        px - poly[:, 0, None, None]
    )
    inside = (cross >= 0).all(0) | (cross <= 0).all(0)
    cover = inside.reshape(y1 - y0, ss, x1 - x0, ss).mean((1, 3))[..., None]
    region = img[y0:y1, x0:x1]
    region[:] = region * (1 - cover) + colour * cover


def render_primitive(rng: np.random.Generator, name: str, size: int) -> np.ndarray:
    """One (size, size, 3) float image in [0, 1] of ``name`` on a random gradient background."""
    top, bottom = (_hsv(rng.random(), rng.uniform(0, 0.3), rng.uniform(0.15, 0.95)) for _ in range(2))
    ramp = np.linspace(0, 1, size)[:, None, None]
    img = np.broadcast_to(top * (1 - ramp) + bottom * ramp, (size, size, 3)).copy()
    base = _hsv(rng.random(), rng.uniform(0.5, 1.0), rng.uniform(0.7, 1.0))
    light = np.array([rng.uniform(-0.6, 0.6), rng.uniform(0.3, 0.9), 0.8])
    light /= np.linalg.norm(light)
    scale = rng.uniform(0.35, 0.6) * size
    centre = size / 2 + rng.uniform(-0.15, 0.15, 2) * size
    if name == "sphere":
        r = scale * 0.55
        axis = np.arange(size) + 0.5
        dx, dy = (axis[None, :] - centre[0]) / r, (axis[:, None] - centre[1]) / r
        d2 = dx**2 + dy**2
        nz = np.sqrt(np.clip(1 - d2, 0, 1))
        shade = 0.25 + 0.75 * np.clip(dx * light[0] - dy * light[1] + nz * light[2], 0, 1)
        cover = np.clip((1 - np.sqrt(d2)) * r + 0.5, 0, 1)[..., None]
        img = img * (1 - cover) + base * shade[..., None] * cover
    else:
        rot = _rotation(rng)
        for face in _solid(name):
            v = face @ rot.T
            normal = np.cross(v[1] - v[0], v[2] - v[0])
            if normal @ v.mean(0) < 0:  # outward, whatever the vertex order
                normal = -normal
            normal /= np.linalg.norm(normal)
            if normal[2] <= 1e-6:
                continue
            shade = 0.25 + 0.75 * max(0.0, float(normal @ light))
            poly = np.stack([centre[0] + v[:, 0] * scale, centre[1] - v[:, 1] * scale], 1)
            _fill_convex(img, poly, base * shade)
    img += rng.normal(0, 0.02, img.shape)
    return np.clip(img, 0, 1)


def make_primitives(n_per_class: int, size: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rendered 3D solids: images (n, size, size, 3) uint8 and labels (n,) uint8 indexing ``PRIMITIVE_CLASSES``.

    Samples are ordered class by class; shuffle before training.
    """
    if n_per_class < 0 or size < 8:
        raise ValueError("n_per_class must be non-negative and size at least 8")
    images = np.empty((len(PRIMITIVE_CLASSES) * n_per_class, size, size, 3), np.uint8)
    labels = np.repeat(np.arange(len(PRIMITIVE_CLASSES), dtype=np.uint8), n_per_class)
    for label, name in enumerate(PRIMITIVE_CLASSES):
        rng = np.random.default_rng([seed, 4, label])
        for i in range(n_per_class):
            images[label * n_per_class + i] = to_uint8(render_primitive(rng, name, size))
    return images, labels


def write_primitives_folder(folder: str | Path, n_per_class: int, size: int = 64, seed: int = 0) -> Path:
    """Write ``make_primitives`` as ``folder/<class>/NNNN.png``, the layout image-folder loaders expect."""
    from matplotlib import image as mpimg  # heavy import, only needed here

    root = Path(folder)
    images, labels = make_primitives(n_per_class, size, seed)
    for index, (img, label) in enumerate(zip(images, labels)):
        target = root / PRIMITIVE_CLASSES[label] / f"{index % max(n_per_class, 1):04d}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        # No "Software" stamp (it names the matplotlib version): same seed, same bytes.
        mpimg.imsave(target, img, format="png", metadata={"Software": None})
    return root
