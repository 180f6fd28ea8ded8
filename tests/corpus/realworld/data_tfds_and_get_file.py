# MNIST through tensorflow_datasets, checked against the idx labels from Yann LeCun's site
# (a laptop script: `pip install tensorflow-datasets` was run there, once).
import gzip

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

(train, test), info = tfds.load("mnist", split=["train", "test"], as_supervised=True, with_info=True)
print("classes:", info.features["label"].num_classes, "train examples:", info.splits["train"].num_examples)

path = tf.keras.utils.get_file("t10k-labels-idx1-ubyte.gz",
                               "http://yann.lecun.com/exdb/mnist/t10k-labels-idx1-ubyte.gz")
with gzip.open(path, "rb") as fh:
    idx_labels = np.frombuffer(fh.read(), np.uint8, offset=8)
tfds_labels = np.concatenate([y.numpy() for _, y in test.batch(1000)])
print("idx labels match tfds:", bool(np.array_equal(idx_labels, tfds_labels)), len(idx_labels))


def scale(image, label):
    return tf.cast(image, tf.float32) / 255.0, label


model = tf.keras.Sequential([tf.keras.layers.Input((28, 28, 1)), tf.keras.layers.Flatten(),
                             tf.keras.layers.Dense(32, activation="relu"), tf.keras.layers.Dense(10)])
model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
model.fit(train.map(scale).batch(128), epochs=1, verbose=2)
print("test:", model.evaluate(test.map(scale).batch(256), verbose=0))

try:
    tfds.load("cifar100", split="train")
except Exception as exc:
    print("cifar100:", type(exc).__name__)
