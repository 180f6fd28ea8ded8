# A Keras 2 era MNIST multilayer perceptron (after the keras/examples/mnist_mlp.py of its day).
import numpy as np
import matplotlib.pyplot as plt
from keras.datasets import mnist
from keras.models import Sequential
from keras.layers import Dense, Dropout
from keras.optimizers import SGD
from keras.utils import np_utils

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
y_train = np_utils.to_categorical(y_train, 10)
y_test = np_utils.to_categorical(y_test, 10)

model = Sequential()
model.add(Dense(64, activation="relu", input_shape=(784,)))
model.add(Dropout(0.1))
model.add(Dense(10, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.1, momentum=0.9), metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=128, nb_epoch=2, verbose=2, validation_split=0.1)

score = model.evaluate(x_test, y_test, verbose=0, workers=2)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

plt.plot(history.history["acc"], label="train")
plt.plot(history.history["val_acc"], label="validation")
plt.xlabel("epoch")
plt.ylabel("accuracy")
plt.legend()
plt.savefig("accuracy.png")

classes = model.predict_classes(x_test[:10])
print("predicted:", classes, "true:", np.argmax(y_test[:10], axis=1))
