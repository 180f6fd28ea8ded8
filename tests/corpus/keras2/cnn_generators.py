# A tf.keras (TensorFlow 2.0-2.5 era) convolutional network trained from a Python generator.
import numpy as np
from tensorflow import keras
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense
from tensorflow.keras.optimizers import Adam

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[:3000].reshape(-1, 28, 28, 1).astype("float32") / 255.0
x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255.0
y_train = keras.utils.np_utils.to_categorical(y_train[:3000], 10)
y_test = keras.utils.to_categorical(y_test, 10)


def batches(x, y, size=64):
    while True:
        for start in range(0, len(x) - size + 1, size):
            yield x[start:start + size], y[start:start + size]


model = Sequential([
    Conv2D(8, (3, 3), activation="relu", input_shape=(28, 28, 1), init="he_normal"),
    MaxPooling2D((2, 2)),
    Flatten(),
    Dense(10, activation="softmax"),
])
model.compile(Adam(lr=0.005, decay=1e-6), "categorical_crossentropy", ["accuracy"])
history = model.fit_generator(batches(x_train, y_train), steps_per_epoch=len(x_train) // 64, epochs=2,
                              validation_data=(x_test, y_test), workers=1, use_multiprocessing=False)
loss, acc = model.evaluate_generator(batches(x_test, y_test), steps=len(x_test) // 64)
print("test accuracy:", acc)
probabilities = model.predict_proba(x_test[:5])
predictions = model.predict_generator(batches(x_test, y_test), steps=2)
print(probabilities.shape, predictions.shape, history.history.keys())
print("test loss and accuracy:", model.evaluate(x_test, y_test, verbose=0))
