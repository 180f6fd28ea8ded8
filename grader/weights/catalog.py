"""The Keras applications whose ImageNet weights the grader can serve, and the files they download.

File names are Keras's own (``keras.applications`` asks ``get_file`` for them by name), so a store is
a flat folder of those names. The probe keeps the same name patterns (grader_probe.weights, stdlib-only
and unable to import this package); tests/unit/test_weights_store.py keeps the two in step.
"""

from __future__ import annotations

import re

from grader.errors import ConfigError

# Keras's weight file names -> the application that downloads them.
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
# The file every ImageNet classifier's decode_predictions() reads; fetched with any application.
CLASS_INDEX = "imagenet_class_index.json"

APPLICATIONS: tuple[str, ...] = (
    "VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
    "InceptionV3", "InceptionResNetV2", "Xception", "MobileNet", "MobileNetV2", "MobileNetV3Small",
    "MobileNetV3Large", "DenseNet121", "DenseNet169", "DenseNet201",
    *(f"EfficientNetB{i}" for i in range(8)),
    "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2S",
    "EfficientNetV2M", "EfficientNetV2L", "NASNetMobile", "NASNetLarge",
    "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge",
)
# MobileNets take a width (alpha) and an input size that pick the file; the rest have one file each way.
SIZED = ("MobileNet", "MobileNetV2")


def _key(name: str) -> str:
    return re.sub(r"[-_ ]", "", name).lower()


def canonical_name(name: str) -> str:
    """``vgg16``, ``mobilenet_v2``, ``ResNet50`` -> the keras.applications name; ConfigError when unknown."""
    found = {_key(a): a for a in APPLICATIONS}.get(_key(name))
    if found is None:
        raise ConfigError(f"unknown Keras application {name!r}; known: {', '.join(APPLICATIONS)}")
    return found


def application_of(filename: str) -> str | None:
    """The application a weight file in the store belongs to (``decode_predictions`` for the class index)."""
    for pattern, name in FILE_PATTERNS:
        match = re.match(pattern, filename)
        if match:
            text = match.expand(name)
            return re.sub(r"(EfficientNetV2|ConvNeXt)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)
    return None


__all__ = ["APPLICATIONS", "CLASS_INDEX", "FILE_PATTERNS", "SIZED", "application_of", "canonical_name"]
