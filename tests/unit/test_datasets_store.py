"""The dataset store: where it looks, what it accepts, and how it fails."""

from __future__ import annotations

import gzip
import hashlib
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.datasets import CATALOG, DatasetStore, get_spec, keras_cache_dir
from grader.datasets import fetch as fetch_module
from grader.datasets.fetch import fetch
from grader.datasets.formats import npz_bytes, read_idx, write_idx, write_npz
from grader.datasets.materialise import MANIFEST
from grader.errors import DatasetError

SHARED_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def _digits_arrays(n_train: int = 12, n_test: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


def _idx_bytes(array: np.ndarray, code: int) -> bytes:
    """An idx file built by hand from the format description, independent of write_idx."""
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


# --- resolution -------------------------------------------------------------------------


def test_explicit_path_beats_env_and_keras_cache(tmp_path: Path) -> None:
    explicit, env_dir = tmp_path / "explicit", tmp_path / "env"
    explicit.mkdir(), env_dir.mkdir()
    environ = {"GRADER_DATASETS": str(env_dir), "KERAS_HOME": str(tmp_path / "keras")}
    store = DatasetStore.resolve(explicit, environ=environ)
    assert store.root == explicit.resolve()
    assert store.origin == "explicit"


def test_env_var_beats_keras_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADER_DATASETS", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    store = DatasetStore.resolve()
    assert (store.root, store.origin) == (tmp_path.resolve(), "env")


def test_keras_home_cache_is_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADER_DATASETS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    store = DatasetStore.resolve()
    assert (store.root, store.origin) == (tmp_path / "kh" / "datasets", "keras-cache")
    # An absent Keras cache is an empty store, not an error.
    assert store.available() == []


def test_empty_env_var_is_ignored_and_home_cache_used(tmp_path: Path) -> None:
    store = DatasetStore.resolve(environ={"GRADER_DATASETS": "", "HOME": str(tmp_path)})
    assert store.root == tmp_path / ".keras" / "datasets"
    assert keras_cache_dir({"HOME": str(tmp_path)}) == store.root


@pytest.mark.parametrize("via_env", [False, True])
def test_named_folder_that_does_not_exist_is_an_error(tmp_path: Path, via_env: bool) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(DatasetError, match="does not exist"):
        if via_env:
            DatasetStore.resolve(environ={"GRADER_DATASETS": str(missing)})
        else:
            DatasetStore.resolve(missing, environ={})


def test_store_is_immutable(tmp_path: Path) -> None:
    store = DatasetStore(tmp_path)
    with pytest.raises(AttributeError):
        store.root = Path("/")  # type: ignore[misc]


# --- finding and loading ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "filename"),
    [("mnist", "mnist.npz"), ("fashion_mnist", "fashion-mnist.npz"), ("fashion-mnist", "fashion_mnist.npz"),
     ("usa_housing", "USA_Housing.csv"), ("usa_housing", "usa_housing.csv")],
)
def test_find_accepts_every_catalog_spelling(tmp_path: Path, name: str, filename: str) -> None:
    (tmp_path / filename).write_bytes(b"x")
    store = DatasetStore(tmp_path)
    assert store.find(name) == tmp_path / filename
    assert store.available() == [get_spec(name).name]


def test_unknown_dataset_name_lists_known_ones(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="known datasets: cifar10, fashion_mnist, mnist, usa_housing"):
        DatasetStore(tmp_path).find("imagenet")


def test_load_npz_round_trip_and_keras_tuple(tmp_path: Path) -> None:
    arrays = _digits_arrays()
    write_npz(tmp_path / "mnist.npz", {**arrays, "extra": np.zeros(3)})
    store = DatasetStore(tmp_path)
    loaded = store.load_npz("mnist")
    assert list(loaded) == ["x_train", "y_train", "x_test", "y_test"]
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
    (x_train, y_train), (x_test, y_test) = store.load_data("mnist")
    assert x_train.shape == (12, 28, 28) and y_test.shape == (5,)


def test_missing_dataset_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"not in the store .*mnist\.npz.*GRADER_DATASETS"):
        DatasetStore(tmp_path).load_npz("mnist")


def test_wrong_loader_for_kind(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="csv dataset"):
        DatasetStore(tmp_path).load_npz("usa_housing")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda a: a.pop("y_test"), "needs arrays y_test"),
        (lambda a: a.update(x_train=a["x_train"].astype(np.float32)), "x_train has dtype float32"),
        (lambda a: a.update(x_test=a["x_test"][:, :27]), r"x_test has shape \(5, 27, 28\)"),
        (lambda a: a.update(y_train=a["y_train"][:-1]), "y_train has shape"),
        (lambda a: a.update(y_train=a["y_train"].astype(np.float64)), "expected integer labels"),
        (lambda a: a.update(y_test=a["y_test"] + 10), r"labels outside 0\.\.9"),
        (lambda a: a.update(x_test=a["x_test"][:0], y_test=a["y_test"][:0]), "test split is empty"),
    ],
)
def test_malformed_npz_is_rejected(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    arrays = _digits_arrays()
    change(arrays)
    write_npz(tmp_path / "mnist.npz", arrays)
    with pytest.raises(DatasetError, match=message):
        DatasetStore(tmp_path).load_npz("mnist")


def test_pickled_object_array_is_refused(tmp_path: Path) -> None:
    arrays = _digits_arrays()
    arrays["y_train"] = np.array([{"label": i} for i in range(12)], dtype=object)
    np.savez(tmp_path / "mnist.npz", **arrays)  # numpy pickles object arrays silently
    with pytest.raises(DatasetError, match="pickled object array; refusing"):
        DatasetStore(tmp_path).load_npz("mnist")


@pytest.mark.parametrize("payload", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_corrupt_npz_is_a_dataset_error(tmp_path: Path, payload: bytes) -> None:
    (tmp_path / "mnist.npz").write_bytes(payload)
    with pytest.raises(DatasetError, match="mnist.npz"):
        DatasetStore(tmp_path).load_npz("mnist")


def test_corrupt_member_inside_a_valid_zip_is_a_dataset_error(tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(tmp_path / "mnist.npz", "w") as archive:
        archive.writestr("x_train.npy", b"\x93NUMPY garbage header")
    with pytest.raises(DatasetError, match="'x_train' is corrupt"):
        DatasetStore(tmp_path).load_npz("mnist")


def test_single_npy_saved_as_npz_is_rejected(tmp_path: Path) -> None:
    with open(tmp_path / "mnist.npz", "wb") as fh:
        np.save(fh, np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DatasetError, match="single array"):
        DatasetStore(tmp_path).load_npz("mnist")


def test_npz_writer_is_byte_deterministic() -> None:
    arrays = _digits_arrays()
    assert npz_bytes(arrays) == npz_bytes(dict(arrays))


# --- idx files and Keras's own cache layout ---------------------------------------------------


@pytest.mark.parametrize(
    ("array", "code"),
    [
        (np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4), 0x08),
        (np.array([-3, 0, 70000], dtype=np.int32), 0x0C),
        (np.array([[0.5, -1.25]], dtype=np.float64), 0x0E),
    ],
)
def test_read_idx_decodes_hand_built_files(tmp_path: Path, array: np.ndarray, code: int) -> None:
    raw = tmp_path / "a.idx"
    raw.write_bytes(_idx_bytes(array, code))
    zipped = tmp_path / "a.idx.gz"
    zipped.write_bytes(gzip.compress(_idx_bytes(array, code)))
    for path in (raw, zipped):
        decoded = read_idx(path)
        assert decoded.dtype == array.dtype.newbyteorder("=") and decoded.dtype.isnative
        np.testing.assert_array_equal(decoded, array)


def test_write_idx_round_trips_and_matches_the_format(tmp_path: Path) -> None:
    array = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    path = write_idx(tmp_path / "x-idx3-ubyte.gz", array)
    assert gzip.decompress(path.read_bytes()) == _idx_bytes(array, 0x08)
    np.testing.assert_array_equal(read_idx(path), array)


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"\x00\x00\x08", "bad magic"), (b"\x01\x02\x08\x01" + b"\x00" * 8, "bad magic"),
     (b"\x00\x00\x08\x02" + struct.pack(">II", 4, 4) + b"\x00" * 15, "holds 15 bytes"),
     (b"\x00\x00\x08\x03\x00\x00", "header is truncated")],
)
def test_malformed_idx_is_a_dataset_error(tmp_path: Path, payload: bytes, message: str) -> None:
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(payload)
    with pytest.raises(DatasetError, match=message):
        read_idx(path)


def _keras_fashion_cache(datasets_dir: Path, files: int = 4) -> dict[str, np.ndarray]:
    arrays = _digits_arrays(20, 10)
    for key, rel in get_spec("fashion_mnist").idx_files[:files]:
        target = datasets_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.compress(_idx_bytes(arrays[key], 0x08)))
    return arrays


def test_keras_cache_layout_is_recognised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRADER_DATASETS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    arrays = _keras_fashion_cache(tmp_path / "datasets")
    write_npz(tmp_path / "datasets" / "mnist.npz", _digits_arrays())  # what keras.datasets.mnist caches
    store = DatasetStore.resolve()
    assert store.available() == ["mnist", "fashion_mnist"]
    assert store.find("fashion_mnist") == tmp_path / "datasets" / "fashion-mnist"
    loaded = store.load_npz("fashion_mnist")
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)
    row = next(r for r in store.describe() if r["name"] == "fashion_mnist")
    assert row["layout"] == "idx" and row["canonical"] is False and row["size"] > 0


def test_incomplete_idx_folder_is_not_a_dataset(tmp_path: Path) -> None:
    _keras_fashion_cache(tmp_path, files=3)
    assert DatasetStore(tmp_path).find("fashion_mnist") is None


# --- CSV --------------------------------------------------------------------------------------


def _housing_csv(path: Path, columns: tuple[str, ...], value: str = "1.5") -> None:
    row = ",".join('"1 Main St\nTown, ST 00000"' if c == "Address" else value for c in columns)
    path.write_text(",".join(columns) + "\n" + row + "\n")


def test_load_csv_validates_columns(tmp_path: Path) -> None:
    columns = get_spec("usa_housing").columns
    _housing_csv(tmp_path / "USA_Housing.csv", columns)
    frame = DatasetStore(tmp_path).load_csv("usa_housing")
    assert tuple(frame.columns) == columns and frame["Address"][0].startswith("1 Main St\n")
    _housing_csv(tmp_path / "USA_Housing.csv", columns[1:])
    with pytest.raises(DatasetError, match="missing columns.*Avg. Area Income"):
        DatasetStore(tmp_path).load_csv("usa_housing")
    _housing_csv(tmp_path / "USA_Housing.csv", columns, value="n/a?")
    with pytest.raises(DatasetError, match="is not numeric"):
        DatasetStore(tmp_path).load_csv("usa_housing")


# --- describe, canonical files ---------------------------------------------------------------


def test_describe_reports_every_catalog_entry(tmp_path: Path) -> None:
    write_npz(tmp_path / "mnist.npz", _digits_arrays())
    rows = {row["name"]: row for row in DatasetStore(tmp_path).describe()}
    assert set(rows) == set(CATALOG)
    mnist = rows["mnist"]
    assert mnist["sha256"] == hashlib.sha256((tmp_path / "mnist.npz").read_bytes()).hexdigest()
    assert mnist["size"] == (tmp_path / "mnist.npz").stat().st_size
    assert mnist["canonical"] is False and mnist["provenance"] is None
    assert rows["cifar10"]["path"] is None


@pytest.mark.skipif(not SHARED_DATASETS.is_dir(), reason="no shared datasets folder next to the repository")
def test_reference_datasets_are_recognised_as_canonical() -> None:
    store = DatasetStore.resolve(SHARED_DATASETS, environ={})
    present = store.available()
    assert present, f"{SHARED_DATASETS} holds no dataset the catalog knows"
    for row in store.describe():
        if row["name"] in present:
            assert row["canonical"], f"{row['path']} does not match a known sha256"
    if "mnist" in present:
        (x_train, y_train), (x_test, y_test) = store.load_data("mnist")
        assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    if "usa_housing" in present:
        assert store.load_csv("usa_housing").shape == (5000, 7)


# --- synthetic stores ---------------------------------------------------------------------------


def test_synthetic_store_is_written_once_and_deterministic(tmp_path: Path) -> None:
    store = DatasetStore.synthetic(tmp_path / "a", names=("mnist", "usa_housing"))
    assert store.origin == "synthetic" and store.available() == ["mnist", "usa_housing"]
    before = {p.name: p.stat().st_mtime_ns for p in store.root.iterdir()}
    again = DatasetStore.synthetic(tmp_path / "a", names=("mnist", "usa_housing"))
    assert {p.name: p.stat().st_mtime_ns for p in again.root.iterdir()} == before
    other = DatasetStore.synthetic(tmp_path / "b", names=("mnist",))
    assert (other.root / "mnist.npz").read_bytes() == (store.root / "mnist.npz").read_bytes()
    assert store.load_npz("mnist")["x_train"].shape == (6000, 28, 28)
    assert len(store.load_csv("usa_housing")) == 1000


def test_synthetic_store_repairs_its_own_files(tmp_path: Path) -> None:
    store = DatasetStore.synthetic(tmp_path, names=("usa_housing",))
    good = (tmp_path / "usa_housing.csv").read_bytes()
    (tmp_path / "usa_housing.csv").write_text("garbage")
    DatasetStore.synthetic(tmp_path, names=("usa_housing",))
    assert (tmp_path / "usa_housing.csv").read_bytes() == good
    assert (tmp_path / MANIFEST).is_file() and store.load_csv("usa_housing").shape == (1000, 7)


def test_synthetic_store_never_overwrites_real_data(tmp_path: Path) -> None:
    (tmp_path / "usa_housing.csv").write_text("real,data\n1,2\n")
    with pytest.raises(DatasetError, match="refusing to overwrite"):
        DatasetStore.synthetic(tmp_path, names=("usa_housing",))
    assert (tmp_path / "usa_housing.csv").read_text() == "real,data\n1,2\n"


def test_synthetic_store_rejects_unknown_size(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="size must be one of"):
        DatasetStore.synthetic(tmp_path, size="huge")


# --- fetching (never touches the network here) -----------------------------------------------


class _FakeLoader:
    def __init__(self, result: object) -> None:
        self.result = result

    def load_data(self) -> object:
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_fetch_writes_keras_layout_npz(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a = _digits_arrays()
    loader = _FakeLoader(((a["x_train"], a["y_train"]), (a["x_test"], a["y_test"])))
    monkeypatch.setattr(fetch_module, "_keras_loader", lambda name: loader)
    path = fetch("mnist", tmp_path / "store")
    assert path == tmp_path / "store" / "mnist.npz"
    assert str(path) in capsys.readouterr().out
    np.testing.assert_array_equal(DatasetStore(tmp_path / "store").load_npz("mnist")["x_test"], a["x_test"])


def test_fetch_offline_is_a_clear_dataset_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loader = _FakeLoader(Exception("URL fetch failure on https://storage.googleapis.com/: None"))
    monkeypatch.setattr(fetch_module, "_keras_loader", lambda name: loader)
    with pytest.raises(DatasetError, match="offline"):
        fetch("fashion-mnist", tmp_path)
    assert not any(tmp_path.iterdir())


def test_fetch_csv_dataset_explains_there_is_no_loader(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no Keras loader"):
        fetch("usa_housing", tmp_path)


def test_package_import_stays_light() -> None:
    code = (
        "import sys, grader.datasets, grader.datasets.synthetic; "
        "heavy = [m for m in ('tensorflow', 'keras', 'matplotlib', 'pandas') if m in sys.modules]; "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
