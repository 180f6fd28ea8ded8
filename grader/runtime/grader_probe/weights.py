"""Pretrained weights (``VGG16(weights="imagenet")`` and the like), served from the grader's weights store.

Keras applications fetch their weight files with ``get_file(<file name>, <url>, cache_subdir="models")``;
grader_probe.datafiles routes those calls here. The store (bound read-only, ``$GRADER_WEIGHTS`` inside
the sandbox) holds the files under Keras's own names. A file it lacks fails at once, with a note
naming the file and the command that adds it: the sandbox has no network, and a download left to
time out would explain nothing. Stdlib-only.
"""

from __future__ import annotations

import os
import re

from grader_probe import notes

ENV = "GRADER_WEIGHTS"
TOPIC = "adaptation"

# Keras's weight file names -> the application that downloads them (the name `grader weights fetch`
# takes). Kept in step with grader/weights/catalog.py by tests/unit/test_weights_store.py.
FILE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^vgg16_weights_", "VGG16"),
    (r"^vgg19_weights_", "VGG19"),
    (r"^resnet(50|101|152)_weights_", "ResNet\\1"),
    (r"^resnet(50|101|152)v2_weights_", "ResNet\\1V2"),
    (r"^inception_v3_weights_", "InceptionV3"),
    (r"^inception_resnet_v2_weights_", "InceptionResNetV2"),
    (r"^xception_weights_", "Xception"),
    (r"^mobilenet_v2_weights_", "MobileNetV2"),
    (r"^mobilenet_\d_\d+_\d+_tf", "MobileNet"),
    (r"^weights_mobilenet_v3_large", "MobileNetV3Large"),
    (r"^weights_mobilenet_v3_small", "MobileNetV3Small"),
    (r"^densenet(121|169|201)_weights_", "DenseNet\\1"),
    (r"^efficientnetb(\d)(_notop)?\.h5$", "EfficientNetB\\1"),
    (r"^efficientnetv2-(b\d|s|m|l)(_notop)?\.h5$", "EfficientNetV2\\1"),
    (r"^(?i:nasnet)[-_]mobile", "NASNetMobile"),
    (r"^(?i:nasnet)[-_]large", "NASNetLarge"),
    (r"^convnext_(tiny|small|base|large|xlarge)", "ConvNeXt\\1"),
    (r"^imagenet_class_index\.json$", "decode_predictions"),
)
_WEIGHT_URLS = ("keras-applications", "deep-learning-models", "keras_applications")


def application_of(filename: str) -> str | None:
    """The Keras application a weight file belongs to (``MobileNetV2``), or None."""
    for pattern, name in FILE_PATTERNS:
        match = re.match(pattern, filename)
        if match:
            text = match.expand(name)
            return re.sub(r"(EfficientNetV2|ConvNeXt)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)
    return None


def weights_dir() -> str | None:
    return os.environ.get(ENV) or None


def is_weights(origin: str, filename: str, cache_subdir: object) -> bool:
    """A get_file call for a Keras application's weights (or its ImageNet class index)."""
    return cache_subdir == "models" or any(u in origin for u in _WEIGHT_URLS) or application_of(filename) is not None


def fetch_hint(filename: str) -> str:
    app = application_of(filename)
    if app is None or app == "decode_predictions":
        return "grader weights fetch <application>"
    return f"grader weights fetch {app}"


def provide(filename: str, origin: str = "") -> str:
    """The store's copy of ``filename``; raises FileNotFoundError (with a note) when the store lacks it."""
    folder = weights_dir()
    path = os.path.join(folder, filename) if folder else None
    app = application_of(filename)
    weights = bool(app) and app != "decode_predictions"
    what, are = (f"{app}'s pretrained weights", "are") if weights else ("the file", "is")
    if path and os.path.isfile(path):
        notes.note("provided", TOPIC, f"{what} {filename} came from the grader's weights store, not a download "
                   "(the sandbox has no network)", [filename], per_line=True)
        return path
    notes.note("failed", TOPIC, f"{what} {filename} {are} not in the grader's weights store, and the sandbox has no "
               f"network to download them; the instructor adds them with `{fetch_hint(filename)}`",
               [filename], per_line=True)
    raise FileNotFoundError(f"[grader] {filename} is not in the grader's weights store and cannot be downloaded "
                            f"(no network); `{fetch_hint(filename)}` adds it")
