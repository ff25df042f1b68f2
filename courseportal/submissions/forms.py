from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class UploadForm(forms.Form):
    # Empty files pass the form: the upload service refuses them with a message that says what to do.
    file = forms.FileField(
        label=_("Your file"),
        allow_empty_file=True,
        error_messages={"required": _("Choose a file to upload."), "missing": _("Choose a file to upload.")},
    )
