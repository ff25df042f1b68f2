from __future__ import annotations

from collections.abc import Iterator

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's "forgot password" form, also for accounts that never had a password.

    A roster import creates students without a usable password (unless given one): setting it
    through this e-mail is how they sign in the first time. Django's form skips such accounts, since
    elsewhere they may sign in through another system; here nobody does.
    """

    def get_users(self, email: str) -> Iterator[User]:
        email_field = User.get_email_field_name()
        for user in User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True}):
            if getattr(user, email_field).casefold() == email.casefold():
                yield user
