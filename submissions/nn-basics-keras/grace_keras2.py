"""Written for Keras 2 years ago: np_utils, SGD(lr=...), history['acc']."""
import matplotlib.pyplot as plt
from keras.datasets import mnist
from keras.layers import Dense
from keras.models import Sequential
from keras.optimizers import SGD
from keras.utils import np_utils

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(60000 if len(x_train) == 60000 else len(x_train), 784) / 255.0
x_test = x_test.reshape(len(x_test), 784) / 255.0
y_train = np_utils.to_categorical(y_train, 10)
y_test = np_utils.to_categorical(y_test, 10)

model = Sequential()
model.add(Dense(400, activation="sigmoid", input_shape=(784,)))
model.add(Dense(10, activation="softmax"))
model.compile(optimizer=SGD(lr=0.5), loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=10, batch_size=128, validation_split=0.1, verbose=2)
plt.plot(history.history["acc"], label="train")
plt.plot(history.history["val_acc"], label="validation")
plt.legend()
plt.show()
