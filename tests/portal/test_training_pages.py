"""The result page of training homework: the place in the GPU line while waiting, the live curve while
training, accuracy, times, confusion matrix and curve when scored; and the GPU queue for staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from courseportal.submissions.models import TrainingJob
from tests.conftest import checkers_registered, make_assignment
from tests.portal.conftest import signed_in
from tests.submissions.training import TRAINING_CHECKER_MODULE

pytestmark = pytest.mark.django_db
State = TrainingJob.State


@pytest.fixture(autouse=True)
def training_checker(settings):
    settings.TRAINING_SLOTS = 1
    with checkers_registered(settings, "tests.portal.checkers", TRAINING_CHECKER_MODULE):
        yield


@pytest.fixture
def homework(course):
    return make_assignment(course, "unit_training", slug="train", title="Train a CNN")


def status_block(client, submission) -> str:
    response = client.get(reverse("submissions:status", args=[submission.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_waiting_student_sees_their_place_and_estimated_times(gpu, student, other_student, homework):
    gpu.upload(other_student, homework)  # on the one GPU slot
    waiting = gpu.upload(student, homework)
    html = status_block(signed_in(student), waiting)
    assert 'data-pending="true"' in html
    assert "Pre-check passed: 1,234 parameters." in html
    assert "Waiting for a GPU: number 1 in line." in html and "Estimated start" in html and "result about" in html


def test_a_training_student_sees_the_live_curve_drawn_from_the_runs_points(gpu, monkeypatch, student, homework):
    monkeypatch.setattr("courseportal.submissions.services.training.PROGRESS_WRITE_INTERVAL_S", 0)
    submission = gpu.upload(student, homework)
    seen = []
    gpu.run(gpu.job_of(submission).pk, during=lambda: seen.append(status_block(signed_in(student), submission)))
    html = seen[0]
    assert "Training:" in html and "After epoch 3: validation accuracy 83.0%, loss 0.333." in html
    assert '<svg class="chart training-curve"' in html and html.count('<circle class="accuracy"') == 3
    assert 'data-pending="true"' in html  # the poller keeps redrawing it


def test_a_scored_run_shows_accuracy_times_epochs_confusion_matrix_and_curve(gpu, student, homework):
    submission = gpu.upload(student, homework)
    gpu.run(gpu.job_of(submission).pk)
    html = signed_in(student).get(reverse("submissions:detail", args=[submission.pk])).content.decode()
    assert 'data-pending="false"' in html
    assert "97.00%" in html and "on 90 test images" in html and "12.5 s on cpu" in html
    assert '<svg class="chart confusion"' in html and html.count('class="cell right"') == 10
    assert "true 3, predicted 3: 9" in html and '<svg class="chart training-curve"' in html


def test_a_forged_progress_value_is_never_drawn(gpu, student, homework):
    submission = gpu.upload(student, homework)
    job = gpu.job_of(submission)
    TrainingJob.objects.filter(pk=job.pk).update(state=State.RUNNING, started_at=timezone.now(), progress=[
        {"epoch": 1, "seconds": 1.0, "val_loss": 0.5, "val_accuracy": "<script>alert(1)</script>"}])
    html = status_block(signed_in(student), submission)
    assert "<script>alert" not in html and "training-curve" not in html


def test_a_replaced_upload_says_a_newer_one_took_its_place(gpu, student, other_student, homework):
    gpu.upload(other_student, homework)
    older = gpu.upload(student, homework)
    newer = gpu.upload(student, homework)
    html = status_block(signed_in(student), older)
    assert 'data-pending="false"' in html and "took this file's place" in html
    assert reverse("submissions:detail", args=[newer.pk]) in html


def test_staff_see_the_whole_queue_and_nobody_else_does(gpu, student, other_student, ta, ta_of_another_course,
                                                        homework, django_assert_max_num_queries):
    running = gpu.upload(other_student, homework)
    TrainingJob.objects.filter(submission=running).update(state=State.RUNNING,
                                                          started_at=timezone.now() - timedelta(minutes=2))
    gpu.upload(student, homework)
    url = reverse("submissions:training_queue", args=[homework.course.slug])
    client = signed_in(ta)
    with django_assert_max_num_queries(16):
        html = client.get(url).content.decode()
    on_gpu, waiting = html.split("<h2>Waiting</h2>")
    assert other_student.username in on_gpu and "Training on a GPU" in on_gpu
    assert student.username in waiting and '<td class="number">1</td>' in waiting
    for outsider in (student, ta_of_another_course):
        assert signed_in(outsider).get(url).status_code == 404


def test_staff_find_the_queue_from_a_training_assignment(ta, homework):
    page = signed_in(ta).get(reverse("submissions:assignment", args=[homework.course.slug, homework.slug]))
    assert reverse("submissions:training_queue", args=[homework.course.slug]) in page.content.decode()


@pytest.mark.usefixtures("compiled_translations")
def test_a_chinese_student_reads_their_place_in_chinese(gpu, student, other_student, homework):
    from courseportal.accounts.services import profile_language_set

    profile_language_set(user=student, language="zh-hant")
    gpu.upload(other_student, homework)
    try:
        html = status_block(signed_in(student), gpu.upload(student, homework))
    finally:
        translation.activate("en")  # the request's language must not reach the next test's services
    assert "等待 GPU：排在第 1 位。" in html and "預計" in html and "訓練中" in html


def test_a_regrade_that_fails_its_precheck_does_not_show_the_earlier_runs_results(gpu, student, homework):
    from courseportal.submissions.services import submission_grade, submission_regrade
    from tests.submissions.training import failed_precheck

    submission = gpu.upload(student, homework)
    gpu.run(gpu.job_of(submission).pk)
    submission.refresh_from_db()
    with gpu.capture(execute=True):
        submission_regrade(submission=submission)
    gpu.precheck = failed_precheck
    with gpu.capture(execute=True):
        submission_grade(submission_id=submission.pk)
    html = status_block(signed_in(student), submission)
    assert "Pre-check failed" in html and "svg" not in html and "Test accuracy" not in html
