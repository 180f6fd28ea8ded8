"""The three exercises at the end of the CNN notebook (the reference solution)."""
import os

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import tensorflow as tf

# 1. A CNN classifier for the original MNIST digits.
(X_train, y_train), (X_test, y_test) = tf.keras.datasets.mnist.load_data()
X_train = X_train.reshape(len(X_train), 28, 28, 1) / 255.0
X_test = X_test.reshape(len(X_test), 28, 28, 1) / 255.0

mnist_model = tf.keras.models.Sequential([
    tf.keras.layers.Conv2D(16, (3, 3), input_shape=(28, 28, 1), activation="relu"),
    tf.keras.layers.MaxPooling2D(2, 2),
    tf.keras.layers.Conv2D(32, (3, 3), activation="relu"),
    tf.keras.layers.MaxPooling2D(2, 2),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(10, activation="softmax"),
])
mnist_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
mnist_model.fit(X_train, y_train, epochs=3, batch_size=64, verbose=2)
loss, accuracy = mnist_model.evaluate(X_test, y_test, verbose=0)
print(f"MNIST test accuracy: {accuracy:.4f}, test loss: {loss:.4f}")

# 2. A regression network on the USA Housing prices, judged on held-out rows.
housing = pd.read_csv("USA_Housing.csv")
features = ["Avg. Area Income", "Avg. Area House Age", "Avg. Area Number of Rooms",
            "Avg. Area Number of Bedrooms", "Area Population"]
X = housing[features].to_numpy()
y = housing["Price"].to_numpy() / 1e6  # prices in millions keep the loss near 1

np.random.seed(42)
order = np.random.permutation(len(housing))
cut = int(0.8 * len(housing))
train_rows, test_rows = order[:cut], order[cut:]
mean, std = X[train_rows].mean(axis=0), X[train_rows].std(axis=0)
X_train_h = (X[train_rows] - mean) / std
X_test_h = (X[test_rows] - mean) / std
y_train_h, y_test_h = y[train_rows], y[test_rows]

regressor = tf.keras.models.Sequential([
    tf.keras.layers.Dense(32, activation="relu", input_shape=(len(features),)),
    tf.keras.layers.Dense(16, activation="relu"),
    tf.keras.layers.Dense(1),
])
regressor.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01), loss="mse",
                  metrics=["mae", "mean_absolute_percentage_error"])
regressor.fit(X_train_h, y_train_h, epochs=60, batch_size=32, validation_split=0.1, verbose=0)
mse, mae, mape = regressor.evaluate(X_test_h, y_test_h, verbose=0)
print(f"Housing test MAE: ${mae * 1e6:,.0f}, MAPE: {mape:.2f}%, "
      f"relative error: {mae / y_test_h.mean():.4f}")

# 3. A CNN classifier for images of primitive 3D objects (one folder per class).
folder = "primitive_3d_objects"
classes = sorted(os.listdir(folder))
images, labels = [], []
for label, name in enumerate(classes):
    for file in sorted(os.listdir(os.path.join(folder, name))):
        images.append(mpimg.imread(os.path.join(folder, name, file))[:, :, :3])
        labels.append(label)
images, labels = np.array(images, dtype="float32"), np.array(labels)
shuffle = np.random.RandomState(0).permutation(len(images))
images, labels = images[shuffle], labels[shuffle]
split = int(0.8 * len(images))
X_train_s, X_test_s, y_train_s, y_test_s = images[:split], images[split:], labels[:split], labels[split:]
print("classes:", classes, "images:", images.shape)

shapes_model = tf.keras.models.Sequential([
    tf.keras.layers.Conv2D(16, (3, 3), input_shape=images.shape[1:], activation="relu"),
    tf.keras.layers.MaxPooling2D(2, 2),
    tf.keras.layers.Conv2D(32, (3, 3), activation="relu"),
    tf.keras.layers.MaxPooling2D(2, 2),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(len(classes), activation="softmax"),
])
shapes_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
shapes_model.fit(X_train_s, y_train_s, epochs=8, batch_size=32, validation_split=0.2, verbose=2)
loss, accuracy = shapes_model.evaluate(X_test_s, y_test_s, verbose=0)
print(f"Shapes test accuracy: {accuracy:.4f}")
