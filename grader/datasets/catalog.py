"""The datasets the grader knows how to serve, and what a valid copy of each looks like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from grader.errors import DatasetError

DatasetKind = Literal["npz", "csv"]

SPLIT_KEYS: tuple[str, ...] = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset: where a store may keep it and how its arrays or columns must look.

    ``sample_shape`` and ``label_shape`` exclude the leading sample axis, because stores
    legitimately hold subsets (synthetic ``small`` data) of the full sizes.
    """

    name: str
    kind: DatasetKind
    filenames: tuple[str, ...]
    title: str = ""
    sample_shape: tuple[int, ...] = ()
    label_shape: tuple[int, ...] = ()
    num_classes: int | None = None
    full_sizes: tuple[int, int] | None = None
    columns: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ()  # columns that are not numeric
    # Keras's own cache keeps some datasets as idx files, not an npz: split key -> path
    # relative to the store folder.
    idx_files: tuple[tuple[str, str], ...] = ()
    # sha256 -> where that exact file comes from; a match means "the canonical file".
    known_sha256: tuple[tuple[str, str], ...] = ()

    @property
    def idx_folder(self) -> str | None:
        """The folder (relative to a store) holding the idx files, if this dataset has any."""
        if not self.idx_files:
            return None
        return self.idx_files[0][1].split("/", 1)[0]

    def provenance(self, sha256: str | None) -> str | None:
        """Where a file with this digest comes from, or None when it is not a known file."""
        return dict(self.known_sha256).get(sha256) if sha256 else None


_FASHION_IDX = (
    ("y_train", "fashion-mnist/train-labels-idx1-ubyte.gz"),
    ("x_train", "fashion-mnist/train-images-idx3-ubyte.gz"),
    ("y_test", "fashion-mnist/t10k-labels-idx1-ubyte.gz"),
    ("x_test", "fashion-mnist/t10k-images-idx3-ubyte.gz"),
)

HOUSING_COLUMNS: tuple[str, ...] = (
    "Avg. Area Income",
    "Avg. Area House Age",
    "Avg. Area Number of Rooms",
    "Avg. Area Number of Bedrooms",
    "Area Population",
    "Price",
    "Address",
)

CATALOG: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in (
        DatasetSpec(
            name="mnist",
            kind="npz",
            title="MNIST handwritten digits",
            filenames=("mnist.npz",),
            sample_shape=(28, 28),
            num_classes=10,
            full_sizes=(60000, 10000),
            known_sha256=(
                ("06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64", "reference copy"),
                ("731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", "keras download"),
            ),
        ),
        DatasetSpec(
            name="fashion_mnist",
            kind="npz",
            title="Fashion-MNIST",
            filenames=("fashion_mnist.npz", "fashion-mnist.npz"),
            sample_shape=(28, 28),
            num_classes=10,
            full_sizes=(60000, 10000),
            idx_files=_FASHION_IDX,
            known_sha256=(
                ("5b6d2c4c694a91887af8ab7d039c04f80af3c29378d731c93a538d2e831aa469", "reference copy"),
            ),
        ),
        DatasetSpec(
            name="cifar10",
            kind="npz",
            title="CIFAR-10",
            filenames=("cifar10.npz", "cifar-10.npz"),
            sample_shape=(32, 32, 3),
            # keras.datasets.cifar10 returns labels as a column vector.
            label_shape=(1,),
            num_classes=10,
            full_sizes=(50000, 10000),
        ),
        DatasetSpec(
            name="usa_housing",
            kind="csv",
            title="USA Housing prices",
            filenames=("usa_housing.csv", "USA_Housing.csv"),
            columns=HOUSING_COLUMNS,
            text_columns=("Address",),
            known_sha256=(
                ("e82882cdc7e74d4f5ac685f2bffbdb34a0e2fc07c0d5b3a576e0bc9a04af60dd", "reference copy"),
            ),
        ),
    )
}


def get_spec(name: str) -> DatasetSpec:
    """The catalog entry for ``name``; accepts the dashed spellings people type (``fashion-mnist``)."""
    key = name.strip().lower().replace("-", "_")
    try:
        return CATALOG[key]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise DatasetError(f"unknown dataset {name!r}; known datasets: {known}") from None
