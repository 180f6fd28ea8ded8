"""A script exported from Colab ("Download .py"), run as a plain script."""
import os
import subprocess
import sys

subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "numpy", "pandas"])
status = os.system("pip install -q colab-only-helper-xyz")
print("missing package install status", status)
try:
    subprocess.run(["pip3", "install", "another-missing-pkg-xyz"], check=True)
except subprocess.CalledProcessError as exc:
    print("pip3 failed with", exc.returncode)

try:
    from google.colab import drive
    drive.mount("/content/drive")
    IN_COLAB = True
except ImportError:
    IN_COLAB = False
print("in colab", IN_COLAB)

import pandas as pd

df = pd.read_csv(r"C:\Users\ana\Downloads\USA_Housing.csv")
print("housing rows", len(df))
with open("/content/drive/MyDrive/ML/notes.txt") as fh:
    print("notes:", fh.read().strip())
# On Linux this is a relative name with backslashes in it: written as is, never remapped.
with open(r"C:\Users\ana\Downloads\predictions.csv", "w") as fh:
    fh.write("never remapped")
print("write stays local:", os.listdir(".").count(r"C:\Users\ana\Downloads\predictions.csv"))
import numpy as np

print("numbers sum", np.loadtxt("/home/ana/course/numbers.txt").sum())
