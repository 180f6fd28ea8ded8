"""Canonical names for what a rubric may ask about, and how evidence spellings map onto them.

Students and Keras spell the same thing many ways ('SGD', 'sgd', 'keras.optimizers.SGD';
'CategoricalCrossentropy', 'categorical_crossentropy'). Rubric files and evidence both go
through the same normalisers, so a comparison is always canonical-to-canonical, and a rubric
that names something unknown is refused with a suggestion instead of silently never matching.
"""

from __future__ import annotations

import difflib
import re

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _snake(text: str) -> str:
    """'CategoricalCrossentropy' -> 'categorical_crossentropy'; keeps existing underscores."""
    text = text.strip().rsplit(".", 1)[-1]
    return _CAMEL.sub("_", text).lower().replace("-", "_").replace(" ", "_")


def _squash(text: str) -> str:
    """Case, underscore and dash insensitive key: 'MaxPool2D', 'max_pool_2d' -> 'maxpool2d'."""
    return re.sub(r"[^a-z0-9]", "", text.strip().rsplit(".", 1)[-1].lower())


ACTIVATIONS = {
    "sigmoid", "relu", "tanh", "softmax", "linear", "elu", "selu", "gelu", "silu", "softplus",
    "softsign", "exponential", "hard_sigmoid", "hard_silu", "leaky_relu", "relu6", "mish",
    "log_softmax", "prelu",
}
_ACTIVATION_ALIASES = {"swish": "silu", "hard_swish": "hard_silu", "none": "linear", "leakyrelu": "leaky_relu"}

OPTIMIZERS = {
    "sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "lion",
    "adafactor", "lamb", "loss_scale_optimizer",
}

LOSSES = {
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "kl_divergence", "poisson", "hinge",
    "squared_hinge", "categorical_hinge", "cosine_similarity", "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
}
_LOSS_ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error", "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error", "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
    "huber_loss": "huber", "logcosh": "log_cosh", "categorical_cross_entropy": "categorical_crossentropy",
    "sparse_categorical_cross_entropy": "sparse_categorical_crossentropy", "binary_cross_entropy": "binary_crossentropy",
}

# Layer kinds keyed by their squashed class name; values are the canonical Keras class names.
_LAYER_CLASSES = [
    "Dense", "Conv1D", "Conv2D", "Conv3D", "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
    "DepthwiseConv2D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "MaxPooling1D",
    "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
    "Flatten", "Reshape", "InputLayer", "Normalization", "BatchNormalization", "LayerNormalization",
    "Rescaling", "Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "Embedding", "LSTM", "GRU",
    "SimpleRNN", "Bidirectional", "Concatenate", "Add", "RandomFlip", "RandomRotation", "RandomZoom",
    "RandomTranslation", "ZeroPadding2D", "Cropping2D", "UpSampling2D", "Permute", "RepeatVector",
    "TimeDistributed", "Lambda",
]
LAYER_KINDS = {_squash(c): c for c in _LAYER_CLASSES}
_LAYER_ALIASES = {"maxpool1d": "maxpooling1d", "maxpool2d": "maxpooling2d", "maxpool3d": "maxpooling3d",
                  "avgpool2d": "averagepooling2d", "averagepool2d": "averagepooling2d", "input": "inputlayer",
                  "globalmaxpool2d": "globalmaxpooling2d", "globalavgpool2d": "globalaveragepooling2d",
                  "globalaveragepool2d": "globalaveragepooling2d", "convolution2d": "conv2d"}

CONV_KINDS = {k for k in LAYER_KINDS if k.startswith(("conv", "separableconv", "depthwiseconv"))}
# Layers that act as an activation function on the layer before them.
ACTIVATION_LAYERS = {"activation": None, "relu": "relu", "leakyrelu": "leaky_relu", "prelu": "prelu",
                     "elu": "elu", "softmax": "softmax"}

CALLBACKS = {_squash(c): c for c in [
    "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "TensorBoard", "LearningRateScheduler",
    "CSVLogger", "TerminateOnNaN", "LambdaCallback", "BackupAndRestore", "RemoteMonitor", "History",
    "ProgbarLogger", "SwapEMAWeights",
]}

# Metric figures the verifier may produce; synonyms students' compile() calls use map onto them.
METRICS = {"accuracy", "loss", "mae", "mse", "rmse", "mape", "relative_error"}
_METRIC_ALIASES = {
    "acc": "accuracy", "categorical_accuracy": "accuracy", "sparse_categorical_accuracy": "accuracy",
    "binary_accuracy": "accuracy", "mean_absolute_error": "mae", "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse", "mean_absolute_percentage_error": "mape",
}


def activation(name: str | None) -> str:
    """Canonical activation name; a missing activation is Keras's default, 'linear'."""
    if not name:
        return "linear"
    key = _snake(str(name).split(" at 0x")[0].replace("<function ", ""))
    return _ACTIVATION_ALIASES.get(key, key)


def optimizer(name: str) -> str:
    key = _snake(name).replace("_", "")
    return "loss_scale_optimizer" if key == "lossscaleoptimizer" else key


def loss(name: str) -> str:
    key = _snake(name)
    return _LOSS_ALIASES.get(key, key)


def layer_kind(name: str) -> str:
    """Squashed layer kind ('maxpooling2d'); unknown classes keep their squashed name."""
    key = _squash(name)
    return _LAYER_ALIASES.get(key, key)


def layer_class(kind: str) -> str:
    """Display name of a squashed kind ('maxpooling2d' -> 'MaxPooling2D')."""
    return LAYER_KINDS.get(kind, kind)


def callback(name: str) -> str:
    return _squash(name)


def metric(name: str) -> str:
    key = _snake(name)
    return _METRIC_ALIASES.get(key, key)


def suggest(name: str, known: set[str] | list[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
