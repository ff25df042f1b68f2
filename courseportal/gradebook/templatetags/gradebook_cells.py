"""Renders a gradebook row's score cells in Python.

A class of 500 × 30 is 15,000 cells: through the template engine (a loop, an ``{% url %}`` and an
``{% if %}`` per cell) that alone took longer than the page's whole 500 ms budget. Every value
written here is a number, so nothing needs escaping.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from courseportal.gradebook.selectors import PENDING_LABEL, GradebookCell, GradebookRow

register = template.Library()

_PLACEHOLDER_ID = 987654321
EMPTY_CELL = '<td class="number"><span class="muted">–</span></td>'


@register.simple_tag
def score_cells(row: GradebookRow) -> SafeString:
    url_before, url_after = reverse("submissions:detail", args=[_PLACEHOLDER_ID]).split(str(_PLACEHOLDER_ID))
    pending = escape(PENDING_LABEL)
    cells = [
        EMPTY_CELL if cell is None
        else f'<td class="number"><a href="{url_before}{cell.submission_id:d}{url_after}">{cell.display}</a></td>'
        if not cell.provisional
        else _provisional_cell(cell, url=f"{url_before}{cell.submission_id:d}{url_after}", pending=pending)
        for cell in row.cells
    ]
    return mark_safe("".join(cells))  # noqa: S308 (ids are ints, scores are floats, labels escaped)


def _provisional_cell(cell: GradebookCell, *, url: str, pending: str) -> str:
    """A report awaiting TA grading: "pending", or the best graded score marked * (another awaits)."""
    if cell.awaiting_grading:
        return f'<td class="number pending-grade"><a href="{url}">{pending}</a></td>'
    return f'<td class="number provisional"><a href="{url}">{cell.display}</a>*</td>'
