"""Writes for accounts: a user's own preferences, and what the sign-in throttle counts."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User

from courseportal.accounts.models import Profile, SignInFailure
from courseportal.accounts.throttling import SignInAttempt

# Failures are kept this long (the throttle reads only its window), for staff to look into.
SIGN_IN_FAILURE_RETENTION = timedelta(days=1)


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
