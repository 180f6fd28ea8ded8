"""Data loaded another way than keras.datasets, the parts that need no TensorFlow: which CSV layout a
path asks for and what the made file holds (read back with pandas), which dataset file a download URL
is (idx files read back with the grader's own reader), the notes, get_file's answers and failures, the
tfds stand-in's split parsing, and ``GRADER_ADAPT=none``. Real runs: tests/integration/test_data_elsewhere.py."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from grader.datasets import formats
from grader.evidence.model import CellError
from grader.evidence.notes import fold_run_notes, link_notes

RUNTIME = Path(__file__).resolve().parents[2] / "grader" / "runtime"
sys.path.insert(0, str(RUNTIME))
from grader_probe import datafiles, events, notes, paths, tfds_standin, weights  # noqa: E402


def _arrays(n_train: int = 50, n_test: int = 20, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A sandbox's folders under tmp_path, serving mnist.npz (50 train / 20 test); `read()` gives the notes."""
    out, work, data, tmp = (tmp_path / n for n in ("out", "work", "data", "tmp"))
    for folder in (out, work, data, tmp):
        folder.mkdir()
    arrays = _arrays()
    formats.write_npz(data / "mnist.npz", arrays)
    monkeypatch.setenv("GRADER_OUT", str(out))
    monkeypatch.setenv("GRADER_WORK", str(work))
    monkeypatch.setenv("GRADER_DATA", str(data))
    monkeypatch.setenv("TMPDIR", str(tmp))
    for var in ("GRADER_ADAPT", "GRADER_QUICK", "GRADER_WEIGHTS", "GRADER_HIDDEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("tempfile.tempdir", None)  # TMPDIR is read again
    monkeypatch.setattr(events, "_fd", None)
    monkeypatch.setattr(notes, "_seen", set())
    monkeypatch.setattr(datafiles, "_made", {})
    monkeypatch.setattr(datafiles, "_rows", {})

    def read() -> list[dict]:
        log = out / "events.jsonl"
        lines = log.read_text().splitlines() if log.exists() else []
        return [e for e in map(json.loads, lines) if e["event"] == "run_note"]

    yield arrays, read, tmp_path
    if events._fd is not None:
        os.close(events._fd)


# --- which file a path asks for -------------------------------------------------------------------


@pytest.mark.parametrize("path, name, header", [
    ("../input/fashionmnist/fashion-mnist_train.csv", "fashion-mnist_train.csv", True),
    ("/kaggle/input/fashionmnist/fashion-mnist_test.csv", "fashion-mnist_test.csv", True),
    ("/content/drive/MyDrive/Colab Notebooks/mnist_train.csv", "mnist_train.csv", True),
    ("C:\\Users\\ana\\Downloads\\mnist_test.csv", "mnist_test.csv", True),
    ("/content/sample_data/mnist_test.csv", "mnist_test.csv", False),  # Colab's sample data has no header
    ("sample_data/mnist_train_small.csv", "mnist_train_small.csv", False),
    ("../input/digit-recognizer/train.csv", "train.csv", True),
    ("/kaggle/input/train.csv", "train.csv", True),
    ("C:\\Users\\ana\\Downloads\\digit-recognizer\\test.csv", "test.csv", True),
    ("test.csv", "test.csv", True),
])
def test_the_layout_a_path_asks_for(path: str, name: str, header: bool) -> None:
    layout = datafiles.csv_layout(path)
    assert layout is not None and (layout.name, layout.header) == (name, header)


@pytest.mark.parametrize("path", ["../input/titanic/train.csv", "/content/drive/MyDrive/housing/test.csv",
                                  "mnist_train.txt", "fashion-mnist_train.csv.zip", "mnist_train_small.csv", ""])
def test_paths_that_are_no_file_the_grader_makes(path: str) -> None:
    assert datafiles.csv_layout(path) is None


def test_header_lines_follow_each_source() -> None:
    by_name = {layout.name: layout for layout in datafiles.KAGGLE}
    fashion = by_name["fashion-mnist_train.csv"].header_line().strip().split(",")
    assert fashion[:3] == ["label", "pixel1", "pixel2"] and fashion[-1] == "pixel784" and len(fashion) == 785
    mnist = by_name["mnist_train.csv"].header_line().strip().split(",")
    assert mnist[:4] == ["label", "1x1", "1x2", "1x3"] and mnist[28:30] == ["1x28", "2x1"] and mnist[-1] == "28x28"
    digits = by_name["train.csv"].header_line().strip().split(",")
    assert digits[:2] == ["label", "pixel0"] and digits[-1] == "pixel783" and len(digits) == 785
    unlabelled = by_name["test.csv"].header_line().strip().split(",")
    assert unlabelled[0] == "pixel0" and len(unlabelled) == 784
    assert datafiles.COLAB_SAMPLE[0].header_line() == ""


# --- what the made file holds ---------------------------------------------------------------------


def test_csv_bytes_match_numpy_formatting_and_refuse_what_they_cannot_write() -> None:
    values = np.array([[0, 7, 255], [10, 100, 99], [1, 0, 0]], dtype=np.int64)
    text = io.StringIO()
    np.savetxt(text, values, fmt="%d", delimiter=",")
    assert datafiles.csv_bytes(values, chunk=2).decode() == text.getvalue()
    with pytest.raises(ValueError):
        datafiles.csv_bytes(np.array([[256]]))
    with pytest.raises(ValueError):
        datafiles.csv_bytes(np.array([1, 2]))


@pytest.mark.parametrize("name", ["fashion-mnist_train.csv", "mnist_test.csv"])
def test_kaggle_files_read_back_as_the_served_split(name: str) -> None:
    arrays = _arrays()
    layout = next(l for l in datafiles.KAGGLE if l.name == name)
    frame = pd.read_csv(io.BytesIO(datafiles.make_csv(layout, arrays)))
    split = "train" if "train" in name else "test"
    assert list(frame.columns) == layout.header_line().strip().split(",")
    assert (frame["label"].to_numpy() == arrays[f"y_{split}"]).all()
    assert (frame.drop(columns="label").to_numpy().reshape(-1, 28, 28) == arrays[f"x_{split}"]).all()


def test_the_digit_recognizer_splits_all_images_42_to_28() -> None:
    arrays = _arrays(n_train=60, n_test=10)
    by_name = {layout.name: layout for layout in datafiles.KAGGLE}
    train = pd.read_csv(io.BytesIO(datafiles.make_csv(by_name["train.csv"], arrays)))
    test = pd.read_csv(io.BytesIO(datafiles.make_csv(by_name["test.csv"], arrays)))
    assert (len(train), len(test)) == (42, 28)  # 70 images, as the competition's 70000: 42000 + 28000
    assert "label" not in test.columns
    every = np.concatenate([arrays["x_train"], arrays["x_test"]]).reshape(70, -1)
    assert (train.drop(columns="label").to_numpy() == every[:42]).all() and (test.to_numpy() == every[42:]).all()
    assert datafiles.part_rows(by_name["train.csv"], 60000, 10000) == ("all", 0, 42000)


def test_colab_sample_files_have_no_header_and_keep_their_row_counts() -> None:
    small = datafiles.COLAB_SAMPLE[0]
    assert datafiles.part_rows(small, 60000, 10000) == ("train", 0, 20000)
    frame = pd.read_csv(io.BytesIO(datafiles.make_csv(small, _arrays())), header=None)
    assert frame.shape == (50, 785)  # fewer served rows than 20000: all of them


# --- download URLs --------------------------------------------------------------------------------


@pytest.mark.parametrize("url, dataset, fmt, key", [
    ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz", "mnist", "npz", None),
    ("https://s3.amazonaws.com/img-datasets/mnist.npz", "mnist", "npz", None),
    ("http://yann.lecun.com/exdb/mnist/train-images-idx3-ubyte.gz", "mnist", "idx", "x_train"),
    ("https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz", "mnist", "idx", "y_test"),
    ("https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz", "mnist", "idx", "y_train"),
    ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/t10k-images-idx3-ubyte.gz", "fashion_mnist",
     "idx", "x_test"),
    ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz", "fashion_mnist",
     "idx", "y_train"),
])
def test_well_known_urls_name_a_served_file(url: str, dataset: str, fmt: str, key: str | None) -> None:
    assert datafiles.served_url(url) == datafiles.ServedUrl(dataset, fmt, key)


@pytest.mark.parametrize("url", ["https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                 "https://example.com/exdb/mnist/train-images-idx3-ubyte.gz",
                                 "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz", "", None])
def test_other_urls_are_not_served(url: str | None) -> None:
    assert datafiles.served_url(url) is None


def test_idx_files_read_back_with_the_graders_own_reader(tmp_path: Path) -> None:
    arrays = _arrays()
    for key in ("x_train", "y_test"):
        path = tmp_path / f"{key}.gz"
        path.write_bytes(datafiles.idx_bytes(arrays[key]))
        assert np.array_equal(formats.read_idx(path), arrays[key])


# --- serving inside the sandbox: files made once, notes, the off switch --------------------------


def test_a_missing_kaggle_csv_is_made_once_from_the_served_copy_and_noted(probe) -> None:
    arrays, read, tmp = probe
    path = "/content/drive/MyDrive/ML/mnist_train.csv"
    made = paths.remap(path)
    assert made != path and Path(made).parent == tmp / "tmp" / "grader-served"
    frame = pd.read_csv(made)
    assert (frame["label"].to_numpy() == arrays["y_train"]).all()
    assert paths.remap("../input/mnist_train.csv") == made  # made once per run
    got = read()
    assert [(n["kind"], n["topic"]) for n in got] == [("provided", "adaptation")] * 2
    assert got[0]["subjects"] == [path]
    assert "Kaggle's MNIST in CSV (label,1x1..28x28 with a header row, 50 rows)" in got[0]["detail"]


def test_quick_mode_makes_a_leading_fraction(probe, monkeypatch: pytest.MonkeyPatch) -> None:
    arrays, _, _ = probe
    monkeypatch.setenv("GRADER_QUICK", "0.2")
    frame = pd.read_csv(paths.remap("mnist_test.csv"))
    assert len(frame) == 4 and (frame["label"].to_numpy() == arrays["y_test"][:4]).all()


def test_test_rows_the_grader_keeps_hidden_stay_hidden_in_every_format(probe, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader_probe.datasets import hidden_split

    arrays, _, tmp = probe
    monkeypatch.setenv("GRADER_HIDDEN", "0.5:7")
    served, held = hidden_split(len(arrays["x_test"]), 0.5, 7)
    assert len(held) == 10
    frame = pd.read_csv(paths.remap("mnist_test.csv"))
    assert (frame["label"].to_numpy() == arrays["y_test"][served]).all()
    get_file = datafiles.wrap_get_file(lambda *a, **k: pytest.fail("tried to download"))
    npz = _student_get_file(tmp, get_file, "mnist.npz", "https://s3.amazonaws.com/img-datasets/mnist.npz")
    assert npz != str(tmp / "data" / "mnist.npz")
    with np.load(npz) as data:
        assert np.array_equal(data["x_test"], arrays["x_test"][served])
        assert np.array_equal(data["x_train"], arrays["x_train"])


def test_a_csv_of_a_dataset_the_exercise_is_not_given_fails_with_a_note(probe) -> None:
    _, read, _ = probe
    path = "../input/fashionmnist/fashion-mnist_train.csv"
    assert paths.remap(path) == path
    (note,) = read()
    assert note["kind"] == "failed" and "not given Fashion-MNIST" in note["detail"] and note["subjects"] == [path]


def test_adapt_none_serves_nothing(probe, monkeypatch: pytest.MonkeyPatch) -> None:
    _, read, _ = probe
    monkeypatch.setenv("GRADER_ADAPT", "none")
    assert paths.remap("../input/mnist_train.csv") == "../input/mnist_train.csv"
    calls: list[tuple] = []
    get_file = datafiles.wrap_get_file(lambda *a, **k: calls.append(a) or "downloaded")
    url = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
    assert get_file("mnist.npz", url) == "downloaded"
    assert calls and read() == []


def _student_get_file(tmp: Path, get_file: Any, *args: Any, **kwargs: Any) -> Any:
    """Call get_file from a frame of the student's file, as a notebook would."""
    namespace = {"get_file": get_file, "args": args, "kwargs": kwargs}
    exec(compile("result = get_file(*args, **kwargs)\n", str(tmp / "work" / "hw.py"), "exec"), namespace)
    return namespace["result"]


def test_get_file_serves_the_well_known_archives(probe) -> None:
    arrays, read, tmp = probe
    get_file = datafiles.wrap_get_file(lambda *a, **k: pytest.fail("tried to download"))
    npz = _student_get_file(tmp, get_file, "mnist.npz",
                            origin="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz")
    assert npz == str(tmp / "data" / "mnist.npz")
    idx = _student_get_file(tmp, get_file, "t10k-labels-idx1-ubyte.gz",
                            "http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz")
    assert np.array_equal(formats.read_idx(Path(idx)), arrays["y_test"])
    details = [n["detail"] for n in read()]
    assert len(details) == 2 and "returned the grader's MNIST idx file" in details[1]
    assert all(n["line"] == 1 for n in read())


def test_get_file_of_any_other_url_fails_at_once_named_and_explains_the_error(probe) -> None:
    _, read, tmp = probe
    get_file = datafiles.wrap_get_file(lambda *a, **k: pytest.fail("tried to download"))
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    with pytest.raises(OSError) as raised:
        _student_get_file(tmp, get_file, "cifar-10-python.tar.gz", url, untar=True)
    (note,) = read()
    assert note["kind"] == "failed" and url in note["detail"] and note["subjects"] == [url]
    linked = link_notes(fold_run_notes(read()), [CellError(cell_index=0, ename="OSError",
                                                           evalue=str(raised.value))], None)
    assert [n.caused_error for n in linked] == [True]


def test_get_file_of_a_dataset_the_exercise_is_not_given_says_so(probe) -> None:
    _, read, tmp = probe
    get_file = datafiles.wrap_get_file(lambda *a, **k: pytest.fail("tried to download"))
    url = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz"
    with pytest.raises(OSError, match="no network"):
        _student_get_file(tmp, get_file, "train-images-idx3-ubyte.gz", url)
    (note,) = read()
    assert note["kind"] == "failed" and "not given Fashion-MNIST" in note["detail"] and note["subjects"] == [url]


# --- pretrained weights through get_file ----------------------------------------------------------

MOBILENET = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"
MOBILENET_URL = f"https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/{MOBILENET}"


def test_missing_weights_fail_at_once_naming_the_file_and_the_fetch_command(probe) -> None:
    _, read, tmp = probe
    get_file = datafiles.wrap_get_file(lambda *a, **k: pytest.fail("tried to download"))
    with pytest.raises(FileNotFoundError) as raised:
        _student_get_file(tmp, get_file, MOBILENET, MOBILENET_URL, cache_subdir="models")
    assert "grader weights fetch MobileNetV2" in str(raised.value)
    (note,) = read()
    assert note["kind"] == "failed" and note["subjects"] == [MOBILENET]
    assert "`grader weights fetch MobileNetV2`" in note["detail"] and "no network" in note["detail"]
    linked = link_notes(fold_run_notes(read()), [CellError(cell_index=0, ename="FileNotFoundError",
                                                           evalue=str(raised.value))], None)
    assert linked[0].caused_error


def test_weights_in_the_store_are_served_under_kerass_file_name(probe, monkeypatch: pytest.MonkeyPatch) -> None:
    _, read, tmp = probe
    store = tmp / "weights"
    store.mkdir()
    (store / MOBILENET).write_bytes(b"\x89HDF\r\n\x1a\n")
    monkeypatch.setenv("GRADER_WEIGHTS", str(store))
    get_file = datafiles.wrap_get_file(lambda *a, **k: pytest.fail("tried to download"))
    assert _student_get_file(tmp, get_file, MOBILENET, MOBILENET_URL, cache_subdir="models") == str(store / MOBILENET)
    (note,) = read()
    assert note["kind"] == "provided" and "MobileNetV2's pretrained weights" in note["detail"]


def test_weight_file_names_name_their_application() -> None:
    assert weights.application_of("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5") == "VGG16"
    assert weights.application_of("resnet50_weights_tf_dim_ordering_tf_kernels.h5") == "ResNet50"
    assert weights.application_of("efficientnetv2-s_notop.h5") == "EfficientNetV2S"
    assert weights.application_of("mnist.npz") is None
    assert weights.fetch_hint("something.h5") == "grader weights fetch <application>"


# --- the tensorflow_datasets stand-in ---------------------------------------------------------------


def test_tfds_split_strings() -> None:
    sizes = {"train": 100, "test": 40}
    assert tfds_standin.split_rows("train", sizes) == [("train", 0, 100)]
    assert tfds_standin.split_rows("train[:80%]", sizes) == [("train", 0, 80)]
    assert tfds_standin.split_rows("train[80%:]", sizes) == [("train", 80, 100)]
    assert tfds_standin.split_rows("test[:10]+train[-5:]", sizes) == [("test", 0, 10), ("train", 95, 100)]
    with pytest.raises(ValueError):
        tfds_standin.split_rows("validation", sizes)


def test_tfds_load_of_another_dataset_fails_at_once_named(probe) -> None:
    _, read, _ = probe
    with pytest.raises(tfds_standin.DatasetNotFoundError):
        tfds_standin.load("cifar100", split="train")  # before TensorFlow is imported: a fast failure
    (note,) = read()
    assert note["kind"] == "failed" and "'cifar100'" in note["detail"] and note["subjects"] == ["cifar100"]
