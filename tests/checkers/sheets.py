"""What a test asks of an answer sheet: the size read for a field, and every reading of it."""

from __future__ import annotations

from grader.answers import AnswerSheet


def dims(sheet: AnswerSheet, layer: str, field: str):
    """The dimensions read for ``field`` of ``layer``, or its status when none was read."""
    answer = sheet.get(layer, field)
    return answer.value.dims if answer.status == "answered" else answer.status


def readings(sheet: AnswerSheet, layer: str, field: str) -> set:
    """The dimensions of every reading of ``field`` of ``layer``: the answer and its alternatives."""
    answer = sheet.get(layer, field)
    return {reading.value.dims for reading in (answer, *answer.alternatives) if reading.value is not None}
