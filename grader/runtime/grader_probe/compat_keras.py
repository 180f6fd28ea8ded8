"""The Keras 2 shims on Keras 3's own classes: optimizers, layers, History and Model.

Installed by grader_probe.compat (only in compatibility mode), after the probe's own hooks, so
each wrapper here sits outside kerasprobe's: the probe records the call as mapped. Every mapping
reports itself through ``compat.fired``. Stdlib-only at import, like the rest of the probe.
"""

from __future__ import annotations

from typing import Any

from grader_probe import importhook
from grader_probe.compat import _mimic, fired

_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl", "Lion",
               "Lamb", "Adafactor")
# Keras 2's Model.fit/evaluate/predict took these for its own data pipeline; Keras 3 moved them to
# PyDataset. They only tune loading speed, never what is computed.
_PIPELINE_ARGS = ("workers", "use_multiprocessing", "max_queue_size")


# -- optimizers: lr= -> learning_rate=, decay= noted, optimizer.lr attribute


def _wrap_optimizer(cls: type) -> None:
    if "__init__" not in cls.__dict__ or getattr(cls.__init__, "_grader_compat", False):
        return
    orig = cls.__init__

    def __init__(self, *args, **kwargs):
        if "lr" in kwargs:
            value = kwargs.pop("lr")
            if "learning_rate" not in kwargs and not args:
                kwargs["learning_rate"] = value
            fired("optimizer-lr", f"{cls.__name__}(lr={value!r}) read as learning_rate={value!r}")
        if "decay" in kwargs and kwargs["decay"]:
            # Keras 3 accepts decay= only to warn and ignore it: the schedule the student asked for does not run.
            fired("optimizer-decay", f"{cls.__name__}(decay={kwargs['decay']!r}) ignored: Keras 3 has no decay=")
        orig(self, *args, **kwargs)

    _mimic(__init__, orig)
    cls.__init__ = __init__


def _on_optimizers(module: Any) -> None:
    for name in _OPTIMIZERS:
        cls = getattr(module, name, None)
        if isinstance(cls, type):
            _wrap_optimizer(cls)


def _on_base_optimizer(module: Any) -> None:
    base = getattr(module, "BaseOptimizer", None)
    if base is None or "lr" in base.__dict__:
        return

    def _get(self):
        fired("optimizer-lr-attr", "optimizer.lr read as optimizer.learning_rate")
        return self.learning_rate

    def _set(self, value):
        fired("optimizer-lr-attr", "optimizer.lr set as optimizer.learning_rate")
        self.learning_rate = value

    base.lr = property(_get, _set)


# -- layers: init= -> kernel_initializer=


_INIT_ARG = {"Dense": "kernel_initializer", "Conv1D": "kernel_initializer", "Conv2D": "kernel_initializer",
             "Conv3D": "kernel_initializer", "Embedding": "embeddings_initializer"}


def _on_layers(module: Any) -> None:
    for name, target in _INIT_ARG.items():
        cls = getattr(module, name, None)
        if not isinstance(cls, type) or getattr(cls.__init__, "_grader_compat", False):
            continue
        orig = cls.__init__

        def __init__(self, *args, _orig=orig, _target=target, _name=name, **kwargs):
            if "init" in kwargs:
                value = kwargs.pop("init")
                kwargs.setdefault(_target, value)
                fired("layer-init", f"{_name}(init={value!r}) read as {_target}={value!r}")
            _orig(self, *args, **kwargs)

        _mimic(__init__, orig)
        cls.__init__ = __init__


# -- History: 'acc' / 'val_acc' answered from 'accuracy' / 'val_accuracy'


class KerasTwoHistory(dict):
    """History.history with Keras 2's short names readable; keys() still shows Keras 3's."""

    _ALIASES = {"acc": "accuracy", "val_acc": "val_accuracy"}

    def __missing__(self, key):
        alias = self._ALIASES.get(key) if isinstance(key, str) else None
        if alias is not None and dict.__contains__(self, alias):
            fired("history-acc", f"history[{key!r}] read as history[{alias!r}]")
            return dict.__getitem__(self, alias)
        raise KeyError(key)

    def get(self, key, default=None):
        alias = self._ALIASES.get(key) if isinstance(key, str) else None
        if not dict.__contains__(self, key) and alias is not None and dict.__contains__(self, alias):
            fired("history-acc", f"history.get({key!r}) read as history[{alias!r}]")
            return dict.__getitem__(self, alias)
        return dict.get(self, key, default)


def _on_history(module: Any) -> None:
    cls = module.History
    if getattr(cls.__init__, "_grader_compat", False):
        return
    orig = cls.__init__

    def __init__(self, *args, **kwargs):
        orig(self, *args, **kwargs)
        self.history = KerasTwoHistory(self.history)

    __init__._grader_compat = True  # type: ignore[attr-defined]
    cls.__init__ = __init__


# -- Model: positional compile, nb_epoch, *_generator, predict_classes/predict_proba


def _metric_like(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, (list, tuple)):
        return any(not isinstance(v, (int, float)) for v in value)
    return False


def _pipeline_args(kwargs: dict[str, Any], method: str) -> None:
    dropped = [k for k in _PIPELINE_ARGS if k in kwargs]
    for k in dropped:
        kwargs.pop(k)
    if dropped:
        fired("pipeline-args", f"{method}({', '.join(d + '=' for d in dropped)}) dropped: Keras 3 takes them on a "
              "PyDataset")


def patch_model(cls: type) -> None:
    """Keras 2 call forms on the model class. Installed over the probe's own wrappers, so the
    probe records the mapped call: a fit_generator shows up as a fit with its history."""
    if getattr(cls, "_grader_compat_patched", False):
        return
    orig_compile, orig_fit, orig_evaluate, orig_predict = cls.compile, cls.fit, cls.evaluate, cls.predict

    def compile(self, *args, **kwargs):
        if len(args) >= 3 and "metrics" not in kwargs and _metric_like(args[2]):
            args = list(args)
            kwargs["metrics"] = args[2]
            if len(args) >= 4 and "loss_weights" not in kwargs:
                kwargs["loss_weights"] = args[3]
                del args[3]
            del args[2]
            fired("compile-positional", "third positional argument of compile() read as metrics=")
        return orig_compile(self, *args, **kwargs)

    def fit(self, *args, **kwargs):
        if "nb_epoch" in kwargs:
            value = kwargs.pop("nb_epoch")
            if "epochs" not in kwargs and len(args) < 4:
                kwargs["epochs"] = value
            fired("nb-epoch", f"fit(nb_epoch={value!r}) read as epochs={value!r}")
        _pipeline_args(kwargs, "fit")
        return orig_fit(self, *args, **kwargs)

    def evaluate(self, *args, **kwargs):
        _pipeline_args(kwargs, "evaluate")
        return orig_evaluate(self, *args, **kwargs)

    def predict(self, *args, **kwargs):
        _pipeline_args(kwargs, "predict")
        return orig_predict(self, *args, **kwargs)

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0,
                      **kwargs):
        fired("fit-generator", "fit_generator(...) run as fit(...)")
        if "nb_epoch" in kwargs:
            epochs = kwargs.pop("nb_epoch")
            fired("nb-epoch", f"fit_generator(nb_epoch={epochs!r}) read as epochs={epochs!r}")
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, initial_epoch=initial_epoch,
                        **kwargs)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        fired("fit-generator", "evaluate_generator(...) run as evaluate(...)")
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        fired("fit-generator", "predict_generator(...) run as predict(...)")
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_classes(self, x, batch_size=32, verbose=0):
        # As Keras 2's Sequential did: argmax over classes, or a 0.5 threshold on one sigmoid unit.
        fired("predict-classes", "predict_classes(x) run as argmax(predict(x))")
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size=32, verbose=0):
        fired("predict-proba", "predict_proba(x) run as predict(x)")
        return self.predict(x, batch_size=batch_size, verbose=verbose)

    cls.compile, cls.fit, cls.evaluate, cls.predict = compile, fit, evaluate, predict
    for fn in (fit_generator, evaluate_generator, predict_generator, predict_classes, predict_proba):
        if not hasattr(cls, fn.__name__):
            setattr(cls, fn.__name__, fn)
    cls._grader_compat_patched = True


def _on_keras_model(module: Any) -> None:
    patch_model(module.Model)


def register() -> None:
    importhook.when_imported("keras.src.models.model", _on_keras_model)
    importhook.when_imported("keras.src.optimizers", _on_optimizers)
    importhook.when_imported("keras.src.optimizers.base_optimizer", _on_base_optimizer)
    importhook.when_imported("keras.src.callbacks.history", _on_history)
    importhook.when_imported("keras.src.layers", _on_layers)
