"""What a training run sends from the sandbox is student-controlled: validated, bounded, display only,
and weights are only ever passed on as bytes."""

from __future__ import annotations

import base64
import io
import json
import math

import pytest
import torch

from grader.results import (
    MAX_CURVE_POINTS,
    GradeResult,
    ResultFormatError,
    TrainingPoint,
    TrainingSummary,
    curve_thinned,
)
from grader.sandbox.boundary import ReportLines
from grader.training.reports import PredictionReport, RunReports, TrainingRunReport


def line(document: dict) -> bytes:
    return json.dumps(document).encode()


def torch_weights() -> bytes:
    buffer = io.BytesIO()
    torch.save({"weight": torch.zeros(3)}, buffer)
    return buffer.getvalue()


def test_progress_points_are_validated_stamped_with_the_workers_clock_and_passed_on():
    clock = iter([100.0, 103.5]).__next__
    passed_on = []
    reports = RunReports(max_weight_bytes=10_000, on_point=passed_on.append, clock=clock)
    reports.add(line({"kind": "progress", "epoch": 1, "val_loss": 0.5, "val_accuracy": 0.9, "seconds": 9999}))
    assert passed_on == [TrainingPoint(epoch=1, seconds=3.5, val_loss=0.5, val_accuracy=0.9)]
    assert reports.curve == tuple(passed_on)


@pytest.mark.parametrize("forged", [
    b"not json", b"[1, 2]", b"{\"kind\": \"score\", \"points\": 10}",
    line({"kind": "progress", "epoch": 1, "val_accuracy": 1.5}),
    line({"kind": "progress", "epoch": True, "val_accuracy": 0.5}),
    line({"kind": "progress", "epoch": 1, "val_loss": float("nan")}).replace(b"NaN", b"NaN"),
    line({"kind": "progress", "epoch": "<script>", "val_accuracy": 0.5}),
    b"[" * 100_000,
])
def test_lines_that_are_not_a_valid_report_are_refused_and_change_nothing(forged):
    passed_on = []
    reports = RunReports(max_weight_bytes=10_000, on_point=passed_on.append)
    reports.add(forged)
    assert (reports.refused, passed_on, reports.weights) == (1, [], None)


def test_weights_are_kept_as_bytes_when_they_are_a_torch_archive_within_the_size_limit():
    data = torch_weights()
    reports = RunReports(max_weight_bytes=len(data))
    reports.add(line({"kind": "weights", "epoch": 2, "final": False, "data": base64.b64encode(data).decode()}))
    assert (reports.weights.data, reports.weights.epoch, reports.weights.final) == (data, 2, False)
    reports.add(line({"kind": "weights", "epoch": 3, "final": True, "data": base64.b64encode(data + b"x").decode()}))
    reports.add(line({"kind": "weights", "epoch": 3, "final": True,
                      "data": base64.b64encode(b"\x80\x04pickle").decode()}))
    reports.add(line({"kind": "weights", "epoch": 3, "final": True, "data": "not base64!"}))
    assert reports.refused == 3 and reports.weights.epoch == 2  # the last good copy stays


def test_a_failing_progress_listener_does_not_stop_the_run():
    def broken(point):
        raise RuntimeError("database is locked")

    reports = RunReports(max_weight_bytes=10, on_point=broken)
    reports.add(line({"kind": "progress", "epoch": 1, "val_accuracy": 0.5}))
    assert len(reports.points) == 1 and reports.refused == 0


def test_a_long_curve_is_thinned_keeping_its_last_point():
    points = [TrainingPoint(epoch=epoch, seconds=epoch) for epoch in range(1, 1001)]
    thinned = curve_thinned(points)
    assert len(thinned) <= MAX_CURVE_POINTS and thinned[-1].epoch == 1000 and thinned[0].epoch == 1


def test_the_report_channel_delivers_whole_lines_and_drops_overlong_ones():
    lines: list[bytes] = []
    channel = ReportLines(lines.append, max_line_bytes=10, max_total_bytes=1000)
    for chunk in (b"one\ntw", b"o\n", b"x" * 30, b"y\nthree\nunfinished"):
        channel.add(chunk)
    assert lines == [b"one", b"two", b"three"] and channel.dropped_lines == 1


def test_the_report_channel_stops_delivering_past_its_total():
    lines: list[bytes] = []
    channel = ReportLines(lines.append, max_line_bytes=100, max_total_bytes=8)
    channel.add(b"a\nb\n")
    channel.add(b"c\nd\ne\n")
    assert lines == [b"a", b"b"]


def test_run_and_prediction_reports_are_validated():
    report = TrainingRunReport.from_sandbox({"outcome": "budget", "epochs": 3, "training_seconds": 4.5,
                                             "traceback": None, "parameters": 10})
    assert (report.outcome, report.epochs, report.parameters) == ("budget", 3, 10)
    for forged in ({"outcome": "full_marks"}, {"outcome": "finished", "epochs": -1}, "finished"):
        with pytest.raises(ResultFormatError):
            TrainingRunReport.from_sandbox(forged)
    assert PredictionReport.from_sandbox({"outcome": "predicted", "predictions": [1, 2]}, expected=2).predictions == (1, 2)
    for predictions in ([1], [1, 10], [1, True], [1, "2"]):
        with pytest.raises(ResultFormatError):
            PredictionReport.from_sandbox({"outcome": "predicted", "predictions": predictions}, expected=2)


def test_a_results_training_summary_goes_through_json_and_back():
    summary = TrainingSummary(
        dataset="digits", device="cpu", test_images=20, accuracy=0.95,
        confusion=tuple(tuple(2 if row == column else 0 for column in range(10)) for row in range(10)),
        epochs=4, training_seconds=3.2, total_seconds=9.0, stopped="finished",
        curve=(TrainingPoint(epoch=1, seconds=1.0, val_loss=0.3, val_accuracy=0.9),),
    )
    result = GradeResult.from_checks([], max_score=10, training=summary)
    again = GradeResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.training == summary
    assert again.training.per_class_accuracy == (1.0,) * 10
    assert "training" not in GradeResult.from_checks([], max_score=10).to_dict()  # other checkers' JSON is unchanged


def test_a_summary_with_a_forged_confusion_matrix_is_refused():
    with pytest.raises(ResultFormatError):
        TrainingSummary.from_dict({"confusion": [[1] * 10] * 9})
    with pytest.raises(ResultFormatError):
        TrainingSummary.from_dict({"confusion": [[-1] * 10] * 10})
    assert math.isclose(TrainingSummary.from_dict({"accuracy": 0.5}).accuracy, 0.5)
