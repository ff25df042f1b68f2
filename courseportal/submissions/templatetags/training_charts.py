"""Template tags for training results: ``{% training_curve points %}``, ``{% confusion_matrix rows %}``
and the ``percent`` filter (a share 0..1 as "98.3%")."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.safestring import SafeString

from courseportal.submissions.charts import confusion_matrix_svg, training_curve_svg
from grader.results import TrainingPoint

register = template.Library()


@register.simple_tag
def training_curve(points: Sequence[TrainingPoint]) -> SafeString:
    return training_curve_svg(points)


@register.simple_tag
def confusion_matrix(rows: Sequence[Sequence[int]]) -> SafeString:
    return confusion_matrix_svg(rows)


@register.filter
def percent(share: float | None, digits: int = 1) -> str:
    return "–" if share is None else f"{share * 100:.{int(digits)}f}%"
