"""Data the sandbox serves by path, beside the ``keras.datasets`` archives: tables and image folders.

Exercises that read their data with ``pd.read_csv("USA_Housing.csv")`` or walk an image folder
get it here. Inside the sandbox each entry sits read-only in ``/sandbox/data/<name>`` and is also
linked into the working folder (``/sandbox/work/<name>``), so the relative paths students write
work as they do next to a notebook; a file of the same name that the submission brought along
wins over the link.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from grader.datasets._primitives import PRIMITIVE_CLASSES, write_primitives_folder
from grader.datasets.synthetic import SYNTHETIC_VERSION

HOUSING_FILE = "USA_Housing.csv"
HIDDEN_ENV = "GRADER_HIDDEN"
"""The sandbox variable that makes the probe serve only part of each test split ('fraction:seed')."""
HIDDEN_FRACTION = 0.5
HIDDEN_SEED = 20240611
HIDDEN_SPEC = f"{HIDDEN_FRACTION}:{HIDDEN_SEED}"
PRIMITIVES_FOLDER = "primitive_3d_objects"
# Folder names a store may keep the primitives under (the Kaggle download's slug among them).
PRIMITIVES_NAMES = (PRIMITIVES_FOLDER, "primitive-3d-objects", "images-of-primitive-3d-objects-for-classification")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")

# The generated stand-in: small enough that a CNN trains on it in seconds on one core, large
# enough that a working one separates the five solids clearly from chance.
SYNTHETIC_PRIMITIVES_PER_CLASS = 100
SYNTHETIC_PRIMITIVES_SIZE = 64
SYNTHETIC_PRIMITIVES_SEED = 0


def _is_image_folder(folder: Path) -> bool:
    """A folder of class folders holding images, at the top or one level down (``dataset/<class>/``)."""
    for candidate in (folder, *sorted(p for p in folder.iterdir() if p.is_dir())):
        classes = [p for p in candidate.iterdir() if p.is_dir()]
        if classes and all(any(f.suffix.lower() in IMAGE_SUFFIXES for f in c.iterdir()) for c in classes):
            return True
    return False


def find_primitives_folder(root: Path) -> Path | None:
    """The real primitives image folder of a store folder, or None."""
    for name in PRIMITIVES_NAMES:
        folder = root / name
        if folder.is_dir() and _is_image_folder(folder):
            return folder.resolve()
    return None


def synthetic_primitives_folder(cache: Path) -> Path:
    """The generated primitives folder (``<class>/NNNN.png``), written once per generator version."""
    target = cache / "primitives" / (f"v{SYNTHETIC_VERSION}-{SYNTHETIC_PRIMITIVES_PER_CLASS}x"
                                     f"{SYNTHETIC_PRIMITIVES_SIZE}-seed{SYNTHETIC_PRIMITIVES_SEED}")
    if all((target / c).is_dir() for c in PRIMITIVE_CLASSES):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed into place: concurrent graders never see half a folder.
    tmp = Path(tempfile.mkdtemp(prefix=".primitives-", dir=target.parent))
    try:
        write_primitives_folder(tmp, SYNTHETIC_PRIMITIVES_PER_CLASS, SYNTHETIC_PRIMITIVES_SIZE,
                                SYNTHETIC_PRIMITIVES_SEED)
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the sandbox's unprivileged user must read it
        try:
            tmp.rename(target)
        except OSError:
            if not target.is_dir():  # lost a race to another grader only if the target now exists
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def served_by_path(store: object, cache: Path) -> dict[str, Path]:
    """Sandbox name -> host file or folder, for the path-served data of ``store`` (a DatasetStore).

    The housing table comes from the store (synthetic stores hold a synthetic one). The primitives
    come from the store when it has a real folder, else from the deterministic generator: no
    public archive of them can be fetched at grading time.
    """
    out: dict[str, Path] = {}
    housing = store.find("usa_housing")  # type: ignore[attr-defined]
    if housing is not None:
        out[HOUSING_FILE] = housing
    root = Path(store.root)  # type: ignore[attr-defined]
    real = find_primitives_folder(root) if root.is_dir() else None
    out[PRIMITIVES_FOLDER] = real or synthetic_primitives_folder(cache)
    return out


def hidden_split(rubric: object) -> str | None:
    """'fraction:seed' of the test rows the run must not receive, when a metric of ``rubric`` says
    ``verify_on: hidden``; None when every test figure is measured on the whole split."""
    from grader.rubric.criteria import MetricCriterion

    criteria = rubric.criteria()  # type: ignore[attr-defined]
    if any(isinstance(c, MetricCriterion) and c.verify_on == "hidden" for c, _slot in criteria):
        return HIDDEN_SPEC
    return None
