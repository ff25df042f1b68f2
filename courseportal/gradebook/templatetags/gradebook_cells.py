"""Renders a gradebook row's score cells in Python.

A class of 500 × 30 is 15,000 cells: through the template engine (a loop, an ``{% url %}`` and an
``{% if %}`` per cell) that alone took longer than the page's whole 500 ms budget. Every value
written here is a number or a label escaped once per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from courseportal.gradebook.selectors import GradebookCell, GradebookRow
from courseportal.submissions.selectors import PENDING_LABEL

register = template.Library()

_PLACEHOLDER_ID = 987654321
EMPTY_CELL = '<td class="number"><span class="muted">–</span></td>'


@register.simple_tag(takes_context=True)
def score_cells(context: template.Context, row: GradebookRow) -> SafeString:
    parts = context.render_context.get(_Parts)
    if parts is None:
        parts = context.render_context[_Parts] = _Parts.build()
    cells = []
    for cell, extended, missing in zip(row.cells, row.extended, row.missing, strict=True):
        if cell is None:
            cells.append(parts.missing_cell if missing else
                         f'<td class="number"><span class="muted">–</span>{parts.extension}</td>' if extended
                         else EMPTY_CELL)
        elif cell.provisional or cell.late_periods or extended:
            cells.append(_marked_cell(cell, parts=parts, extended=extended))
        else:
            cells.append(f'<td class="number"><a href="{parts.url_before}{cell.submission_id:d}{parts.url_after}">'
                         f'{cell.display}</a></td>')
    return mark_safe("".join(cells))  # noqa: S308 (ids are ints, scores are floats, labels escaped)


@dataclass(frozen=True)
class _Parts:
    """What every cell of one page shares: the link around an id, the translated marks, escaped."""

    url_before: str
    url_after: str
    pending: str
    late: str
    extension: str
    missing_cell: str

    @classmethod
    def build(cls) -> _Parts:
        url_before, url_after = reverse("submissions:detail", args=[_PLACEHOLDER_ID]).split(str(_PLACEHOLDER_ID))
        return cls(
            url_before=url_before, url_after=url_after, pending=escape(PENDING_LABEL),
            late=f' <span class="mark late" title="{escape(_("Late"))}">{escape(_("late"))}</span>',
            extension=f' <span class="mark extension" title="{escape(_("Extension"))}">{escape(_("ext."))}</span>',
            missing_cell=f'<td class="number missing"><span class="mark missing">{escape(_("missing"))}</span></td>',
        )


def _marked_cell(cell: GradebookCell, *, parts: _Parts, extended: bool) -> str:
    """A cell with marks: late, extended, a report awaiting TA grading ("pending"), or the best graded
    report shown while a later one awaits grading (*)."""
    url = f"{parts.url_before}{cell.submission_id:d}{parts.url_after}"
    marks = (parts.late if cell.late_periods else "") + (parts.extension if extended else "")
    if cell.awaiting_grading:
        return f'<td class="number pending-grade"><a href="{url}">{parts.pending}</a>{marks}</td>'
    star = "*" if cell.provisional else ""
    css = "number provisional" if cell.provisional else "number"
    return f'<td class="{css}"><a href="{url}">{cell.display}</a>{star}{marks}</td>'
