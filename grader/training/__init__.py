"""Training homework: student code trains a digit classifier in the sandbox, on the CPU or a GPU.

``TrainingChecker`` (subclass it in ``assignments/<slug>/checker.py``) runs the pre-check, the
training run and the prediction run and scores the test accuracy; ``harness.py`` is what runs in
the sandbox; ``reports`` validates what comes back; ``devices`` pins runs to GPUs. The data sets
are in ``grader.datasets``. See docs/adding-an-assignment.md ("Training homework").
"""

from grader.training.checker import AccuracyScale, TrainingChecker
from grader.training.devices import TrainingDevice, training_device

__all__ = ["AccuracyScale", "TrainingChecker", "TrainingDevice", "training_device"]
