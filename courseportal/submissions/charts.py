"""Pictures of a training run, drawn on the server as inline SVG: no JavaScript, no chart library.

The result page's poller replaces the whole status block every few seconds while a run trains, so
a freshly drawn curve is all "live" needs. Everything drawn is numbers (validated on the way in:
``grader.results.TrainingPoint``, ``TrainingSummary``) and translated labels, escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from grader.results import TrainingPoint

CURVE_WIDTH, CURVE_HEIGHT = 640, 240
CURVE_MARGIN = {"left": 48, "right": 56, "top": 16, "bottom": 36}
CELL = 30
LABEL_SPACE = 40


def training_curve_svg(points: Sequence[TrainingPoint]) -> SafeString:
    """Validation accuracy (left axis, %) and loss (right axis) after each epoch, as an SVG image."""
    if not points:
        return mark_safe("")
    left, right, top, bottom = (CURVE_MARGIN[side] for side in ("left", "right", "top", "bottom"))
    width, height = CURVE_WIDTH - left - right, CURVE_HEIGHT - top - bottom
    last_epoch = max(max(point.epoch for point in points), 1)
    losses = [point.val_loss for point in points if point.val_loss is not None]
    top_loss = max(losses, default=1.0) or 1.0

    def x(epoch: int) -> float:
        return left + width * epoch / last_epoch

    def y(share: float) -> float:
        return top + height * (1 - share)

    accuracy = [(x(p.epoch), y(p.val_accuracy), p) for p in points if p.val_accuracy is not None]
    loss = [(x(p.epoch), y(p.val_loss / top_loss)) for p in points if p.val_loss is not None]
    latest = points[-1]
    title = _("Training curve: validation accuracy and loss after each epoch")
    description = _("After epoch %(epoch)d: validation accuracy %(accuracy)s, loss %(loss)s.") % {
        "epoch": latest.epoch, "accuracy": _percent(latest.val_accuracy), "loss": _number(latest.val_loss)}
    parts = [
        format_html('<svg class="chart training-curve" viewBox="0 0 {} {}" role="img" aria-labelledby="curve-title '
                    'curve-desc" xmlns="http://www.w3.org/2000/svg"><title id="curve-title">{}</title>'
                    '<desc id="curve-desc">{}</desc>', CURVE_WIDTH, CURVE_HEIGHT, title, description),
        _grid(left, top, width, height, top_loss),
        _axis_labels(left, top, width, height, last_epoch),
    ]
    if loss:
        parts.append(format_html('<polyline class="loss" fill="none" points="{}"/>', _polyline(loss)))
    if accuracy:
        parts.append(format_html('<polyline class="accuracy" fill="none" points="{}"/>',
                                 _polyline([(px, py) for px, py, _point in accuracy])))
        parts.append(format_html_join("", '<circle class="accuracy" cx="{}" cy="{}" r="3"><title>{}</title></circle>',
                                      ((_n(px), _n(py), _point_label(point)) for px, py, point in accuracy)))
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))


def _grid(left: float, top: float, width: float, height: float, top_loss: float) -> SafeString:
    lines = []
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        level = top + height * (1 - share)
        lines.append(format_html(
            '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
            '<text class="axis accuracy" x="{}" y="{}" text-anchor="end">{}%</text>'
            '<text class="axis loss" x="{}" y="{}">{}</text>',
            left, left + width, _n(level), _n(level), left - 6, _n(level + 4), round(share * 100),
            left + width + 6, _n(level + 4), _number(share * top_loss)))
    return mark_safe("".join(lines))


def _axis_labels(left: float, top: float, width: float, height: float, last_epoch: int) -> SafeString:
    ticks = sorted({1, last_epoch, *range(0, last_epoch + 1, max(1, last_epoch // 5))} - {0})
    marks = format_html_join("", '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                             ((_n(left + width * epoch / last_epoch), _n(top + height + 16), epoch) for epoch in ticks))
    return format_html(
        '{}<text class="axis-title" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="axis-title accuracy" x="{}" y="{}">{}</text>'
        '<text class="axis-title loss" x="{}" y="{}" text-anchor="end">{}</text>',
        marks, _n(left + width / 2), CURVE_HEIGHT - 4, _("epoch"), left, top - 4, _("validation accuracy"),
        left + width + CURVE_MARGIN["right"] - 2, top - 4, _("validation loss"))


def confusion_matrix_svg(confusion: Sequence[Sequence[int]]) -> SafeString:
    """Rows: the true digit; columns: the digit predicted; each cell shaded by its share of the row,
    the diagonal (right) in green, mistakes in red; the last column is each digit's accuracy."""
    if not confusion:
        return mark_safe("")
    size = len(confusion)
    width = LABEL_SPACE + CELL * (size + 2)
    height = LABEL_SPACE + CELL * size + 8
    title = _("Confusion matrix: rows are the true digit, columns the digit your model predicted")
    cells = []
    for true, row in enumerate(confusion):
        total = sum(row) or 1
        for predicted, count in enumerate(row):
            share = count / total
            kind = "right" if true == predicted else "wrong"
            cells.append(format_html(
                '<rect class="cell {}" x="{}" y="{}" width="{}" height="{}" fill-opacity="{}">'
                '<title>{}</title></rect><text x="{}" y="{}" text-anchor="middle">{}</text>',
                kind, LABEL_SPACE + predicted * CELL, LABEL_SPACE + true * CELL, CELL - 2, CELL - 2,
                f"{0.08 + 0.85 * share if count else 0.0:.2f}",
                _("true %(true)d, predicted %(predicted)d: %(count)d") % {"true": true, "predicted": predicted,
                                                                           "count": count},
                _n(LABEL_SPACE + predicted * CELL + CELL / 2 - 1), _n(LABEL_SPACE + true * CELL + CELL / 2 + 4),
                count or ""))
        right = row[true] / sum(row) if sum(row) else None
        cells.append(format_html('<text class="per-class" x="{}" y="{}" text-anchor="start">{}</text>',
                                 LABEL_SPACE + size * CELL + 6, _n(LABEL_SPACE + true * CELL + CELL / 2 + 4),
                                 _percent(right, digits=0)))
    labels = format_html_join("", '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>', (
        [(_n(LABEL_SPACE + digit * CELL + CELL / 2 - 1), LABEL_SPACE - 6, digit) for digit in range(size)]
        + [(LABEL_SPACE - 12, _n(LABEL_SPACE + digit * CELL + CELL / 2 + 4), digit) for digit in range(size)]))
    return format_html(
        '<svg class="chart confusion" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<text class="axis-title" x="{}" y="12" text-anchor="middle">{}</text>'
        '<text class="axis-title" x="10" y="{}" transform="rotate(-90 10 {})" text-anchor="middle">{}</text>'
        '<text class="axis-title" x="{}" y="{}" text-anchor="start">{}</text>{}{}</svg>',
        width, height, title, title, _n(LABEL_SPACE + CELL * size / 2), _("predicted"),
        _n(LABEL_SPACE + CELL * size / 2), _n(LABEL_SPACE + CELL * size / 2), _("true digit"),
        LABEL_SPACE + size * CELL + 4, LABEL_SPACE - 6, _("right"), labels, mark_safe("".join(cells)))


def _n(value: float) -> str:
    return f"{value:.1f}"


def _polyline(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _point_label(point: TrainingPoint) -> str:
    return _("epoch %(epoch)d: accuracy %(accuracy)s, loss %(loss)s, %(seconds)s s") % {
        "epoch": point.epoch, "accuracy": _percent(point.val_accuracy), "loss": _number(point.val_loss),
        "seconds": f"{point.seconds:.0f}"}


def _percent(share: float | None, digits: int = 1) -> str:
    return "–" if share is None else f"{share * 100:.{digits}f}%"


def _number(value: float | None) -> str:
    return "–" if value is None else escape(f"{value:.3g}")
