"""The gradebook as a spreadsheet: CSV that Excel opens with Chinese names intact and no formulas."""

from __future__ import annotations

import csv
from typing import Protocol

from django.utils.translation import gettext as _

from courseportal.gradebook.selectors import Gradebook


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


def gradebook_write_csv(gradebook: Gradebook, stream: Writable) -> None:
    """One row per student: account, name, the counted score of each assignment, the weighted total."""
    writer = csv.writer(stream)
    writer.writerow([_("Account"), _("Name"),
                     *(f"{a.slug} ({a.weight_percent}%)" for a in gradebook.assignments), _("Weighted total %")])
    for row in gradebook.rows:
        scores = ["" if cell is None else cell.display for cell in row.cells]
        writer.writerow([_spreadsheet_safe(row.account), _spreadsheet_safe(row.name), *scores,
                         f"{row.total_percent:.2f}"])


def _spreadsheet_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to Excel; names come from rosters we do not control.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
