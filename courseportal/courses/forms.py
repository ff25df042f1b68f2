from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grader.content import RejectedUpload, decode_text

ROSTER_MAX_BYTES = 2 * 1024 * 1024


class RosterImportForm(forms.Form):
    roster = forms.FileField(
        label=_("Roster CSV"),
        help_text=_("One student a row: account, name, email. A header row is optional. "
                    "UTF-8 or Big5 (Excel's CSV) are both read."),
    )
    initial_password = forms.CharField(
        label=_("Initial password"), required=False, strip=False, widget=forms.PasswordInput,
        help_text=_("For accounts the import creates; leave empty to create them without a usable password."),
    )

    def clean_roster(self) -> str:
        upload = self.cleaned_data["roster"]
        if upload.size > ROSTER_MAX_BYTES:
            raise forms.ValidationError(_("The roster is larger than 2 MB; is it the right file?"))
        try:
            text, _encoding = decode_text(upload.read(), kind="a CSV file")
        except RejectedUpload as refusal:
            raise forms.ValidationError(refusal.message) from None
        return text
