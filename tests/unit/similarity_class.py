"""A generated class for the similarity tests: who copied whom is known because we wrote it.

- alice: an original solution, run (a training log stored in the notebook);
- bob: alice's code with every variable renamed and the cells reordered, run again (his own log);
- carol: alice's notebook handed in with alice's outputs kept (a comment changed);
- dave, erin: each followed the starter notebook closely and wrote their own model in the blank;
- frank, gina: independent solutions written from scratch, in different styles.
"""

from __future__ import annotations

import random
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

STARTER = [
    '''import numpy as np
import tensorflow as tf
from tensorflow import keras
import matplotlib.pyplot as plt''',
    '''# Load Fashion-MNIST and scale the pixels to [0, 1]
(train_images, train_labels), (test_images, test_labels) = keras.datasets.fashion_mnist.load_data()
train_images = train_images.reshape(-1, 28 * 28).astype("float32") / 255.0
test_images = test_images.reshape(-1, 28 * 28).astype("float32") / 255.0
class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
print("train:", train_images.shape, "test:", test_images.shape)''',
    '''def plot_history(history):
    """Plot the training and validation curves of a History object."""
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(history.history["loss"], label="train")
    ax_loss.plot(history.history["val_loss"], label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    ax_acc.plot(history.history["accuracy"], label="train")
    ax_acc.plot(history.history["val_accuracy"], label="validation")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    plt.show()''',
    '''def show_predictions(model, images, labels, count=10):
    """Show the first images with the predicted and the true class."""
    predictions = np.argmax(model.predict(images[:count]), axis=1)
    fig, axes = plt.subplots(1, count, figsize=(2 * count, 2))
    for ax, image, predicted, true in zip(axes, images[:count], predictions, labels[:count]):
        ax.imshow(image.reshape(28, 28), cmap="gray")
        ax.set_title(f"{class_names[predicted]}\\n({class_names[true]})", fontsize=8)
        ax.axis("off")
    plt.show()''',
    '''# TODO: build, compile and train your model here
''',
    '''test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
print(f"test accuracy: {test_acc:.4f}")
plot_history(history)
show_predictions(model, test_images, test_labels)''',
]

ALICE = [
    '''import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers''',
    '''(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape((60000, 784)).astype("float32") / 255
x_test = x_test.reshape((10000, 784)).astype("float32") / 255
x_val, y_val = x_train[-6000:], y_train[-6000:]
x_train, y_train = x_train[:-6000], y_train[:-6000]''',
    '''def build_network(hidden_units, dropout_rate):
    network = keras.Sequential(name="mlp")
    network.add(layers.Input(shape=(784,)))
    for width in hidden_units:
        network.add(layers.Dense(width, activation="relu"))
        network.add(layers.Dropout(dropout_rate))
    network.add(layers.Dense(10, activation="softmax"))
    network.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
                    loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return network''',
    '''network = build_network([300, 100], 0.2)
history = network.fit(x_train, y_train, epochs=5, batch_size=128,
                      validation_data=(x_val, y_val), verbose=2)''',
    '''scores = network.evaluate(x_test, y_test, verbose=0)
print("test loss %.4f, test accuracy %.4f" % (scores[0], scores[1]))
best_epoch = int(np.argmax(history.history["val_accuracy"])) + 1
print("best validation accuracy at epoch", best_epoch)''',
]

# Every identifier of alice's code renamed; the cells then shuffled (the imports stay first so it runs).
BOB_RENAMES = {"x_train": "train_x", "y_train": "train_y", "x_test": "test_x", "y_test": "test_y",
               "x_val": "valid_x", "y_val": "valid_y", "build_network": "make_model", "hidden_units": "sizes",
               "dropout_rate": "drop", "network": "net", "width": "n", "history": "hist", "scores": "results",
               "best_epoch": "top"}

DAVE_OWN = '''model = keras.Sequential([
    keras.layers.Input(shape=(784,)),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(train_images, train_labels, epochs=10, validation_split=0.1)'''

ERIN_OWN = '''inputs = keras.Input(shape=(784,))
hidden = keras.layers.Dense(512, activation="tanh", kernel_regularizer=keras.regularizers.l2(1e-4))(inputs)
hidden = keras.layers.BatchNormalization()(hidden)
hidden = keras.layers.Dropout(0.3)(hidden)
outputs = keras.layers.Dense(10)(hidden)
model = keras.Model(inputs, outputs)
schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.9)
model.compile(optimizer=keras.optimizers.SGD(schedule),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)
history = model.fit(train_images, train_labels, epochs=30, batch_size=256,
                    validation_data=(test_images[:2000], test_labels[:2000]), callbacks=[stop])'''

FRANK = [
    '''import tensorflow as tf
mnist = tf.keras.datasets.mnist
(xtr, ytr), (xte, yte) = mnist.load_data()
xtr, xte = xtr / 255.0, xte / 255.0''',
    '''clf = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(256, activation='relu'),
  tf.keras.layers.Dense(10, activation='softmax')
])
clf.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
clf.summary()''',
    '''log = clf.fit(xtr, ytr, epochs=8, batch_size=64, validation_split=0.15)
clf.evaluate(xte, yte)''',
    '''import matplotlib.pyplot as plt
plt.plot(log.history['accuracy'])
plt.plot(log.history['val_accuracy'])
plt.legend(['train', 'val'])
plt.title('Accuracy per epoch')
plt.show()''',
]

GINA = [
    '''import keras
from keras import layers, ops
import numpy as np

rng = np.random.default_rng(7)''',
    '''class Residual(layers.Layer):
    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(size, activation="gelu")
        self.outer = layers.Dense(size)

    def call(self, value):
        return ops.relu(value + self.outer(self.inner(value)))''',
    '''data = keras.datasets.mnist.load_data()
(images, digits), (held_images, held_digits) = data
images = (images.astype("float32") - 33.3) / 78.6
held_images = (held_images.astype("float32") - 33.3) / 78.6
order = rng.permutation(len(images))
images, digits = images[order].reshape(len(images), -1), digits[order]''',
    '''entry = keras.Input((784,))
stem = layers.Dense(192)(entry)
body = Residual(192)(Residual(192)(stem))
head = layers.Dense(10, activation="softmax")(body)
classifier = keras.Model(entry, head)
classifier.compile(keras.optimizers.RMSprop(3e-4), "sparse_categorical_crossentropy", ["accuracy"])
trace = classifier.fit(images, digits, batch_size=32, epochs=4, validation_split=0.2)
for key, values in trace.history.items():
    print(key, ["%.3f" % v for v in values])''',
]


def fit_log(seed: int, epochs: int = 5) -> str:
    """A Keras 3 verbose=2 training log with figures as a real (unseeded) training would print them."""
    rnd = random.Random(seed)
    loss, acc, val_loss, val_acc = 0.6 + rnd.random() * 0.1, 0.82 + rnd.random() * 0.02, 0.35, 0.9
    lines = []
    for e in range(1, epochs + 1):
        loss *= 0.7 + rnd.random() * 0.05
        acc += (1 - acc) * (0.3 + rnd.random() * 0.05)
        val_loss *= 0.8 + rnd.random() * 0.05
        val_acc += (1 - val_acc) * (0.2 + rnd.random() * 0.05)
        lines.append(f"Epoch {e}/{epochs}")
        lines.append(f"422/422 - 2s - 5ms/step - accuracy: {acc:.4f} - loss: {loss:.4f} - "
                     f"val_accuracy: {val_acc:.4f} - val_loss: {val_loss:.4f}")
    return "\n".join(lines) + "\n"


def notebook(cells: list[str], logs: dict[int, str] | None = None, title: str = "Exercise") -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells.append(new_markdown_cell(f"# {title}"))
    for i, src in enumerate(cells):
        cell = new_code_cell(src)
        if logs and i in logs:
            cell.outputs = [new_output("stream", name="stdout", text=logs[i])]
        nb.cells.append(cell)
    return nb


def _rename(src: str, renames: dict[str, str]) -> str:
    import re

    for old, new in sorted(renames.items(), key=lambda kv: -len(kv[0])):
        src = re.sub(rf"\b{re.escape(old)}\b", new, src)
    return src


def _starter_with(own: str) -> list[str]:
    return [own if c.startswith("# TODO") else c for c in STARTER]


def write_class(folder: Path) -> dict[str, Path]:
    """Write the class and the starter notebook; returns the starter's path under 'starter'."""
    folder.mkdir(parents=True, exist_ok=True)
    alice_log = fit_log(seed=1)
    bob_cells = [_rename(c, BOB_RENAMES) for c in ALICE]
    # Reordered so that it would still run: the function first (it looks names up when called), the data after.
    bob_cells = [bob_cells[2], bob_cells[0], bob_cells[1], bob_cells[3], bob_cells[4]]
    carol_cells = [ALICE[0], ALICE[1].replace("x_val, y_val =", "x_val, y_val =  "), *ALICE[2:]]
    notebooks = {
        "alice": notebook(ALICE, {3: alice_log}),
        "bob": notebook(bob_cells, {3: fit_log(seed=2)}, title="My solution"),
        "carol": notebook(carol_cells, {3: alice_log}, title="Homework 3"),
        "dave": notebook(_starter_with(DAVE_OWN), {4: fit_log(seed=4, epochs=10)}),
        "erin": notebook(_starter_with(ERIN_OWN), {4: fit_log(seed=5, epochs=8)}),
        "frank": notebook(FRANK, {2: fit_log(seed=6, epochs=8)}),
        "gina": notebook(GINA, {3: fit_log(seed=7, epochs=4)}),
    }
    paths = {}
    for name, nb in notebooks.items():
        paths[name] = folder / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    starter = folder.parent / "starter.ipynb"
    nbformat.write(notebook(STARTER), starter)
    paths["starter"] = starter
    return paths
