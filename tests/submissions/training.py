"""The GPU line in unit tests: a tests-only training checker, and a fake GPU pool standing in for
the sandbox and the broker (the real ones are in tests/integration and assignments/lec2_hw3/tests).

Register the checker with ``checkers_registered(settings, TRAINING_CHECKER_MODULE)`` and use the
``gpu`` fixture (import it into the area's conftest): it uploads through the services, passes or
fails pre-checks, records what is sent to the ``gpu`` queue and runs jobs as a worker would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from courseportal.submissions.models import Submission, TrainingJob
from courseportal.submissions.services import submission_create, submission_grade
from courseportal.submissions.services.training import training_job_run
from grader.checker import Precheck
from grader.results import CheckOutcome, GradeResult, TrainingPoint, TrainingSummary
from grader.training import TrainingChecker

TRAINING_CHECKER_MODULE = "tests.submissions.training"


class UnitTrainingChecker(TrainingChecker):
    slug = "unit_training"
    title = "Unit-test training"
    points = 10.0
    budget_seconds = 100.0
    cpu_budget_seconds = 100.0


def passed_precheck() -> Precheck:
    check = CheckOutcome("precheck", True, 0.0, 0.0, "Pre-check passed: 1,234 parameters.")
    return Precheck(passed=True, result=GradeResult.from_checks([check], max_score=10, message=check.feedback))


def failed_precheck() -> Precheck:
    check = CheckOutcome("precheck", False, 0.0, 0.0, "train() failed on one small batch of digits.")
    return Precheck(passed=False, result=GradeResult.from_checks(
        [check], max_score=10, message="Pre-check failed: train() failed on one small batch of digits.\n"
                                       "ZeroDivisionError: division by zero"))


def trained(accuracy: float = 0.97, epochs: int = 3) -> GradeResult:
    """A training result as the checker returns it: the accuracy check and the run's summary."""
    confusion = tuple(tuple(9 if row == column else 0 for column in range(10)) for row in range(10))
    summary = TrainingSummary(
        dataset="digits", device="cpu", test_images=90, accuracy=accuracy, confusion=confusion, epochs=epochs,
        training_seconds=12.5, total_seconds=20.0, stopped="finished",
        curve=tuple(TrainingPoint(epoch=epoch, seconds=4.0 * epoch, val_loss=1.0 / epoch, val_accuracy=0.8 + epoch / 100)
                    for epoch in range(1, epochs + 1)),
    )
    check = CheckOutcome("accuracy", True, 10.0, 10.0, f"Test accuracy {accuracy:.2%}.")
    return GradeResult.from_checks([check], max_score=10, message="Trained 3 epochs.", training=summary)


@dataclass
class FakeGpus:
    """What the services send to the ``gpu`` queue, and a worker that runs jobs with a fake grading."""

    capture: Callable
    sent: list[int] = field(default_factory=list)  # job ids sent to the gpu queue
    published: list[tuple[int, str]] = field(default_factory=list)  # (submission id, queue) of grading tasks
    precheck: Callable[[], Precheck] = passed_precheck

    def upload(self, student, assignment, content: bytes = b"def build_model(): ...\n") -> Submission:
        """Upload through the service and run its pre-check as the ``checks`` worker would."""
        with self.capture(execute=True):
            submission = submission_create(student=student, assignment=assignment, upload=SimpleUploadedFile(
                f"{student.username}_{assignment.slug}.py", content, content_type="text/x-python"))
        with self.capture(execute=True):
            submission_grade(submission_id=submission.pk)
        submission.refresh_from_db()
        return submission

    def job_of(self, submission: Submission) -> TrainingJob:
        return TrainingJob.objects.get(submission=submission)

    def students_sent(self) -> list[str]:
        return [TrainingJob.objects.get(pk=job_id).student.username for job_id in self.sent]

    def run(self, job_id: int, grade: GradeResult | None = None, during: Callable[[], None] | None = None):
        """Run a sent job as a GPU worker: its progress as the grading reports it, then ``grade``."""
        def fake_grade_file(checker, *, on_progress, prechecked, **options) -> GradeResult:
            assert prechecked
            result = grade or trained()
            for point in result.training.curve if result.training else ():
                on_progress(point)
            if during is not None:
                during()
            return result

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("courseportal.submissions.services.training.grade_file", fake_grade_file)
            with self.capture(execute=True):
                return training_job_run(job_id=job_id, worker="gpu@test")


@pytest.fixture
def gpu(monkeypatch, django_capture_on_commit_callbacks) -> FakeGpus:
    gpus = FakeGpus(capture=django_capture_on_commit_callbacks)
    monkeypatch.setattr("courseportal.submissions.services.pipeline.grading_task_send",
                        lambda *, submission_id, checker, background=False:
                        gpus.published.append((submission_id, checker.upload_queue)))
    monkeypatch.setattr("courseportal.submissions.services.pipeline.get_sandbox", lambda: None)
    monkeypatch.setattr("courseportal.submissions.services.pipeline.precheck_file",
                        lambda checker, **options: gpus.precheck())
    for module in ("training_queue", "training"):
        monkeypatch.setattr(f"courseportal.submissions.services.{module}.training_task_send",
                            lambda *, job_id: gpus.sent.append(job_id))
    monkeypatch.setattr("courseportal.submissions.services.training.get_sandbox", lambda: None)
    return gpus
