"""Feedback in the reader's language: ``{{ check|feedback }}``, ``{{ result|result_message }}``,
``{{ job|precheck_message }}`` (a training job's pre-check), and ``{% layer_sizes result %}`` (lec2_hw1's
sizes as one row per layer, with a drawing of the network).

A stored check or result may carry its text as the engine's message id and values (``i18n``,
``grader.messages``); it is rendered here with the active language's ``gettext``, so a student
reading in Chinese and a TA reading in English each see their own language for the same stored
result. Results stored before that (or a malformed message) show their English text as stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape as html_escape
from typing import Any

from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courseportal.points import points_text
from courseportal.submissions.feedback import engine_text, feedback_text

register = template.Library()

VERDICTS = {
    "right": gettext_lazy("right"),
    "wrong": gettext_lazy("wrong"),
    "follows": gettext_lazy("follows from your answer"),
    "uncertain": gettext_lazy("a TA will check"),
    "unanswered": gettext_lazy("no answer"),
}
SIZE_FIELDS = ("input", "output")


@register.filter
def feedback(check: Mapping[str, Any]) -> str:
    """A stored check's feedback in the active language."""
    return feedback_text(check.get("i18n"), str(check.get("feedback", "")))


@register.filter
def result_message(result: Any) -> str:
    """A stored result's message in the active language."""
    return feedback_text(getattr(result, "message_i18n", None), result.message)


@register.filter(name="engine_text")
def engine_text_filter(msgid: str) -> str:
    """``{{ problem.title|engine_text }}``: a text the engine declares (a problem's title) in the active language."""
    return engine_text(msgid)


@register.filter
def precheck_message(job: Any) -> str:
    """A training job's stored pre-check feedback in the active language."""
    return feedback_text(getattr(job, "precheck_feedback_i18n", None), job.precheck_feedback)


@dataclass
class SizeCell:
    answered: str
    verdict: str
    label: str
    feedback: str
    points: float
    max_points: float


@dataclass
class LayerRow:
    layer: str
    cells: dict[str, SizeCell] = field(default_factory=dict)

    @property
    def input(self) -> SizeCell | None:
        return self.cells.get("input")

    @property
    def output(self) -> SizeCell | None:
        return self.cells.get("output")

    @property
    def explained(self) -> list[SizeCell]:
        """The sizes whose feedback is worth a line of its own: mistakes, missing answers, doubts.
        (An answer that follows from an earlier mistake is said by its verdict; the first mistake
        above says where it comes from.)"""
        return [cell for cell in self.cells.values() if cell.verdict in ("wrong", "unanswered", "uncertain")]

    @property
    def points(self) -> float:
        return sum(cell.points for cell in self.cells.values())

    @property
    def max_points(self) -> float:
        return sum(cell.max_points for cell in self.cells.values())

    @property
    def labels(self) -> str:
        """The verdicts of its sizes, each once: "right", "wrong · follows from your answer"."""
        return " · ".join(dict.fromkeys(cell.label for cell in self.cells.values()))

    @property
    def verdict(self) -> str:
        """The row's worst verdict: wrong, then uncertain, unanswered, follows, right."""
        verdicts = {cell.verdict for cell in self.cells.values()}
        return next((verdict for verdict in ("wrong", "uncertain", "unanswered", "follows") if verdict in verdicts),
                    "right")


def layer_rows(checks: Sequence[Mapping[str, Any]]) -> list[LayerRow]:
    """One row per layer, in network order, from the checks' ``detail`` (none without it)."""
    rows: dict[str, LayerRow] = {}
    for check in checks:
        if not _is_layer_size(check):
            continue
        detail = check["detail"]
        verdict = detail.get("verdict") if detail.get("verdict") in VERDICTS else "wrong"
        if check.get("reading_checked"):
            # A TA decided how an uncertain answer reads: its points say what it came to.
            verdict = "right" if check.get("passed") else "wrong"
        row = rows.setdefault(str(detail["layer"]), LayerRow(str(detail["layer"])))
        row.cells[detail["field"]] = SizeCell(
            answered=str(detail.get("answered", "")), verdict=verdict, label=str(VERDICTS[verdict]),
            feedback=feedback(check), points=check.get("points", 0), max_points=check.get("max_points", 0))
    return list(rows.values())


def _is_layer_size(check: Mapping[str, Any]) -> bool:
    detail = check.get("detail")
    return isinstance(detail, Mapping) and detail.get("field") in SIZE_FIELDS and bool(detail.get("layer"))


@register.filter
def has_layer_sizes(result: Any) -> bool:
    return any(_is_layer_size(check) for check in result.checks or [])


@register.filter
def checks_without_layer_sizes(result: Any) -> list[Mapping[str, Any]]:
    """The checks the per-layer table does not show (all of them for other assignments)."""
    return [check for check in result.checks or [] if not _is_layer_size(check)]


@register.simple_tag
def layer_sizes(result: Any) -> SafeString:
    """The table and drawing of a result whose checks say which layer and size each is; the first
    mistake (the root of what follows) is said first and highlighted in the drawing.

    Written here rather than in a template: every lec2_hw1 result page draws it, 33 answers in
    about 100 cells, and the template engine spent 2.7-4.2 ms of the page's 18-20 on them on the
    benchmark's machine; this takes about 0.9, its rows' data included. Every text from the result is
    escaped (``format_html`` or ``escape``, the escaping of the template's ``{{ }}``); a verdict is
    one of ``VERDICTS``' keys (``layer_rows``), so it goes into class names as it is.
    """
    checks = result.checks or []
    root = next((check for check in checks if _is_layer_size(check) and check["detail"].get("root")), None)
    root_layer = str(root["detail"]["layer"]) if root else ""
    rows = layer_rows(checks)
    parts = ['<div class="layer-sizes">']
    if root:
        parts.append(format_html(
            '<div class="root-mistake" role="note"><strong>{}</strong> <span class="layer-name">{}</span>'
            "<p>{}</p></div>", _("Your first mistake"), root_layer, linebreaksbr(feedback(root), autoescape=True)))
    parts.append(format_html('<div class="layer-sizes-body"><figure class="network" aria-label="{}">'
                             "<figcaption>{}</figcaption><ol>",
                             _("The network, layer by layer"), _("Your network, top to bottom")))
    root_flag = f' <span class="net-flag">{escape(_("first mistake"))}</span>'
    for row in rows:
        is_root = row.layer == root_layer
        parts.append(f'<li class="net-layer verdict-{row.verdict}{" root" if is_root else ""}"><span class="layer-name">'
                     f'{escape(row.layer)}</span> <span class="net-size">{escape(_answered(row.output))}</span>'
                     f'{root_flag if is_root else ""}</li>')
    parts.append(format_html(
        '</ol></figure><div class="table-scroll plain"><p class="legend muted" aria-hidden="true">'
        '<span class="mark-right"></span> {} · <span class="mark-wrong"></span> {} · '
        '<span class="mark-follows"></span> {} · <span class="mark-uncertain"></span> {}</p>'
        '<table class="checks layer-table"><thead><tr><th scope="col">{}</th><th scope="col">{}</th>'
        '<th scope="col">{}</th><th scope="col" class="verdict">{}</th></tr></thead><tbody>',
        VERDICTS["right"], VERDICTS["wrong"], VERDICTS["follows"], VERDICTS["uncertain"],
        _("Layer"), _("Your input"), _("Your output"), _("Verdict")))
    for row in rows:
        row_class = f"verdict-{row.verdict}" + (" root" if row.layer == root_layer else "")
        row_points = f"{escape(points_text(row.points))} / {escape(points_text(row.max_points))}"
        parts.append(f'<tr class="layer-row {row_class}"><th scope="row" class="layer-name">{escape(row.layer)}'
                     f'<span class="row-verdict" aria-hidden="true">{row_points}</span></th>')
        parts.extend(f'<td class="size-cell verdict-{cell.verdict}"><span class="mark-{cell.verdict}" aria-hidden="true">'
                     f'</span> <code>{escape(_answered(cell))}</code><span class="visually-hidden"> ({escape(cell.label)})'
                     "</span></td>" for cell in row.cells.values())
        parts.append(f'<td class="verdict"><span class="verdict-label">{escape(row.labels)}</span> '
                     f'<span class="number points">{row_points}</span></td></tr>')
        if row.explained:
            explained = "".join(f"<p>{escape(cell.feedback)}</p>" for cell in row.explained)
            parts.append(f'<tr class="layer-why verdict-{row.verdict}"><td colspan="4">{explained}</td></tr>')
    parts.append("</tbody></table></div></div></div>")
    return mark_safe("".join(parts))  # every text in it escaped above


def escape(value: object) -> str:
    """Django's ``escape`` without its lazy-text wrapper, which cost more than the escaping here."""
    return html_escape(str(value))


def _answered(cell: SizeCell | None) -> str:
    """A size as the student wrote it; a dash when they wrote none."""
    return cell.answered if cell is not None and cell.answered else "–"
