"""Scores and points as the portal stores and prints them: one precision, one way to write them.

A check of lec2_hw1 is worth 0.625 points, so scores keep three decimal places (``SCORE_DECIMAL_PLACES``;
the score columns of ``Result``, ``GradeChange`` and ``RegradeItem`` are declared with it), and every page,
the gradebook, its CSV and the e-mails write a score with ``points_text``: exact, without trailing zeros
(0.625, 57.5, 25), never rounded to two places (0.63) or padded (57.50).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SCORE_DECIMAL_PLACES = 3
# With three places, eight digits keep the largest score the fields held before (99999.99 → 99999.999).
SCORE_MAX_DIGITS = 8
SCORE_QUANTUM = Decimal(1).scaleb(-SCORE_DECIMAL_PLACES)
NO_SCORE = "–"


def score_quantized(value: Decimal | float | int | str) -> Decimal:
    """``value`` as a Decimal of ``SCORE_DECIMAL_PLACES`` places (half up), as the score fields store it.

    Raises ``decimal.InvalidOperation`` or ``ValueError`` for what is not a number."""
    return Decimal(str(value)).quantize(SCORE_QUANTUM, ROUND_HALF_UP)


def points_text(value: Decimal | float | int | None) -> str:
    """A score or a number of points as every page, export and e-mail writes it: "0.625", "57.5", "25";
    "–" for None (no score)."""
    if value is None:
        return NO_SCORE
    try:
        text = f"{float(value):.{SCORE_DECIMAL_PLACES}f}"
    except (TypeError, ValueError, InvalidOperation):
        return NO_SCORE
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
