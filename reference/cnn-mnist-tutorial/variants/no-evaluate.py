"""The MNIST CNN tutorial, followed step by step (the reference solution)."""
import matplotlib.pyplot as plt
from tensorflow import keras
from tensorflow.keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from tensorflow.keras.models import Sequential

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
input_shape = (28, 28, 1)
x_train = x_train.reshape(len(x_train), 28, 28, 1).astype("float32") / 255
x_test = x_test.reshape(len(x_test), 28, 28, 1).astype("float32") / 255
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

epochs = 10
model = Sequential()
model.add(Conv2D(filters=32, kernel_size=(3, 3), activation="relu", input_shape=input_shape))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Conv2D(filters=64, kernel_size=(3, 3), activation="relu"))
model.add(Dropout(rate=0.3))
model.add(Conv2D(filters=32, kernel_size=(3, 3), activation="relu"))
model.add(Flatten())
model.add(Dense(32, activation="relu"))
model.add(Dense(10, activation="softmax"))
model.compile(loss="categorical_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
model.summary()
history = model.fit(x_train, y_train, batch_size=64, epochs=epochs, verbose=2,
                    validation_data=(x_test, y_test), shuffle=True)
score = [history.history["val_loss"][-1], history.history["val_accuracy"][-1]]
print("Test loss:", score[0])
print("Test accuracy:", score[1])

plt.plot(history.history["accuracy"], label="training")
plt.plot(history.history["val_accuracy"], label="validation")
plt.xlabel("epoch")
plt.ylabel("accuracy")
plt.legend()
plt.show()
