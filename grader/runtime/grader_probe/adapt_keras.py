"""Keras 3 relocations of code that was right on the student's Keras: served where it was, noted.

Each idiom here was current, warning-free Keras 2 (2.4-2.15), and this Keras still has the same
thing under another name, so the student's model is exactly what they built; hence adaptation
(on by default), not compatibility (``--compat keras2``, opt-in, which forgives calls that were
already deprecated where the student ran them: ``lr=``, ``np_utils``, ``predict_classes``):

- ``keras.preprocessing.image.ImageDataGenerator`` (and its iterators and transforms): the class
  Keras 3 still ships, under ``tf.keras.preprocessing.image``.
- ``InputLayer`` / ``Input`` from ``keras.models``: ``keras.layers.InputLayer`` / ``keras.Input``.
- activation names given as layer classes (``'PReLU'``, ``'LeakyReLU'``, ``'ReLU'``, ``'ELU'``,
  ``'Softmax'``): Keras 2 built that layer with its defaults (LeakyReLU's slope 0.3, PReLU's
  trainable slopes, counted in the parameters); the same layer is built here.
- ``model.save(path)`` with no extension (Keras 2's SavedModel folder, which this Keras cannot
  write): saved as ``path.keras``, and ``load_model(path)`` reads that file back.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from grader_probe import importhook, notes
from grader_probe.adapt import note

_IMAGE_NAMES = ("ImageDataGenerator", "DirectoryIterator", "NumpyArrayIterator", "Iterator", "apply_affine_transform",
                "apply_brightness_shift", "apply_channel_shift", "random_brightness", "random_channel_shift",
                "random_rotation", "random_shear", "random_shift", "random_zoom")
# Keras 2 defaults, where Keras 3's layer default differs or is worth pinning.
_ACTIVATION_LAYERS: dict[str, dict[str, Any]] = {"PReLU": {}, "LeakyReLU": {"negative_slope": 0.3}, "ReLU": {},
                                                 "ELU": {"alpha": 1.0}, "Softmax": {}}
_SAVE_EXTENSIONS = (".keras", ".h5", ".hdf5")
_KERAS2_SAVE_ARGS = ("save_format", "include_optimizer", "signatures", "options", "save_traces")


def _legacy_image(name: str) -> Any:
    from keras.src.legacy.preprocessing import image

    return getattr(image, name)


def _layers(name: str) -> Any:
    import keras

    return keras.Input if name == "Input" else getattr(keras.layers, name)


def _serve(module: Any, names: tuple[str, ...], source: Callable[[str], Any], where: str) -> None:
    """Answer `module.<name>` for the relocated names, with a note when the student's code asks."""
    previous = module.__dict__.get("__getattr__")
    if getattr(previous, "_grader_adapt", False):
        return

    def __getattr__(name: str) -> Any:
        if name in names:
            value = source(name)
            if not sys._getframe(1).f_code.co_filename.startswith("<frozen importlib"):
                # (`from m import x` on a package asks twice: importlib's hasattr, then the import)
                note("provided", f"{module.__name__}.{name} is not in this Keras; {where}", [f"{module.__name__}.{name}"],
                     echo=False)
            return value
        if previous is not None:
            return previous(name)
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

    __getattr__._grader_adapt = True  # type: ignore[attr-defined]
    module.__getattr__ = __getattr__


def _on_image(module: Any) -> None:
    _serve(module, _IMAGE_NAMES, _legacy_image, "served the same class this Keras keeps under "
           "tf.keras.preprocessing.image (Keras 3 moved it, the student's code is right for Keras 2)")


def _on_models(module: Any) -> None:
    _serve(module, ("InputLayer", "Input"), _layers, "served keras.layers.InputLayer / keras.Input, the same layer "
           "(Keras 2's keras.models exported it)")


def _on_activations(module: Any) -> None:
    orig = getattr(module, "get", None)
    if orig is None or getattr(orig, "_grader_adapt", False):
        return

    def get(identifier: Any) -> Any:
        if isinstance(identifier, str) and identifier in _ACTIVATION_LAYERS:
            import keras

            kwargs = _ACTIVATION_LAYERS[identifier]
            args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
            note("provided", f"activation={identifier!r} built the layer keras.layers.{identifier}({args}), as Keras 2 "
                 "did for a layer-class name (Keras 3 only takes function names)", [identifier], echo=False)
            return getattr(keras.layers, identifier)(**kwargs)
        return orig(identifier)

    get._grader_adapt = True  # type: ignore[attr-defined]
    get.__name__, get.__doc__ = orig.__name__, orig.__doc__
    module.get = get


def _no_extension(filepath: Any) -> str | None:
    if not isinstance(filepath, (str, os.PathLike)):
        return None
    path = os.fspath(filepath)
    if not isinstance(path, str) or not path or path.lower().endswith(_SAVE_EXTENSIONS):
        return None
    return path


def _on_saving_api(module: Any) -> None:
    save_model, load_model = getattr(module, "save_model", None), getattr(module, "load_model", None)
    if save_model is not None and not getattr(save_model, "_grader_adapt", False):

        def save(model: Any, filepath: Any, *args: Any, **kwargs: Any) -> Any:
            path = _no_extension(filepath)
            if path is None or notes.student_line(2) is None:
                return save_model(model, filepath, *args, **kwargs)
            fmt = str(kwargs.get("save_format") or "").lower()
            target = path.rstrip("/\\") + (".h5" if fmt in ("h5", "hdf5") else ".keras")
            for name in _KERAS2_SAVE_ARGS:
                kwargs.pop(name, None)
            note("provided", f"model saved to {path!r} (Keras 2 wrote a SavedModel folder there, which this Keras "
                 f"cannot) was saved as {target!r}; load_model({path!r}) reads it back", [path], echo=False)
            return save_model(model, target, *args, **kwargs)

        save._grader_adapt = True  # type: ignore[attr-defined]
        module.save_model = save
    if load_model is not None and not getattr(load_model, "_grader_adapt", False):

        def load(filepath: Any, *args: Any, **kwargs: Any) -> Any:
            path = _no_extension(filepath)
            if path is not None and not os.path.exists(path):
                for ext in (".keras", ".h5"):
                    saved = path.rstrip("/\\") + ext
                    if os.path.isfile(saved):
                        note("provided", f"load_model({path!r}) read {saved!r}, where the grader saved that model",
                             [path], echo=False)
                        return load_model(saved, *args, **kwargs)
            return load_model(filepath, *args, **kwargs)

        load._grader_adapt = True  # type: ignore[attr-defined]
        module.load_model = load


def register() -> None:
    importhook.when_imported("keras.preprocessing.image", _on_image)
    importhook.when_imported("keras.models", _on_models)
    importhook.when_imported("keras._tf_keras.keras.models", _on_models)
    importhook.when_imported("tensorflow.keras.models", _on_models)  # `from tensorflow.keras.models import ...`
    importhook.when_imported("keras.src.activations", _on_activations)
    # After kerasprobe's loader wrapper (registered first), before keras.models binds the names.
    importhook.when_imported("keras.src.saving.saving_api", _on_saving_api)
