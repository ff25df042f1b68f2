"""lec2_hw3's training and prediction runs in the real sandbox, with a budget of seconds: a run that
never stops is cut at its budget and scored; a crash shows its traceback; code that looks for the
test labels, writes outside scratch or opens the network fails with a clear message and changes
nothing."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assignments.lec2_hw3.checker import DigitsCnnChecker
from grader import grade_file
from grader.datasets import bundled_digits, write_idx

pytestmark = pytest.mark.slow

BEHAVIOUR = Path(__file__).with_name("behaviour")
REPOSITORY = Path(__file__).resolve().parents[3]


class QuickTraining(DigitsCnnChecker):
    """The real checker with a budget of seconds (not registered: the tests call it directly).

    Roomy enough for an epoch of a linear model on a loaded 2-core machine; the run that never stops
    gets ``ShortBudget``'s."""

    cpu_budget_seconds = 40.0
    setup_seconds = 60.0
    prediction_seconds = 60.0


class ShortBudget(QuickTraining):
    cpu_budget_seconds = 6.0


def grade(sandbox, name: str, points: list | None = None, checker: DigitsCnnChecker | None = None, **fill: object):
    text = (BEHAVIOUR / name).read_text(encoding="utf-8")
    for key, value in fill.items():
        text = text.replace("{" + key + "}", str(value))
    return grade_file(checker or QuickTraining(), filename="310510123_lec2_hw3.py", data=text.encode(),
                      sandbox=sandbox, on_progress=None if points is None else points.append)


@pytest.fixture
def mnist_folder(tmp_path, settings) -> Path:
    """An instructor's data folder: MNIST-named IDX files (the bundled digits), labels included."""
    digits = bundled_digits()
    for name, array in (("train-images-idx3-ubyte.gz", digits.train_images),
                        ("train-labels-idx1-ubyte.gz", digits.train_labels),
                        ("t10k-images-idx3-ubyte.gz", digits.test_images),
                        ("t10k-labels-idx1-ubyte", digits.test_labels)):
        write_idx(tmp_path / name, array)
    settings.TRAINING_DATA_DIR = str(tmp_path)
    return tmp_path


def test_training_that_never_stops_is_cut_at_its_budget_and_scored(sandbox):
    points: list = []
    result = grade(sandbox, "never_stops.py", points, checker=ShortBudget())
    summary = result.training
    assert result.status == "graded" and summary.stopped == "budget"
    assert 6.0 <= summary.training_seconds < 6.0 + 5
    assert result.message.startswith("Training was stopped at the end of its 6 s budget. Scored the weights at the "
                                     "end of training"), result.message
    assert summary.accuracy is not None and summary.epochs >= 1 and len(points) == summary.epochs
    assert result.checks[0].name == "accuracy" and result.score == result.checks[0].points


def test_a_crash_in_the_second_epoch_shows_its_traceback_and_scores_the_first_epochs_weights(sandbox):
    result = grade(sandbox, "crashes_in_epoch_2.py")
    assert result.training.stopped == "crashed" and result.training.epochs == 1
    assert "RuntimeError: learning rate schedule went wrong in epoch 2" in result.message
    assert "Scored the weights saved after epoch 1" in result.message
    assert 'submission.py", line 15, in train' in result.output and "--- traceback ---" in result.output
    assert "<harness>" not in result.output and result.training.accuracy is not None


def test_looking_for_the_test_labels_finds_none_and_fails_cleanly(sandbox, mnist_folder):
    labels = mnist_folder / "t10k-labels-idx1-ubyte"
    before = labels.read_bytes()
    result = grade(sandbox, "reads_for_labels.py", host_data_folder=mnist_folder)
    assert result.status == "graded" and result.score == 0
    assert result.training.dataset == "mnist" and result.training.stopped == "crashed"
    assert "FileNotFoundError: no test labels" in result.message
    assert "load_digits: FileNotFoundError" in result.output  # scikit-learn's copy is hidden too
    assert "FOUND LABELS" not in result.output
    assert "No weights were saved before that, so there is nothing to score: 0 points." in result.message
    assert labels.read_bytes() == before


def test_writing_outside_scratch_fails_cleanly_and_changes_nothing(sandbox, mnist_folder):
    result = grade(sandbox, "writes_outside_scratch.py", host_data_folder=mnist_folder, repository=REPOSITORY)
    assert result.status == "graded" and result.score == 0
    assert "PermissionError: could not write outside scratch" in result.message
    assert "written: []" in result.output and "Read-only file system" in result.output
    assert not list(mnist_folder.glob("HOSTILE*")) and not (REPOSITORY / "HOSTILE_WAS_HERE").exists()


def test_opening_the_network_fails_cleanly_and_reaches_nothing(sandbox):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        result = grade(sandbox, "opens_network.py", port=listener.getsockname()[1])
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert result.status == "graded" and result.score == 0
    assert "Training raised an error" in result.message
    assert any(error in result.message for error in ("ConnectionRefusedError", "Network is unreachable", "OSError"))
