"""lec2_hw3: a CNN trained on handwritten digits, scored on its test accuracy.

Everything but the metadata is ``grader.training.TrainingChecker``: a pre-check in seconds, the
training run on a GPU worker (or a CPU-only one) under the budget, the prediction run, and the
score from the test accuracy computed outside the sandbox. MNIST when the instructor configures
``TRAINING_DATA_DIR``; scikit-learn's bundled digits otherwise (demo, tests, CI).
"""

from __future__ import annotations

from grader.training import AccuracyScale, TrainingChecker


class DigitsCnnChecker(TrainingChecker):
    slug = "lec2_hw3"
    title = "Lecture 2-2 HW3: train a CNN on handwritten digits"
    description = (
        "Define build_model() and train(model, train_loader, device, budget) as the starter lec2_hw3.py "
        "explains, then upload it as <account>_lec2_hw3.py (or a notebook). It trains on a GPU worker; "
        "full marks from 99% test accuracy on MNIST. While it waits and trains, its result page shows its "
        "place in the queue and its live training curve."
    )
    starter_files = ("lec2_hw3.py",)
    points = 10.0
    weight_percent = 25
    budget_seconds = 300.0
    cpu_budget_seconds = 60.0
    parameter_cap = 500_000
    scales = {
        "mnist": AccuracyScale(full=0.99, floor=0.90),
        "digits": AccuracyScale(full=0.96, floor=0.80),
    }
