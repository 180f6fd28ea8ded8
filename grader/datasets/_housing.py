"""A synthetic stand-in for the USA Housing table (the Kaggle ``USA_Housing.csv``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from grader.datasets.catalog import HOUSING_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

# Means, spreads and the least-squares price model of the reference file, so a model tuned on
# the synthetic table behaves like one tuned on the real one (scaling matters a lot here).
_FEATURES = {
    "Avg. Area Income": (68583.0, 10658.0, 17000.0),
    "Avg. Area House Age": (5.977, 0.991, 2.5),
    "Avg. Area Number of Rooms": (6.988, 1.006, 3.2),
    "Area Population": (36164.0, 9926.0, 170.0),
}
_PRICE_COEF = {
    "Avg. Area Income": 21.578,
    "Avg. Area House Age": 165637.0,
    "Avg. Area Number of Rooms": 120660.0,
    "Avg. Area Number of Bedrooms": 1651.1,
    "Area Population": 15.2,
}
_PRICE_INTERCEPT = -2637299.0
_PRICE_NOISE = 101093.0

_NAMES = (
    "Michael Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill"
).split()
_SUFFIXES = (
    "Street Avenue Road Lane Drive Court Place Way Ferry Views Shoals Islands Viaduct Crossing "
    "Stravenue Trail Parkway Ridge Gardens Heights Mill Springs Junction Squares Crest"
).split()
_TOWN_ENDINGS = ("burgh", "ton", "ville", "port", "mouth", "haven", "side", "borough", "land")
_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
).split()


def _address(rng: np.random.Generator) -> str:
    name = _NAMES[rng.integers(len(_NAMES))]
    roll = rng.random()
    zip5 = f"{rng.integers(100000):05d}"
    if roll < 0.08:
        return f"{'USS USNS'.split()[rng.integers(2)]} {name}\nFPO {'AA AE AP'.split()[rng.integers(3)]} {zip5}"
    if roll < 0.16:
        return f"Unit {rng.integers(10000):04d} Box {rng.integers(10000):04d}\nDPO AE {zip5}"
    street = f"{rng.integers(1, 100000)} {_NAMES[rng.integers(len(_NAMES))]} {_SUFFIXES[rng.integers(len(_SUFFIXES))]}"
    extra = rng.random()
    if extra < 0.2:
        street += f" Apt. {rng.integers(1000):03d}"
    elif extra < 0.4:
        street += f" Suite {rng.integers(1000):03d}"
    town = name + _TOWN_ENDINGS[rng.integers(len(_TOWN_ENDINGS))]
    if rng.random() < 0.2:
        town = f"{'Lake North South East West New Port'.split()[rng.integers(7)]} {town}"
    code = zip5 if rng.random() < 0.6 else f"{zip5}-{rng.integers(10000):04d}"
    return f"{street}\n{town}, {_STATES[rng.integers(len(_STATES))]} {code}"


def make_housing(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` rows with exactly the USA_Housing.csv columns; Price is linear in the others plus noise."""
    import pandas as pd

    if n < 0:
        raise ValueError("n must be non-negative")
    rng = np.random.default_rng([seed, 41])
    cols: dict[str, np.ndarray] = {}
    for column, (mean, std, floor) in _FEATURES.items():
        cols[column] = np.maximum(rng.normal(mean, std, n), floor)
    # The reference bedrooms are a whole number 2..6 plus .00-.49, correlated with rooms.
    rooms = cols["Avg. Area Number of Rooms"]
    whole = np.clip(np.rint(rooms - 3.0 + rng.normal(0, 1.05, n)), 2, 6)
    cols["Avg. Area Number of Bedrooms"] = np.round(whole + rng.uniform(0, 0.5, n), 2)
    price = _PRICE_INTERCEPT + sum(_PRICE_COEF[c] * cols[c] for c in _PRICE_COEF)
    cols["Price"] = np.maximum(price + rng.normal(0, _PRICE_NOISE, n), 15000.0)
    address_rng = np.random.default_rng([seed, 42])
    cols["Address"] = np.array([_address(address_rng) for _ in range(n)], dtype=object)
    return pd.DataFrame({c: cols[c] for c in HOUSING_COLUMNS})
