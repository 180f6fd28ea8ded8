# Kaggle kernel, Fashion-MNIST dataset attached under ../input/fashionmnist/ (no TensorFlow needed to look).
import numpy as np
import pandas as pd

train = pd.read_csv("../input/fashionmnist/fashion-mnist_train.csv")
print("train", train.shape, list(train.columns[:3]), train.columns[-1])
print("label sum", int(train["label"].sum()), "pixel sum", int(train.iloc[:, 1:].to_numpy().sum()))

test = np.loadtxt("/kaggle/input/fashionmnist/fashion-mnist_test.csv", delimiter=",", skiprows=1, dtype=np.int64)
print("test", test.shape, "label sum", int(test[:, 0].sum()))

try:
    pd.read_csv("../input/digit-recognizer/train.csv")
except FileNotFoundError:
    print("no digits here")
