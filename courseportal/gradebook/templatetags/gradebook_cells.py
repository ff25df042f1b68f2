"""Renders a gradebook row's score cells in Python.

A class of 500 × 30 is 15,000 cells: through the template engine (a loop, an ``{% url %}`` and an
``{% if %}`` per cell) that alone took longer than the page's whole 500 ms budget. Every value
written here is a number or an escaped label.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from courseportal.gradebook.selectors import GradebookCell, GradebookRow
from courseportal.submissions.selectors import PENDING_LABEL

register = template.Library()

_PLACEHOLDER_ID = 987654321


@register.simple_tag
def score_cells(row: GradebookRow) -> SafeString:
    url_before, url_after = reverse("submissions:detail", args=[_PLACEHOLDER_ID]).split(str(_PLACEHOLDER_ID))
    labels = _Labels()
    cells = []
    for index, cell in enumerate(row.cells):
        extension_mark = labels.extension if row.extended[index] else ""
        if cell is None:
            cells.append(labels.missing_cell if row.missing[index] else labels.empty_cell
                         if not extension_mark else f'<td class="number"><span class="muted">–</span>{extension_mark}</td>')
            continue
        url = f"{url_before}{cell.submission_id:d}{url_after}"
        if not (cell.provisional or cell.is_late or extension_mark):
            cells.append(f'<td class="number"><a href="{url}">{cell.display}</a></td>')
        else:
            cells.append(_marked_cell(cell, url=url, labels=labels, extension_mark=extension_mark))
    return mark_safe("".join(cells))  # noqa: S308 (ids are ints, scores are floats, labels escaped)


class _Labels:
    """The cells' translated labels, escaped once per row rather than once per cell."""

    def __init__(self) -> None:
        self.pending = escape(PENDING_LABEL)
        self.late = f' <span class="mark late" title="{escape(_("Late"))}">{escape(_("late"))}</span>'
        self.extension = (f' <span class="mark extension" title="{escape(_("Extension"))}">'
                          f'{escape(_("ext."))}</span>')
        self.missing_cell = f'<td class="number missing"><span class="mark missing">{escape(_("missing"))}</span></td>'
        self.empty_cell = '<td class="number"><span class="muted">–</span></td>'


def _marked_cell(cell: GradebookCell, *, url: str, labels: _Labels, extension_mark: str) -> str:
    """A cell with marks: late, extended, a report awaiting TA grading ("pending"), or the best graded
    report shown while a later one awaits grading (*)."""
    late = labels.late if cell.is_late else ""
    if cell.awaiting_grading:
        return f'<td class="number pending-grade"><a href="{url}">{labels.pending}</a>{late}{extension_mark}</td>'
    star = "*" if cell.provisional else ""
    css = "number provisional" if cell.provisional else "number"
    return f'<td class="{css}"><a href="{url}">{cell.display}</a>{star}{late}{extension_mark}</td>'
