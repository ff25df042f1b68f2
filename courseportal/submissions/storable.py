"""A grade as every database we run on can store it, whatever the checker or the student's code produced.

What a run prints and what a checker writes can hold anything: PostgreSQL refuses a NUL character
in text and in jsonb strings, and a score of 100,000 or more in ``numeric(8, 3)``; UTF-8 has no lone
surrogates; JSON has no NaN or infinity; Python refuses to print an integer of over 4,300 digits.
``result_fields`` is the storage boundary: it replaces what cannot be stored (NUL becomes U+FFFD,
a number that cannot be stored becomes 0, overlong text is cut), and a score the score fields
cannot hold makes the whole result a grader error, so that no student is marked by a number
nobody can read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from courseportal.submissions.models import Result
from grader.messages import Message
from grader.results import GradeResult

REPLACEMENT_CHARACTER = "\ufffd"
MAX_TEXT_CHARACTERS = 200_000  # message, output, each string in the checks
MAX_KEY_CHARACTERS = 200
MAX_ITEMS = 1_000  # per list or object in the checks
MAX_DEPTH = 20
LARGEST_JSON_INTEGER = 2**53  # beyond this, JSON readers lose digits (and Python may refuse to print it)
CUT_NOTE = " […]"


def largest_storable_score() -> Decimal:
    """The largest score ``Result.score`` holds (99999.999 for ``DecimalField(8, 3)``)."""
    field = Result._meta.get_field("score")
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(10) ** -field.decimal_places


def _score_places() -> int:
    return Result._meta.get_field("score").decimal_places


def result_fields(grade: GradeResult) -> dict[str, Any]:
    """``Result`` fields for ``grade``, every value storable (see the module's docstring)."""
    if not (_storable_score(grade.score) and _storable_score(grade.max_score)):
        max_score = grade.max_score if _storable_score(grade.max_score) else 0.0
        grade = GradeResult.error(
            Message("The grader produced a score that cannot be recorded. Your submission is kept; course staff "
                    "see it marked as a grader error and will regrade it."),
            max_score=max_score, output=grade.output,
        )
    return {
        "status": grade.status,
        "score": round(grade.score, _score_places()),
        "max_score": round(grade.max_score, _score_places()),
        "message": storable_text(grade.message),
        "message_i18n": storable_json(grade.i18n.to_dict()) if grade.i18n is not None else None,
        "checks": [storable_json(check.to_dict()) for check in grade.checks[:MAX_ITEMS]],
        # Some answer could not be read with confidence: a TA checks how it was read.
        "awaits_reading_check": grade.needs_review,
        "output": storable_text(grade.output),
        "staff_notes": [storable_text(note, limit=MAX_KEY_CHARACTERS * 10) for note in grade.staff_notes[:MAX_ITEMS]],
    }


def _storable_score(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    try:
        return abs(Decimal(str(round(value, _score_places())))) <= largest_storable_score()
    except ValueError:  # an integer of over 4,300 digits
        return False


def storable_text(value: object, *, limit: int = MAX_TEXT_CHARACTERS) -> str:
    """``value`` as text without NUL or lone surrogates, at most ``limit`` characters (plus a note)."""
    text = value if isinstance(value, str) else _text_of(value)
    if len(text) > limit:
        text = text[:limit] + CUT_NOTE
    if "\x00" in text:
        text = text.replace("\x00", REPLACEMENT_CHARACTER)
    if text.isascii():  # most of a result's strings: no surrogate to look for (a grading stores ~1,300)
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def storable_number(value: int | float) -> int | float:
    """A finite float, or an integer JSON readers keep exactly; 0 for anything else."""
    if isinstance(value, int):
        return value if abs(value) <= LARGEST_JSON_INTEGER else 0
    return value if math.isfinite(value) else 0.0


def storable_json(value: Any, *, depth: int = 0) -> Any:
    """``value`` (what a checker put in its checks) as JSON every database stores."""
    if isinstance(value, str):  # first: most of what a checker writes
        return storable_text(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return storable_number(value)
    if depth >= MAX_DEPTH:
        return storable_text(type(value).__name__)
    if isinstance(value, Mapping):
        items = list(value.items())[:MAX_ITEMS]
        return {storable_text(key, limit=MAX_KEY_CHARACTERS): storable_json(item, depth=depth + 1)
                for key, item in items}
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        return [storable_json(item, depth=depth + 1) for item in list(value[:MAX_ITEMS])]
    return storable_text(_text_of(value))


def _text_of(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a checker's odd object; its type is still worth showing
        return type(value).__name__
