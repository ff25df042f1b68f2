from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from courseportal.points import SCORE_DECIMAL_PLACES, SCORE_MAX_DIGITS, points_text


def points_field(*, label: str, maximum: float | Decimal | None = None, **options) -> forms.DecimalField:
    """A field for points or a score, at the precision the score columns store (0.625)."""
    return forms.DecimalField(label=label, min_value=0, max_value=None if maximum is None else Decimal(str(maximum)),
                              max_digits=SCORE_MAX_DIGITS, decimal_places=SCORE_DECIMAL_PLACES, **options)


class UploadForm(forms.Form):
    # Empty files pass the form: the upload service refuses them with a message that says what to do.
    file = forms.FileField(
        label=_("Your file"),
        allow_empty_file=True,
        error_messages={"required": _("Choose a file to upload."), "missing": _("Choose a file to upload.")},
    )
    # The late penalty the page showed when the student chose to upload: a higher one at receipt
    # (the page was loaded before the deadline) is refused and shown, not silently applied.
    accepted_penalty = forms.DecimalField(required=False, min_value=0, max_value=100, widget=forms.HiddenInput)

    def accepted_penalty_percent(self) -> Decimal:
        return self.cleaned_data.get("accepted_penalty") or Decimal(0)


class OverrideForm(forms.Form):
    """Staff set the score that counts for one submission, or remove their override, with a reason."""

    score = points_field(label=_("Score that counts"), required=False)
    reason = forms.CharField(label=_("Reason (the student sees it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        if not cleaned_data.get("remove") and cleaned_data.get("score") is None and "score" not in self.errors:
            self.add_error("score", _("Enter the score that should count."))
        return cleaned_data


OTHER_POINTS = "points"


class ReadingCheckForm(forms.Form):
    """A TA's check of how the grader read uncertain answers: per uncertain check, one of its
    readings (each with the points it gives) or points entered by hand, and a note for the history."""

    note = forms.CharField(label=_("Note for the grade history (optional)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, checks: Sequence[dict], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.checks = tuple(checks)
        for check in self.checks:
            choices = [(str(index), self._reading_label(reading))
                       for index, reading in enumerate(check.get("readings", []))]
            self.fields[self.reading_key(check)] = forms.ChoiceField(
                label=check["name"], widget=forms.RadioSelect,
                choices=[*choices, (OTHER_POINTS, _("Other: the points below"))],
                error_messages={"required": _("Choose a reading, or enter points.")},
            )
            self.fields[self.points_key(check)] = points_field(
                label=_("Points (0 to %(max)s)") % {"max": points_text(check["max_points"])},
                maximum=check["max_points"], required=False)

    @staticmethod
    def reading_key(check: dict) -> str:
        return f"reading_{check['name']}"

    @staticmethod
    def points_key(check: dict) -> str:
        return f"points_{check['name']}"

    @staticmethod
    def _reading_label(reading: dict) -> str:
        text = reading.get("text") or _("(no answer)")
        where = f" ({reading['place']})" if reading.get("place") else ""
        note = f": {reading['note']}" if reading.get("note") else ""
        return _("%(text)s%(where)s%(note)s → %(points)s points") % {
            "text": text, "where": where, "note": note, "points": points_text(reading.get("points"))}

    def clean(self) -> dict:
        cleaned_data = super().clean()
        for check in self.checks:
            if cleaned_data.get(self.reading_key(check)) == OTHER_POINTS \
                    and cleaned_data.get(self.points_key(check)) is None and self.points_key(check) not in self.errors:
                self.add_error(self.points_key(check), _("Enter the points, or choose a reading."))
        return cleaned_data

    def check_fields(self) -> list[tuple[dict, forms.BoundField, forms.BoundField]]:
        return [(check, self[self.reading_key(check)], self[self.points_key(check)]) for check in self.checks]

    def points(self) -> dict[str, Decimal]:
        """Points per uncertain check: the chosen reading's, or those entered."""
        return {check["name"]: self._chosen(check)[0] for check in self.checks}

    def chosen_readings(self) -> dict[str, str]:
        """The text of the reading chosen per check ("" for "no answer"), for the checks where one was chosen."""
        return {check["name"]: reading for check in self.checks
                if (reading := self._chosen(check)[1]) is not None}

    def _chosen(self, check: dict) -> tuple[Decimal, str | None]:
        choice = self.cleaned_data[self.reading_key(check)]
        if choice == OTHER_POINTS:
            return self.cleaned_data[self.points_key(check)], None
        reading = check["readings"][int(choice)]
        return Decimal(str(reading["points"])), str(reading.get("text", ""))
