"""Deterministic, learnable stand-ins for the Keras datasets, generated with numpy alone.

They let tests and CI exercise the whole pipeline (training, saving, verifying) without
the real data: a sensible small model learns them well, a broken one stays near chance.

Samples are generated in chunks of 1,000, each from its own seed stream, so whole chunks
do not depend on how many samples were asked for: the ``small`` splits are prefixes of the
``full`` ones, and a benchmark on ``full`` data includes the samples tests saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, NamedTuple

import numpy as np

from grader.datasets import _shapes
from grader.datasets._housing import make_housing
from grader.datasets._primitives import PRIMITIVE_CLASSES, make_primitives, write_primitives_folder
from grader.datasets._raster import random_affines, to_uint8, warp
from grader.datasets.catalog import get_spec

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "PRIMITIVE_CLASSES",
    "SIZES",
    "SYNTHETIC_VERSION",
    "SplitArrays",
    "make_cifar10",
    "make_dataset",
    "make_digits",
    "make_fashion",
    "make_housing",
    "make_primitives",
    "write_primitives_folder",
]

# Bump whenever a generator's output changes, so cached synthetic stores are rebuilt.
SYNTHETIC_VERSION = 1

Size = Literal["small", "full"]
# Sample counts: (train, test) for image datasets, (rows,) for tables.
SIZES: dict[str, dict[str, tuple[int, ...]]] = {
    "small": {"mnist": (6000, 1000), "fashion_mnist": (6000, 1000), "cifar10": (5000, 1000), "usa_housing": (1000,)},
    "full": {
        "mnist": (60000, 10000),
        "fashion_mnist": (60000, 10000),
        "cifar10": (50000, 10000),
        "usa_housing": (5000,),
    },
}

_CHUNK = 1000


class SplitArrays(NamedTuple):
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def as_keras(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """The ``((x_train, y_train), (x_test, y_test))`` shape ``load_data()`` returns."""
        return (self.x_train, self.y_train), (self.x_test, self.y_test)

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(self._asdict())


# eq=False: hashed by identity for the prototype cache (the glyph arrays are unhashable).
@dataclass(frozen=True, eq=False)
class _Family:
    stream: int  # keeps the families' random streams apart for the same user seed
    glyphs: tuple[tuple[_shapes.Glyph, ...], ...]
    res: int
    variants: int
    halfwidth: tuple[float, float]
    jitter: float
    textured: bool
    rotate_deg: float
    scale: tuple[float, float]
    shear: float
    shift_px: float
    noise: float


_DIGITS = _Family(1, _shapes.DIGITS, 28, 40, (0.8, 1.9), 0.035, False, 12, (0.82, 1.08), 0.25, 2.0, 0.08)
_FASHION = _Family(2, _shapes.FASHION, 28, 24, (0.9, 1.4), 0.025, True, 5, (0.88, 1.04), 0.08, 1.5, 0.06)
_ICONS = _Family(3, _shapes.ICONS, 32, 16, (1.0, 1.0), 0.03, False, 25, (0.6, 1.0), 0.15, 4.0, 0.0)


@lru_cache(maxsize=8)
def _prototypes(family: _Family, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, family.stream, 0])
    protos = _shapes.render_prototypes(
        family.glyphs,
        rng,
        variants=family.variants,
        res=family.res,
        halfwidth=family.halfwidth,
        jitter=family.jitter,
        textured=family.textured,
    )
    protos.flags.writeable = False  # shared through the cache
    return protos


def _masks(family: _Family, n: int, seed: int, split: int) -> tuple[list[np.random.Generator], np.ndarray, np.ndarray]:
    """Warped greyscale renders in [0, 1] and balanced labels, chunk by chunk."""
    if n < 0 or seed < 0:
        raise ValueError("sample counts and seeds must be non-negative")
    protos = _prototypes(family, seed)
    classes = len(family.glyphs)
    rngs, images, labels = [], [], []
    for chunk, start in enumerate(range(0, n, _CHUNK)):
        m = min(_CHUNK, n - start)
        rng = np.random.default_rng([seed, family.stream, split, chunk])
        y = rng.permutation(np.arange(m) % classes)
        which = y * family.variants + rng.integers(family.variants, size=m)
        inverse, shifts = random_affines(
            rng,
            m,
            rotate_deg=family.rotate_deg,
            scale=family.scale,
            aspect=1.12,
            shear=family.shear,
            shift_px=family.shift_px,
        )
        rngs.append(rng)
        images.append(warp(protos, which, inverse, shifts))
        labels.append(y.astype(np.uint8))
    if not images:
        return rngs, np.zeros((0, family.res, family.res), np.float32), np.zeros(0, np.uint8)
    return rngs, np.concatenate(images), np.concatenate(labels)


def _greyscale(family: _Family, n: int, seed: int, split: int) -> tuple[np.ndarray, np.ndarray]:
    rngs, x, y = _masks(family, n, seed, split)
    for i, rng in enumerate(rngs):
        part = x[i * _CHUNK : (i + 1) * _CHUNK]
        part *= rng.uniform(0.7, 1.0, (len(part), 1, 1)).astype(np.float32)  # pen pressure / exposure
        part += rng.standard_normal(part.shape, np.float32) * np.float32(family.noise)
    return to_uint8(x), y


def _colour(n: int, seed: int, split: int) -> tuple[np.ndarray, np.ndarray]:
    rngs, masks, y = _masks(_ICONS, n, seed, split)
    out = np.empty((n, 32, 32, 3), np.uint8)
    ramp = np.linspace(-0.5, 0.5, 32, dtype=np.float32)
    for i, rng in enumerate(rngs):
        mask = masks[i * _CHUNK : (i + 1) * _CHUNK, :, :, None]
        m = len(mask)
        # Dark-on-light or light-on-dark in every channel: colour alone never gives the class away.
        dark = rng.uniform(0.0, 0.45, (2, m, 1, 1, 3)).astype(np.float32)
        light = rng.uniform(0.55, 1.0, (2, m, 1, 1, 3)).astype(np.float32)
        flip = rng.random((m, 1, 1, 1)) < 0.5
        bg, fg = np.where(flip, dark[0], light[0]), np.where(flip, light[1], dark[1])
        angle = rng.uniform(0, 2 * np.pi, (m, 1, 1, 1)).astype(np.float32)
        gradient = (np.cos(angle) * ramp[None, None, :, None] + np.sin(angle) * ramp[None, :, None, None]) * 0.3
        img = bg + gradient
        img += (fg - img) * mask
        img += rng.standard_normal((m, 32, 32, 3), np.float32) * np.float32(0.04)
        out[i * _CHUNK : i * _CHUNK + m] = to_uint8(img)
    return out, y.reshape(-1, 1)


def make_digits(n_train: int, n_test: int, seed: int = 0) -> SplitArrays:
    """MNIST-like digits: (n, 28, 28) uint8 images of noisy, shifted, slanted strokes; labels 0..9."""
    return SplitArrays(*_greyscale(_DIGITS, n_train, seed, 1), *_greyscale(_DIGITS, n_test, seed, 2))


def make_fashion(n_train: int, n_test: int, seed: int = 0) -> SplitArrays:
    """Fashion-MNIST-like clothing silhouettes, same layout and label order as Fashion-MNIST."""
    return SplitArrays(*_greyscale(_FASHION, n_train, seed, 1), *_greyscale(_FASHION, n_test, seed, 2))


def make_cifar10(n_train: int, n_test: int, seed: int = 0) -> SplitArrays:
    """CIFAR-10-like colour icons: (n, 32, 32, 3) uint8, labels (n, 1) uint8 as Keras returns them."""
    return SplitArrays(*_colour(n_train, seed, 1), *_colour(n_test, seed, 2))


def make_dataset(name: str, size: Size = "small", seed: int = 0) -> SplitArrays | pd.DataFrame:
    """The synthetic stand-in for catalog dataset ``name`` at a size preset."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    name = get_spec(name).name
    counts = SIZES[size][name]
    if name == "usa_housing":
        return make_housing(counts[0], seed)
    makers = {"mnist": make_digits, "fashion_mnist": make_fashion, "cifar10": make_cifar10}
    return makers[name](*counts, seed=seed)
