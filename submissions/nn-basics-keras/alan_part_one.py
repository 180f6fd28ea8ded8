"""Part one only: the two single-hidden-layer networks, with their curves and answers."""
import time

import matplotlib.pyplot as plt
import tensorflow as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255.0
x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255.0
y_train = tf.keras.utils.to_categorical(y_train, 10)
y_test = tf.keras.utils.to_categorical(y_test, 10)

for name, units in (("big", 400), ("small", 40)):
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(784,)),
        tf.keras.layers.Dense(units, activation="sigmoid"),
        tf.keras.layers.Dense(10, activation="softmax"),
    ], name=name)
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.5),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    weights = 784 * units + units * 10
    biases = units + 10
    print(f"{name}: {model.count_params()} trainable parameters: {weights} weights and {biases} biases")
    start = time.time()
    history = model.fit(x_train, y_train, epochs=10, batch_size=128, validation_split=0.1, verbose=0)
    per_epoch = (time.time() - start) / 10
    _, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"{name}: validation accuracy {history.history['val_accuracy'][-1]:.4f}, "
          f"training accuracy {history.history['accuracy'][-1]:.4f}, test accuracy {test_accuracy:.4f}, "
          f"{per_epoch:.2f} seconds per epoch")
    plt.figure()
    plt.plot(history.history["accuracy"], label="training accuracy")
    plt.plot(history.history["val_accuracy"], label="validation accuracy")
    plt.xlabel("epoch")
    plt.ylabel("accuracy")
    plt.title(f"{name} network")
    plt.legend()
    plt.savefig(f"{name}.png")
