"""grader: automated grading of TensorFlow/Keras exercise submissions."""

__version__ = "0.1.0"
