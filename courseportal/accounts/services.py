"""Writes for accounts: a user's own preferences, what the sign-in throttle counts, and a password
reset link sent by course staff."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from courseportal.accounts.forms import PasswordResetForm
from courseportal.accounts.models import Profile, SignInFailure
from courseportal.accounts.throttling import SignInAttempt

# Failures are kept this long (the throttle reads only its window), for staff to look into.
SIGN_IN_FAILURE_RETENTION = timedelta(days=1)

# The e-mail of Django's own reset flow (PasswordResetView), so both ways send the same message.
RESET_SUBJECT_TEMPLATE = "registration/password_reset_subject.txt"
RESET_EMAIL_TEMPLATE = "registration/password_reset_email.txt"


def profile_language_set(*, user: User, language: str) -> Profile:
    """Remember ``language`` (a code from ``settings.LANGUAGES``) as ``user``'s interface language."""
    if language not in dict(settings.LANGUAGES):
        raise ValueError(f"{language!r} is not one of settings.LANGUAGES")
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"language": language})
    return profile


def sign_in_failure_record(*, attempt: SignInAttempt) -> SignInFailure:
    """Count a wrong password (its password was checked), and forget failures past retention."""
    SignInFailure.objects.filter(at__lt=attempt.at - SIGN_IN_FAILURE_RETENTION).delete()
    return SignInFailure.objects.create(username=attempt.username, address=attempt.address, device=attempt.device,
                                        password_fingerprint=attempt.password_fingerprint, at=attempt.at)


def sign_in_success_record(*, attempt: SignInAttempt) -> None:
    """The right password from a trusted device clears that device's own count. Nothing else is
    cleared: a guesser who signs in to their own account between guesses must gain nothing, and the
    browser the owner just signed in on is trusted from now on anyway."""
    if attempt.device:
        SignInFailure.objects.filter(username=attempt.username, device=attempt.device).delete()
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
