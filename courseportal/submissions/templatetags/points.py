"""``{{ value|points }}``: a score or number of points written as everywhere else (``courseportal.points``)."""

from __future__ import annotations

from decimal import Decimal

from django import template

from courseportal.points import points_text

register = template.Library()


@register.filter
def points(value: Decimal | float | int | None) -> str:
    """0.625, 57.5, 25; "–" for no score."""
    return points_text(value)
