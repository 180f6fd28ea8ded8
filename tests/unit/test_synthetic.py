"""Synthetic stand-ins: deterministic, in the exact Keras layouts, plausible, and fast."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from grader.datasets import synthetic
from grader.datasets.catalog import HOUSING_COLUMNS
from grader.datasets.synthetic import (
    PRIMITIVE_CLASSES,
    SIZES,
    SplitArrays,
    make_cifar10,
    make_dataset,
    make_digits,
    make_fashion,
    make_housing,
    make_primitives,
    write_primitives_folder,
)

IMAGE_MAKERS: dict[str, tuple[Callable[..., SplitArrays], tuple[int, ...], tuple[int, ...]]] = {
    "digits": (make_digits, (28, 28), ()),
    "fashion": (make_fashion, (28, 28), ()),
    "cifar10": (make_cifar10, (32, 32, 3), (1,)),
}


def _flat(x: np.ndarray) -> np.ndarray:
    return x.reshape(len(x), -1).astype(np.float32) / 255.0


@pytest.mark.parametrize("family", sorted(IMAGE_MAKERS))
def test_image_generators_use_keras_layout(family: str) -> None:
    make, sample_shape, label_shape = IMAGE_MAKERS[family]
    data = make(230, 70, seed=3)
    assert isinstance(data, SplitArrays)
    for x, y, n in ((data.x_train, data.y_train, 230), (data.x_test, data.y_test, 70)):
        assert x.shape == (n, *sample_shape) and x.dtype == np.uint8
        assert y.shape == (n, *label_shape) and y.dtype == np.uint8
        assert set(np.unique(y)) == set(range(10))
        assert 5 < x.mean() < 200 and x.max() > 200  # neither blank nor saturated
    (x_train, _), (_, y_test) = data.as_keras()
    assert x_train is data.x_train and y_test is data.y_test
    assert list(data.as_dict()) == ["x_train", "y_train", "x_test", "y_test"]


@pytest.mark.parametrize("family", sorted(IMAGE_MAKERS))
def test_image_generators_are_deterministic(family: str) -> None:
    make = IMAGE_MAKERS[family][0]
    first, again, other = make(120, 40, seed=5), make(120, 40, seed=5), make(120, 40, seed=6)
    for a, b, c in zip(first, again, other):
        assert a.tobytes() == b.tobytes()
    assert first.x_train.tobytes() != other.x_train.tobytes()
    assert first.x_test.tobytes() != first.x_train[:40].tobytes()  # train and test are different draws


def test_whole_chunks_do_not_depend_on_the_requested_size() -> None:
    small, large = make_digits(1000, 1000), make_digits(2000, 1500)
    np.testing.assert_array_equal(small.x_train, large.x_train[:1000])
    np.testing.assert_array_equal(small.y_test, large.y_test[:1000])


def test_classes_are_balanced_so_a_constant_guess_is_chance() -> None:
    data = make_digits(1000, 1000)
    for y in (data.y_train, data.y_test):
        assert np.bincount(y).tolist() == [100] * 10


def test_digits_are_learnable_but_no_single_pixel_gives_them_away() -> None:
    data = make_digits(2000, 500)
    x, xt = _flat(data.x_train), _flat(data.x_test)
    means = np.stack([x[data.y_train == c].mean(0) for c in range(10)])
    # A nearest-class-mean classifier, the crudest learner there is, already does well...
    nearest = ((xt[:, None, :] - means[None]) ** 2).sum(2).argmin(1)
    assert (nearest == data.y_test).mean() > 0.7
    # ...while the best one-pixel rule stays far from it: shapes, shifts and noise matter.
    per_pixel = (np.abs(xt[:, None, :] - means[None]).argmin(1) == data.y_test[:, None]).mean(0)
    assert per_pixel.max() < 0.35


def test_fashion_and_digits_are_different_families() -> None:
    digits, fashion = make_digits(500, 0), make_fashion(500, 0)
    assert abs(float(digits.x_train.mean()) - float(fashion.x_train.mean())) > 5


def test_small_preset_is_sized_as_documented() -> None:
    # Generation speed is measured in bench/, not asserted here.
    data = make_dataset("mnist", "small")
    assert isinstance(data, SplitArrays)
    assert (len(data.x_train), len(data.x_test)) == SIZES["small"]["mnist"] == (6000, 1000)
    assert SIZES["full"]["mnist"] == (60000, 10000)


def test_make_dataset_rejects_unknown_size() -> None:
    with pytest.raises(ValueError, match="size must be one of"):
        make_dataset("mnist", "medium")  # type: ignore[arg-type]


def test_negative_counts_and_seeds_are_rejected() -> None:
    with pytest.raises(ValueError):
        make_digits(-1, 10)
    with pytest.raises(ValueError):
        make_digits(10, 10, seed=-2)


# --- housing ------------------------------------------------------------------------------------


def test_housing_has_the_reference_columns_and_ranges() -> None:
    frame = make_housing(2000, seed=1)
    assert tuple(frame.columns) == HOUSING_COLUMNS and len(frame) == 2000
    ranges = {
        "Avg. Area Income": (15_000, 120_000),
        "Avg. Area House Age": (2, 10),
        "Avg. Area Number of Rooms": (3, 11),
        "Avg. Area Number of Bedrooms": (2, 6.5),
        "Area Population": (100, 80_000),
        "Price": (10_000, 3_000_000),
    }
    for column, (low, high) in ranges.items():
        assert frame[column].between(low, high).all(), column
    assert frame["Address"].map(lambda a: isinstance(a, str) and "\n" in a).all()
    assert 0.3 < frame["Avg. Area Number of Rooms"].corr(frame["Avg. Area Number of Bedrooms"]) < 0.7


def test_housing_price_is_nearly_linear_in_the_features() -> None:
    frame = make_housing(3000)
    features = frame[list(HOUSING_COLUMNS[:5])].to_numpy()
    price = frame["Price"].to_numpy()
    design = np.c_[features, np.ones(len(features))]
    coef, *_ = np.linalg.lstsq(design, price, rcond=None)
    residual = price - design @ coef
    assert 1 - residual.var() / price.var() > 0.88
    assert np.mean(np.abs(residual / price)) < 0.12


def test_housing_is_deterministic() -> None:
    assert make_housing(300, seed=2).equals(make_housing(300, seed=2))
    assert not make_housing(300, seed=2).equals(make_housing(300, seed=3))
    assert make_housing(0).shape == (0, 7)


# --- primitives ----------------------------------------------------------------------------------


def test_primitives_shapes_and_determinism() -> None:
    images, labels = make_primitives(4, size=32, seed=1)
    assert images.shape == (4 * len(PRIMITIVE_CLASSES), 32, 32, 3) and images.dtype == np.uint8
    assert labels.dtype == np.uint8 and np.bincount(labels).tolist() == [4] * len(PRIMITIVE_CLASSES)
    again, _ = make_primitives(4, size=32, seed=1)
    other, _ = make_primitives(4, size=32, seed=2)
    assert images.tobytes() == again.tobytes() and images.tobytes() != other.tobytes()
    # The object covers a fair part of the frame: the centre differs from the corners.
    centre, corner = images[:, 12:20, 12:20].astype(int), images[:, :4, :4].astype(int)
    assert (np.abs(centre.mean((1, 2)) - corner.mean((1, 2))).sum(1) > 20).mean() > 0.8


def test_write_primitives_folder_layout(tmp_path: Path) -> None:
    from matplotlib import image as mpimg

    root = write_primitives_folder(tmp_path / "shapes", n_per_class=3, size=24, seed=0)
    assert sorted(p.name for p in root.iterdir()) == sorted(PRIMITIVE_CLASSES)
    for name in PRIMITIVE_CLASSES:
        assert sorted(p.name for p in (root / name).iterdir()) == ["0000.png", "0001.png", "0002.png"]
    images, labels = make_primitives(3, size=24, seed=0)
    first_cone = images[list(labels).index(PRIMITIVE_CLASSES.index("cone"))]
    read = mpimg.imread(root / "cone" / "0000.png")
    np.testing.assert_array_equal(np.rint(read[..., :3] * 255).astype(np.uint8), first_cone)
    # Same seed, same bytes: image folders can be cached and compared by hash.
    again = write_primitives_folder(tmp_path / "again", n_per_class=3, size=24, seed=0)
    assert (again / "cube" / "0002.png").read_bytes() == (root / "cube" / "0002.png").read_bytes()
