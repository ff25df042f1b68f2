"""Writes for accounts: a user's own preferences, and a password reset link sent by course staff."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from courseportal.accounts.forms import PasswordResetForm
from courseportal.accounts.models import Profile

# The e-mail of Django's own reset flow (PasswordResetView), so both ways send the same message.
RESET_SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
RESET_EMAIL_TEMPLATE = "registration/password_reset_email.txt"


def profile_language_set(*, user: User, language: str) -> Profile:
    """Remember ``language`` (a code from ``settings.LANGUAGES``) as ``user``'s interface language."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of settings.LANGUAGES")
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"language": language})
    return profile


def password_reset_send(*, user: User) -> bool:
    """E-mail ``user`` a one-time link to choose a new password, in their own language.

    The same e-mail and link as "forgot password" (Django's token: it stops working once used, once
    the password changes, or after ``PASSWORD_RESET_TIMEOUT``). Returns False, sending nothing, for an
    account without an e-mail address or an inactive one. The caller checks who may ask for it.
    """
    if not user.email or not user.is_active:
        return False
    site = urlsplit(settings.SITE_URL)
    context = {
        "email": user.email, "domain": site.netloc, "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user),
        "protocol": site.scheme or "https",
    }
    language = Profile.objects.filter(user=user).values_list("language", flat=True).first() or settings.LANGUAGE_CODE
    with translation.override(language):
        context["site_name"] = _("Course portal")
        PasswordResetForm().send_mail(RESET_SUBJECT_TEMPLATE, RESET_EMAIL_TEMPLATE, context, None, user.email)
    return True
