from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _


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

    score = forms.DecimalField(label=_("Score that counts"), required=False, min_value=0, max_digits=7,
                               decimal_places=2)
    reason = forms.CharField(label=_("Reason (the student sees it)"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        if not cleaned_data.get("remove") and cleaned_data.get("score") is None and "score" not in self.errors:
            self.add_error("score", _("Enter the score that should count."))
        return cleaned_data
