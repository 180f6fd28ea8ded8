"""A stand-in `google.colab` package, importable only where the real one is absent.

`drive.mount` is a noted no-op (Drive paths are then resolved by file name, see paths.py),
`files.upload()` returns no files with a note that uploads are impossible, `files.download()`
is a noted no-op. The finder sits last on sys.meta_path, so a real google.colab always wins.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from typing import Any

from grader_probe import notes

_PACKAGE = "google.colab"
_SUBMODULES = ("drive", "files", "output", "patches", "userdata")


class _Drive:
    @staticmethod
    def mount(mountpoint: str = "/content/drive", force_remount: bool = False, timeout_ms: int = 120000,
              readonly: bool = False) -> None:
        notes.note("provided", "colab", f"drive.mount({mountpoint!r}) does nothing in the grader: files under "
                   f"{mountpoint} are looked up by name in the submission's folder and the grader's data", echo=False)
        print(f"Mounted at {mountpoint}")

    @staticmethod
    def flush_and_unmount(timeout_ms: int = 24 * 60 * 60 * 1000) -> None:
        return None


class _Files:
    @staticmethod
    def upload(*args: Any, **kwargs: Any) -> dict[str, bytes]:
        notes.note("failed", "colab", "files.upload() returned no files: uploads are not possible in the grader; "
                   "submit the files next to the notebook instead")
        return {}

    @staticmethod
    def download(filename: str) -> None:
        notes.note("skipped", "colab", f"files.download({filename!r}) ignored: nothing can be downloaded from the grader")

    @staticmethod
    def view(filename: str) -> None:
        return None


class _Output:
    @staticmethod
    def enable_custom_widget_manager() -> None:
        return None

    @staticmethod
    def disable_custom_widget_manager() -> None:
        return None

    @staticmethod
    def clear(*args: Any, **kwargs: Any) -> None:
        return None

    @staticmethod
    def eval_js(*args: Any, **kwargs: Any) -> None:
        return None


class _Patches:
    @staticmethod
    def cv2_imshow(image: Any) -> None:
        try:
            import matplotlib.pyplot as plt

            plt.figure()
            plt.imshow(image[..., ::-1] if getattr(image, "ndim", 2) == 3 else image, cmap="gray")
            plt.axis("off")
        except Exception:
            notes.note("skipped", "colab", "cv2_imshow could not draw the image", echo=False)


class _Userdata:
    class SecretNotFoundError(KeyError):
        pass

    @classmethod
    def get(cls, key: str) -> str:
        notes.note("failed", "colab", f"userdata.get({key!r}): Colab secrets do not exist in the grader")
        raise cls.SecretNotFoundError(key)


_SOURCES = {"drive": _Drive, "files": _Files, "output": _Output, "patches": _Patches, "userdata": _Userdata}


def _fill(module: types.ModuleType, source: type) -> None:
    for name, value in vars(source).items():
        if not name.startswith("_"):
            setattr(module, name, getattr(source, name))


class _Loader(importlib.abc.Loader):
    def create_module(self, spec):  # type: ignore[override]
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        name = module.__name__
        module.__dict__["_grader_stub"] = True
        if name == "google":
            module.__path__ = []  # type: ignore[attr-defined]
            return
        if name == _PACKAGE:
            module.__path__ = []  # type: ignore[attr-defined]
            notes.note("provided", "colab", "import google.colab: the grader provides a stand-in (drive.mount and "
                       "files.upload do nothing)", echo=False)
            for sub in _SUBMODULES:
                child = importlib.import_module(f"{_PACKAGE}.{sub}")
                setattr(module, sub, child)
            return
        source = _SOURCES.get(name.rsplit(".", 1)[-1])
        if source is not None:
            _fill(module, source)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # type: ignore[override]
        names = {"google", _PACKAGE} | {f"{_PACKAGE}.{s}" for s in _SUBMODULES}
        if fullname not in names:
            return None
        package = fullname in ("google", _PACKAGE)
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=package)


_finder = _Finder()


def register() -> None:
    # Last, so the real google.colab (or protobuf's google namespace) is found first when present.
    if _finder not in sys.meta_path:
        sys.meta_path.append(_finder)
