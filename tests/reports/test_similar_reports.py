"""Similar reports are flagged: among ten reports of a class, the two near-copies (reworded here and
there, reflowed, in English or in Chinese) are the pair listed, side by side with the passages they
share; the problem statements and text most of the class shares do not make reports similar; scanned
reports are listed as not compared. The comparison runs in the background, reading each stored file's
text once."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from assignments.lec2_hw2.checker import STATEMENTS
from courseportal.reports.models import SimilarityRun
from courseportal.reports.services import (
    RunRefused,
    grading_setup_update,
    similarity_run_execute,
    similarity_run_start,
)
from courseportal.reports.similarity import MAX_CHARACTERS, normalized, similar_pairs
from grader.testing import cjk_text_pdf, text_pdf
from tests.portal.conftest import signed_in
from tests.reports.grading import upload_report

pytestmark = pytest.mark.django_db

VOCABULARY = ["residual", "block", "shortcut", "identity", "bottleneck", "gradient", "deeper", "network", "layer", "convolution", "kernel", "stride", "padding", "dilation", "receptive", "field", "grows", "upsampling", "bilinear", "nearest", "neighbour", "transposed", "checkerboard", "artefact", "feature", "map", "channel", "output", "input", "parameters", "compare", "advantage", "cost", "memory", "training", "accuracy", "image", "result", "method", "because", "therefore", "however", "while"]
CHINESE = "殘差區塊讓梯度直接傳回前面的層因此很深的網路也能訓練瓶頸先用一乘一卷積降低通道數再做三乘三卷積感受野隨著層數增加而變大上採樣可用雙線性插值或轉置卷積"


def essay(seed: int, words: int = 400) -> str:
    chooser = random.Random(seed)
    return " ".join(chooser.choice(VOCABULARY) for _ in range(words))


def chinese_essay(seed: int, characters: int = 600) -> str:
    chooser = random.Random(seed)
    return "".join(chooser.choice(CHINESE) + ("。" if chooser.random() < 0.08 else "") for _ in range(characters))


def near_copy(text: str) -> str:
    """The same report with a word (or, in Chinese, a character) changed here and there, its lines
    reflowed and, in English, half of them in capitals."""
    if " " not in text:
        characters = [("並" if index % 37 == 0 else character) for index, character in enumerate(text)]
        return "\n".join("".join(characters[start:start + 30]) for start in range(0, len(characters), 30))
    words = text.split()
    for index in range(0, len(words), 37):
        words[index] = "indeed"
    return "\n".join(" ".join(words[start:start + 9]).upper() if start % 2 else " ".join(words[start:start + 9])
                     for start in range(0, len(words), 9))


def class_of_ten(make, *, copied: tuple[int, int] = (3, 7)) -> dict[int, str]:
    shared = "Name: Student ID: Lecture 2-2 homework report. " + " ".join(STATEMENTS)
    texts = {number: shared + " " + make(number) for number in range(10)}
    texts[copied[1]] = shared + " " + near_copy(make(copied[0]))
    return texts


def test_the_two_near_copies_among_ten_reports_are_the_one_pair_flagged():
    pairs, too_short = similar_pairs(class_of_ten(essay), statements=STATEMENTS, floor=0.3)
    assert [(pair.first, pair.second) for pair in pairs] == [(3, 7)] and too_short == []
    assert pairs[0].similarity > 0.6 and pairs[0].passages
    first, second = pairs[0].passages[0]
    assert normalized(first).kept[:60] == normalized(second).kept[:60] and len(first) > 40


def test_chinese_near_copies_are_found_the_same_way():
    pairs, _too_short = similar_pairs(class_of_ten(chinese_essay, copied=(1, 8)), statements=STATEMENTS, floor=0.3)
    assert [(pair.first, pair.second) for pair in pairs] == [(1, 8)]
    assert any("殘" in first or "卷" in first for first, _second in pairs[0].passages)


def test_the_problem_statements_and_the_classs_shared_text_make_nobody_similar():
    template = " ".join(essay(100, 300) for _ in range(1))  # a template every student filled in
    texts = {number: " ".join(STATEMENTS) + " " + template + " " + essay(number, 120) for number in range(10)}
    pairs, _too_short = similar_pairs(texts, statements=STATEMENTS, floor=0.3)
    assert pairs == []
    only_statements = {0: " ".join(STATEMENTS) + essay(1, 150), 1: " ".join(STATEMENTS) + essay(2, 150)}
    assert similar_pairs(only_statements, statements=STATEMENTS, floor=0.3)[0] == []


def test_the_same_texts_give_the_same_figures_every_time():
    texts = class_of_ten(essay)
    assert similar_pairs(texts, floor=0.2) == similar_pairs(dict(reversed(list(texts.items()))), floor=0.2)


def test_a_report_with_almost_no_text_is_not_compared():
    texts = class_of_ten(essay)
    texts[9] = "Name: ok"
    assert similar_pairs(texts, statements=STATEMENTS, floor=0.3)[1] == [9]


def test_the_text_compared_is_bounded():
    assert len(normalized("word " * (MAX_CHARACTERS)).kept) == MAX_CHARACTERS


@pytest.fixture
def class_reports(student, other_student, classmates, report_assignment):
    """Ten reports uploaded and checked: two near-copies, one scanned (no text), the rest the students' own."""
    students = [student, other_student, *classmates]
    texts = class_of_ten(essay, copied=(2, 5))
    reports = {}
    for number, user in enumerate(students):
        words = texts[number].split()
        lines = [" ".join(words[start:start + 12]) for start in range(0, len(words), 12)]
        pdf = text_pdf([[], []]) if number == 9 else text_pdf([lines[start:start + 45]
                                                                for start in range(0, len(lines), 45)])
        reports[number] = upload_report(user, report_assignment, pdf)
    return reports


def test_a_run_in_the_background_lists_the_copies_side_by_side_and_the_scan_as_not_compared(
        class_reports, report_assignment, instructor, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("courseportal.reports.services.similarity_runs.maintenance_task_send",
                        lambda *, task, args: sent.append((task, args)) or True)
    with django_capture_on_commit_callbacks(execute=True):
        run = similarity_run_start(assignment=report_assignment, started_by=instructor)
    assert sent == [("reports.similarity_run", [run.pk])]
    similarity_run_execute(run_id=run.pk)
    assert similarity_run_execute(run_id=run.pk) is None  # delivered twice: runs once
    run.refresh_from_db()
    assert run.state == SimilarityRun.State.FINISHED and run.compared == 9
    assert run.not_compared == [class_reports[9].pk]
    pairs = list(run.pairs.values_list("first", "second"))
    assert pairs[0] == (class_reports[2].pk, class_reports[5].pk)
    html = signed_in(instructor).get(reverse("reports:similarity", args=["ai-training-2", "lec2_hw2"])).content.decode()
    assert "1 pair above the threshold" in html and html.count('<div class="passages">') >= 1
    assert "310510200 · 310510203" in html and "Not compared" in html and "310510207" in html
    grading_setup_update(assignment=report_assignment, anonymous=False, regrade_requests_until=None,
                         similarity_threshold="0.99")
    html = signed_in(instructor).get(reverse("reports:similarity", args=["ai-training-2", "lec2_hw2"])).content.decode()
    assert "0 pairs above the threshold" in html


def test_a_second_run_waits_for_the_first(class_reports, report_assignment, instructor, monkeypatch):
    monkeypatch.setattr("courseportal.reports.services.similarity_runs.maintenance_task_send", lambda **kw: True)
    similarity_run_start(assignment=report_assignment, started_by=instructor)

    with pytest.raises(RunRefused, match="already running"):
        similarity_run_start(assignment=report_assignment, started_by=instructor)


def test_chinese_reports_are_compared_through_the_pipeline_too(student, other_student, classmates,
                                                               report_assignment, instructor):
    texts = class_of_ten(chinese_essay, copied=(0, 1))
    for number, user in enumerate([student, other_student, *classmates]):
        text = texts[number]
        upload_report(user, report_assignment, cjk_text_pdf([[text[start:start + 40]
                                                              for start in range(0, len(text), 40)]]))
    run = SimilarityRun.objects.create(assignment=report_assignment, started_by=instructor)
    similarity_run_execute(run_id=run.pk)
    first = run.pairs.select_related("first__student", "second__student").first()
    assert {first.first.student.username, first.second.student.username} == {"310510123", "310510999"}
